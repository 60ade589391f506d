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
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageOps

from rulebook import exif as exif_rules

MAX_SIDE = 1600
JPEG_QUALITY = 85


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


def prepare_photo(
    source: str | Path, dest: str | Path, *, max_side: int = MAX_SIDE, quality: int = JPEG_QUALITY
) -> PreparedPhoto:
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
    """(taken_at, lat, lon) from EXIF by the rulebook's rules, each None when absent or unreadable.

    A camera time without an offset is the phone's own local time."""
    try:
        exif = image.getexif()
    except Exception:  # noqa: BLE001 - a broken EXIF block must not stop a photo
        return None, None, None
    moment = exif_rules.taken_at(exif, datetime.now().astimezone().tzinfo or UTC)
    return (moment.isoformat() if moment else None), *exif_rules.position(exif)


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")
