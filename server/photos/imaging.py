"""From an uploaded file to evidence: identify it by its bytes, bound it, decode it at reduced
scale, stand it upright, re-encode clean JPEGs. Pure functions; no database, no files."""

from __future__ import annotations

import hashlib
import io
import math
import re
import struct
import threading
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from PIL import Image, ImageCms, UnidentifiedImageError

from server.errors import Invalid, UnsupportedMediaType

CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
DISPLAY_QUALITY = 82
THUMB_QUALITY = 78

# EXIF tags (Pillow's Image.Exif speaks numbers).
ORIENTATION, DATETIME, EXIF_IFD, GPS_IFD = 0x0112, 0x0132, 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9003, 0x9011
# Orientation -> the transpose that stands the stored pixels upright.
UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
           5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}
DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError,
                 TypeError, KeyError, ZeroDivisionError, MemoryError)
ACCEPTED = "Send the photo as a JPEG, PNG or WebP image."
_WARNINGS_LOCK = threading.Lock()


@dataclass(frozen=True)
class ProcessedPhoto:
    sha256: str
    format: str          # JPEG | PNG | WEBP, from the bytes
    width: int           # upright, as the photo stands
    height: int
    display: bytes       # re-encoded JPEG, no metadata
    thumb: bytes
    taken_at: datetime | None
    lat: float | None
    lon: float | None

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


def sniff_format(data: bytes) -> str:
    """The image format by its magic bytes; names and Content-Type headers are not trusted."""
    if not data:
        raise Invalid("The file is empty; take or choose the photo again and resend it.", code="empty_file")
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    what = _describe(data)
    if what == "a HEIC/HEIF/AVIF photo":
        raise UnsupportedMediaType("HEIC/HEIF photos are not accepted: set the camera to save JPEG "
                                   "(\"Most Compatible\") or let the app convert the photo.", code="unsupported_format")
    raise UnsupportedMediaType(f"This file is {what}, not a photo the server accepts. {ACCEPTED}",
                               code="unsupported_format")


