"""When and where a photo was taken, from its EXIF — read the same way on the phone and on the server.

Takes Pillow's `Image.Exif` (anything with `.get(tag)` and `.get_ifd(tag)`); imports nothing itself.
Hostile or broken tags mean "unknown", never an error: they cost the metadata, not the photo."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

DATETIME, EXIF_IFD, GPS_IFD = 0x0132, 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9003, 0x9011
# Years outside this span are a camera whose clock was never set (or a forged tag).
PLAUSIBLE_YEARS = range(1990, 2201)

_EXIF_TIME = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def taken_at(exif: Any, tz: tzinfo) -> datetime | None:
    """DateTimeOriginal (else DateTime), aware, in the zone it was taken in: its offset tag, else `tz`."""
    try:
        sub = exif.get_ifd(EXIF_IFD)
        raw = _text(sub.get(DATETIME_ORIGINAL)) or _text(exif.get(DATETIME))
        match = _EXIF_TIME.match(raw or "")
        if not match:
            return None
        local = datetime(*(int(part) for part in match.groups()))  # type: ignore[misc]
        offset = _EXIF_OFFSET.match(_text(sub.get(OFFSET_TIME_ORIGINAL)) or "")
        if offset:
            sign = -1 if offset.group(1) == "-" else 1
            zone: tzinfo = timezone(sign * timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3))))
        else:
            zone = tz
        if local.year not in PLAUSIBLE_YEARS:
            return None
        return local.replace(tzinfo=zone)
    except Exception:  # any nonsense in the tags means "unknown"
        return None


def position(exif: Any) -> tuple[float | None, float | None]:
    """(lat, lon) in degrees, or (None, None) when absent, impossible, or 0,0 (what phones without a fix write)."""
    try:
        gps = exif.get_ifd(GPS_IFD)
        lat = _degrees(gps.get(2), gps.get(1), negative="S")
        lon = _degrees(gps.get(4), gps.get(3), negative="W")
    except Exception:
        return None, None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None
    return round(lat, 7), round(lon, 7)


def _degrees(values: Any, ref: Any, *, negative: str) -> float | None:
    if not isinstance(values, tuple) or len(values) != 3:
        return None
    degrees, minutes, seconds = (float(v) for v in values)
    value = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(value):
        return None
    return -value if (_text(ref) or "").upper().startswith(negative) else value


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ").strip() if isinstance(value, str) else None
