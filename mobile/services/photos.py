"""Photos are made small on the phone before they are queued.

A 4 MB camera file becomes a ~400 KB JPEG: longest side 1600 px, EXIF orientation
applied to the pixels, quality 85, and no EXIF at all in the file (it can carry the
officer's phone model, serial numbers and more). What the server needs from EXIF —
when and where the photo was taken — is read first and sent as form fields.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

MAX_SIDE = 1600
JPEG_QUALITY = 85
PHOTO_KINDS = ("scene", "problem", "rectification", "verification", "training")

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL, _DATETIME = 0x9003, 0x9011, 0x0132


@dataclass(frozen=True)
class PreparedPhoto:
    path: Path
    width: int
    height: int
    size: int
    sha256: str
    taken_at: str | None  # ISO 8601 with offset, from EXIF
    lat: float | None
    lon: float | None


def prepare_photo(source: str | Path, dest: str | Path, *, max_side: int = MAX_SIDE,
                  quality: int = JPEG_QUALITY) -> PreparedPhoto:
    """Write a downscaled, upright, EXIF-free JPEG of `source` to `dest` (atomically) and describe it."""
    dest = Path(dest)
    with Image.open(source) as original:
        taken_at, lat, lon = read_capture_facts(original)
        image = ImageOps.exif_transpose(original)
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        tmp = dest.with_name(dest.name + ".tmp")
        # No exif= argument: Pillow then writes no EXIF; icc_profile is dropped too (phones' are sRGB).
        image.save(tmp, "JPEG", quality=quality, optimize=True)
        width, height = image.size
    with open(tmp, "rb") as f:
        data = f.read()
        os.fsync(f.fileno())
    os.replace(tmp, dest)
    return PreparedPhoto(dest, width, height, len(data), hashlib.sha256(data).hexdigest(), taken_at, lat, lon)


def read_capture_facts(image: Image.Image) -> tuple[str | None, float | None, float | None]:
    """(taken_at, lat, lon) from EXIF, each None when absent or unreadable."""
    try:
        exif = image.getexif()
    except Exception:  # noqa: BLE001 - a broken EXIF block must not stop a photo
        return None, None, None
    return _taken_at(exif), *_gps(exif)


def _taken_at(exif: Image.Exif) -> str | None:
    sub = _ifd(exif, _EXIF_IFD)
    stamp = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not isinstance(stamp, str):
        return None
    try:
        moment = datetime.strptime(stamp.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = sub.get(_OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str):
        try:
            return datetime.fromisoformat(moment.isoformat() + offset.strip("\x00 ")).isoformat()
        except ValueError:
            pass
    # EXIF times without an offset are the camera's local time: the phone's own zone.
    return moment.astimezone().isoformat()


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = _ifd(exif, _GPS_IFD)
    try:
        lat = _degrees(gps[2], gps.get(1, "N"), "S")
        lon = _degrees(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return round(lat, 7), round(lon, 7)


def _degrees(dms: Any, ref: Any, negative: str) -> float:
    d, m, s = (float(x) for x in dms)
    value = d + m / 60 + s / 3600
    ref = ref.decode() if isinstance(ref, bytes) else str(ref)
    return -value if ref.strip("\x00 ").upper() == negative else value


def _ifd(exif: Image.Exif, tag: int) -> dict[int, Any]:
    try:
        return dict(exif.get_ifd(tag))
    except Exception:  # noqa: BLE001
        return {}


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