def _describe(data: bytes) -> str:
    head = data[:64]
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "a GIF image"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "a TIFF image"
    if head[4:8] == b"ftyp":
        return "a HEIC/HEIF/AVIF photo" if head[8:12] in (b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif") \
            else "a video or MP4-family file"
    if head[:4] == b"%PDF":
        return "a PDF document"
    if head[:4] == b"PK\x03\x04":
        return "a ZIP archive"
    if head[:2] == b"BM":
        return "a BMP image"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<svg", b"<?xml")):
        return "an SVG or XML document"
    if text.startswith((b"<!doctype", b"<html", b"<")):
        return "an HTML document"
    return "of an unknown type"


def fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """The size with its longest side at most `longest`, aspect kept, never enlarged.

    Rotation swaps width and height but not the longest side, so computing this on the stored
    (unrotated) size gives the right draft target for JPEG decoding; the transpose comes after."""
    width, height = size
    scale = min(1.0, longest / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def process_photo(data: bytes, *, max_pixels: int, tz: tzinfo = timezone.utc, display_px: int = 1600,
                  thumb_px: int = 320) -> ProcessedPhoto:
    """The pipeline every upload goes through (the route and the benchmark call this)."""
    image_format = sniff_format(data)
    image = _open_bounded(data, image_format, max_pixels)
    stored_size = image.size
    display_size = fit(stored_size, display_px)
    if image_format == "JPEG":
        image.draft("RGB", display_size)  # decode at 1/2, 1/4 or 1/8 scale: a 12 MP photo is never fully decoded
    _load(image)
    exif = _read_exif(image)
    orientation = exif.get(ORIENTATION) if exif.get(ORIENTATION) in UPRIGHT else 1
    icc_profile = image.info.get("icc_profile")

    pixels = flatten_to_rgb_or_cmyk(image)
    if pixels.size != display_size:
        pixels = pixels.resize(display_size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    display = to_srgb(pixels, icc_profile)
    if orientation in UPRIGHT:
        display = display.transpose(UPRIGHT[orientation])
    thumb = display.resize(fit(display.size, thumb_px), Image.Resampling.LANCZOS, reducing_gap=2.0)

    width, height = stored_size if orientation < 5 else (stored_size[1], stored_size[0])
    lat, lon = _exif_gps(exif)
    return ProcessedPhoto(
        sha256=hashlib.sha256(data).hexdigest(), format=image_format, width=width, height=height,
        display=encode_jpeg(display, DISPLAY_QUALITY), thumb=encode_jpeg(thumb, THUMB_QUALITY),
        taken_at=_exif_taken_at(exif, tz), lat=lat, lon=lon,
    )


def _open_bounded(data: bytes, image_format: str, max_pixels: int) -> Image.Image:
    """Read the header only and refuse pixel bombs before a single pixel is decoded."""
    if Image.MAX_IMAGE_PIXELS:  # Pillow's own bomb limit counts too, whatever the setting says
        max_pixels = min(max_pixels, Image.MAX_IMAGE_PIXELS)
    try:
        with _WARNINGS_LOCK, warnings.catch_warnings():  # catch_warnings swaps global state: one thread at a time
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[image_format])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(None, max_pixels) from None
    except DECODE_ERRORS:
        raise _damaged(image_format) from None
    width, height = image.size
    if width * height > max_pixels:
        raise _too_many_pixels((width, height), max_pixels)
    return image


def _load(image: Image.Image) -> None:
    try:
        image.load()
    except Image.DecompressionBombError:
        raise _too_many_pixels(image.size, 0) from None
    except DECODE_ERRORS:
        raise _damaged(image.format or "image") from None


def _too_many_pixels(size: tuple[int, int] | None, max_pixels: int) -> Invalid:
    said = f"{size[0]} × {size[1]} pixels" if size else "far too many pixels"
    limit = f" (the limit is {max_pixels / 1e6:.0f} megapixels)" if max_pixels else ""
    return Invalid(f"This image has {said}{limit}; it is not a camera photo the server can take. "
                   "Send the photo as the camera took it.", code="too_many_pixels")


def _damaged(image_format: str) -> Invalid:
    return Invalid(f"This {image_format} file is damaged or incomplete (perhaps cut off during the transfer); "
                   "take or choose the photo again and resend it.", code="damaged_image")


def flatten_to_rgb_or_cmyk(image: Image.Image) -> Image.Image:
    """Palette, alpha, 16-bit and grey images as 8-bit RGB (transparency onto white); CMYK kept for to_srgb."""
    mode = image.mode
    if mode.startswith("I;16") or mode == "I":  # 16-bit grey: scale down, a plain convert would clip to white
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode == "P" or (image.mode in ("L", "RGB") and "transparency" in image.info):
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode in ("RGB", "CMYK"):
        return image
    return image.convert("RGB")


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """RGB in sRGB: the embedded colour profile is applied (CMYK print files, wide-gamut phones), then dropped."""
    if icc_profile and (image.mode == "CMYK" or not _is_srgb(icc_profile)):
        try:
            converted = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)), _SRGB,
                                                  outputMode="RGB")
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken profile: fall back to the plain conversion
    return image if image.mode == "RGB" else image.convert("RGB")


def _is_srgb(icc_profile: bytes) -> bool:
    try:
        return "srgb" in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))).lower()
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return True  # unreadable: treat as the default


def encode_jpeg(image: Image.Image, quality: int) -> bytes:
    """A fresh JPEG: no EXIF, no GPS, no ICC, no comment, nothing carried over from the upload."""
    image.info = {}  # Pillow copies some of .info (the JPEG comment) into what it saves
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _read_exif(image: Image.Image) -> Image.Exif:
    try:
        return image.getexif()
    except Exception:  # hostile metadata only costs us the metadata, never the photo
        return Image.Exif()


_EXIF_TIME = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def _exif_taken_at(exif: Image.Exif, tz: tzinfo) -> datetime | None:
    """DateTimeOriginal with its offset; without one, the camera's clock is taken as local time."""
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
        if not 1990 <= local.year <= 2200:
            return None
        return local.replace(tzinfo=zone).astimezone(timezone.utc)
    except Exception:  # any nonsense in the tags means "unknown", never an error
        return None


def _exif_gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    try:
        gps = exif.get_ifd(GPS_IFD)
        lat = _degrees(gps.get(2), gps.get(1), negative="S")
        lon = _degrees(gps.get(4), gps.get(3), negative="W")
    except Exception:
        return None, None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None  # 0,0 is what phones without a fix write
    return round(lat, 7), round(lon, 7)


def _degrees(values, ref, *, negative: str) -> float | None:  # type: ignore[no-untyped-def]
    if not isinstance(values, tuple) or len(values) != 3:
        return None
    degrees, minutes, seconds = (float(v) for v in values)
    value = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(value):
        return None
    return -value if (_text(ref) or "").upper().startswith(negative) else value


def _text(value) -> str | None:  # type: ignore[no-untyped-def]
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ").strip() if isinstance(value, str) else None
