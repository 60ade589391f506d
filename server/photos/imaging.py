"""From an uploaded file to evidence: identify it by its bytes, bound it, decode it at reduced
scale, stand it upright, re-encode clean JPEGs. Pure functions; no database, no files."""

from __future__ import annotations

import hashlib
import io
import struct
import threading
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TypeVar

from PIL import Image, ImageCms, UnidentifiedImageError

from rulebook import exif as exif_rules
from server.errors import Invalid, PayloadTooLarge, ServiceUnavailable, UnsupportedMediaType

T = TypeVar("T")
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
DISPLAY_QUALITY = 82
THUMB_QUALITY = 78

# EXIF tags (Pillow's Image.Exif speaks numbers).
ORIENTATION = 0x0112
# Orientation -> the transpose that stands the stored pixels upright.
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
DECODE_ERRORS = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    TypeError,
    KeyError,
    ZeroDivisionError,
    MemoryError,
)
_WARNINGS_LOCK = threading.Lock()


@dataclass(frozen=True)
class ProcessedPhoto:
    sha256: str
    format: str  # JPEG | PNG | WEBP, from the bytes
    width: int  # upright, as the photo stands
    height: int
    display: bytes  # re-encoded JPEG, no metadata
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
        raise Invalid("empty_file")
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    what = _describe(data)
    raise UnsupportedMediaType("unsupported_format", what=what)


def _describe(data: bytes) -> str:
    """What a file that is not an accepted photo is (a key of rulebook.messages.FILE_KINDS)."""
    head = data[:64]
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[4:8] == b"ftyp":
        return "heic" if head[8:12] in (b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif") else "video"
    if head[:4] == b"%PDF":
        return "pdf"
    if head[:4] == b"PK\x03\x04":
        return "zip"
    if head[:2] == b"BM":
        return "bmp"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<svg", b"<?xml")):
        return "svg"
    if text.startswith((b"<!doctype", b"<html", b"<")):
        return "html"
    return "unknown"


def fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """The size with its longest side at most `longest`, aspect kept, never enlarged.

    Rotation swaps width and height but not the longest side, so computing this on the stored
    (unrotated) size gives the right draft target for JPEG decoding; the transpose comes after."""
    width, height = size
    scale = min(1.0, longest / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


class DecodeGate:
    """At most `concurrency` decodes at once, on that many threads of the gate's own; a caller waits up to
    `wait_seconds` for one, then is told to come back (503 with Retry-After). Own threads matter as much as
    the count: the C allocator keeps freed memory per thread, so decodes spread over every request thread
    would each leave their peak behind."""

    def __init__(self, concurrency: int, wait_seconds: float):
        self._slots = threading.BoundedSemaphore(concurrency)
        self._threads = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="decode")
        self.wait_seconds = wait_seconds

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise ServiceUnavailable("decode_busy", seconds=max(1, round(self.wait_seconds)))
        try:
            yield
        finally:
            self._slots.release()

    def run(self, work: Callable[[], T]) -> T:
        with self.slot():
            return self._threads.submit(work).result()

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)


def bytes_per_pixel(image: Image.Image, image_format: str) -> int:
    """What one decoded pixel costs: bands × bytes per sample (WebP decodes through RGBA whatever it says)."""
    mode = image.mode
    sample = 2 if mode.startswith("I;16") else 4 if mode in ("I", "F") else 1
    bands = Image.getmodebands(mode) if mode in Image.MODES or mode.startswith("I;16") else 4
    if image_format == "WEBP":
        bands = max(bands, 4)
    return max(1, bands) * sample


def process_photo(
    data: bytes,
    *,
    max_pixels: int,
    tz: tzinfo = UTC,
    display_px: int = 1600,
    thumb_px: int = 320,
    max_decoded_bytes: int = 100 * 1024 * 1024,
    gate: DecodeGate | None = None,
) -> ProcessedPhoto:
    """The pipeline every upload goes through (the route and the benchmark call this)."""
    image_format = sniff_format(data)
    image = _open_bounded(data, image_format, max_pixels)
    stored_size = image.size
    display_size = fit(stored_size, display_px)
    if image_format == "JPEG":
        image.draft("RGB", display_size)  # decode at 1/2, 1/4 or 1/8 scale: a 12 MP photo is never fully decoded
    # Budget what decoding will allocate (after the JPEG draft), not megapixels: a 1.9 KB lossless WebP of
    # 7000 × 7000 decodes to 196 MB.
    decoded = image.size[0] * image.size[1] * bytes_per_pixel(image, image_format)
    if decoded > max_decoded_bytes:
        raise PayloadTooLarge(
            "image_too_big_to_decode",
            pixels=f"{stored_size[0]} × {stored_size[1]}",
            decoded_mb=round(decoded / 1024 / 1024),
            limit_mb=round(max_decoded_bytes / 1024 / 1024),
        )

    def finish() -> ProcessedPhoto:
        return _finish(image, data, image_format, stored_size, display_size, tz, thumb_px)

    return gate.run(finish) if gate else finish()


def _finish(
    image: Image.Image,
    data: bytes,
    image_format: str,
    stored_size: tuple[int, int],
    display_size: tuple[int, int],
    tz: tzinfo,
    thumb_px: int,
) -> ProcessedPhoto:
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
    lat, lon = exif_rules.position(exif)
    return ProcessedPhoto(
        sha256=hashlib.sha256(data).hexdigest(),
        format=image_format,
        width=width,
        height=height,
        display=encode_jpeg(display, DISPLAY_QUALITY),
        thumb=encode_jpeg(thumb, THUMB_QUALITY),
        taken_at=_utc(exif_rules.taken_at(exif, tz)),
        lat=lat,
        lon=lon,
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
    return Invalid(
        "too_many_pixels",
        pixels=f"{size[0]} × {size[1]}" if size else "…",
        limit=f"{max_pixels / 1e6:.0f} MP" if max_pixels else "…",
    )


def _damaged(image_format: str) -> Invalid:
    return Invalid("damaged_image", format=image_format)


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
            converted = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)), _SRGB, outputMode="RGB"
            )
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


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment else None
