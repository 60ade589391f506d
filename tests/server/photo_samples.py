"""Photos and not-quite-photos for the upload tests, made with Pillow on the spot."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

from PIL import Image, ImageDraw, TiffImagePlugin

BLUE, RED = (30, 60, 200), (220, 30, 30)
PHP = b"<?php system($_GET['cmd']); ?>"


def encode(image: Image.Image, fmt: str = "JPEG", **options) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def scene(size: tuple[int, int] = (400, 300)) -> Image.Image:
    """Blue, with a red block in the top-left corner: shows which way up the photo came back."""
    image = Image.new("RGB", size, BLUE)
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 5, size[1] // 5), fill=RED)
    return image


def noisy(size: tuple[int, int] = (400, 300), seed: int = 1) -> Image.Image:
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3)))


def plain_jpeg() -> bytes:
    return encode(scene(), quality=90)


def rotated_jpeg_with_gps() -> bytes:
    """Stored landscape, EXIF orientation 6 (turn 90° clockwise to view), GPS and local time with offset."""
    exif = Image.Exif()
    exif[0x0112] = 6
    gps = exif.get_ifd(0x8825)
    r = TiffImagePlugin.IFDRational
    gps.update({1: "N", 2: (r(41), r(44), r(4272, 100)), 3: "E", 4: (r(123), r(26), r(5604, 100))})
    exif.get_ifd(0x8769).update({0x9003: "2026:11:20 09:15:00", 0x9011: "+08:00"})
    return encode(scene(), quality=92, exif=exif)


def jpeg_local_time_without_offset() -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8769).update({0x9003: "2026:11:21 07:00:00"})
    return encode(scene(), exif=exif)


def cmyk_jpeg() -> bytes:
    return encode(Image.new("CMYK", (200, 150), (255, 0, 0, 0)), quality=95)  # pure cyan ink


def png_16bit() -> bytes:
    image = Image.new("I;16", (64, 48), 32768)  # mid grey in 16 bits; a naive convert shows it white
    return encode(image, "PNG")


def png_alpha() -> bytes:
    image = Image.new("RGBA", (120, 90), (0, 0, 0, 0))  # fully transparent…
    ImageDraw.Draw(image).rectangle((60, 0, 119, 89), fill=(*RED, 255))  # …left half, opaque red right half
    return encode(image, "PNG")


def png_palette_transparent() -> bytes:
    image = Image.new("P", (80, 60), 0)
    image.putpalette([0, 0, 0, *RED] + [0] * (256 * 3 - 6))
    ImageDraw.Draw(image).rectangle((40, 0, 79, 59), fill=1)
    return encode(image, "PNG", transparency=0)


def png_16bit_rgb() -> bytes:
    """RGB at 16 bits per channel, written by hand (Pillow cannot write it): orange."""
    width, height = 32, 24
    row = b"\x00" + struct.pack(">HHH", 0xFFFF, 0x8000, 0x0000) * width
    return _png(width, height, bit_depth=16, colour_type=2, raw=row * height)


def _png(width: int, height: int, *, bit_depth: int, colour_type: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def webp() -> bytes:
    return encode(scene(), "WEBP", quality=80)


def grey_jpeg() -> bytes:
    return encode(scene().convert("L"))


def jpeg_with_php_appended() -> bytes:
    return plain_jpeg() + PHP


def jpeg_with_php_in_comment() -> bytes:
    return encode(scene(), comment=PHP)


def jpeg_zip_polyglot() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload.php", PHP)
    return plain_jpeg() + archive.getvalue()


def jpeg_broken_icc() -> bytes:
    return encode(scene(), icc_profile=b"\x00\x00\x01\x00not a colour profile" * 8)


def jpeg_garbage_exif() -> bytes:
    return encode(scene(), exif=b"Exif\x00\x00" + b"MM\x00\x2a\x00\x00\x00\x08\xff\xff" + b"\x00\x01" * 50)


def png_pixel_bomb() -> bytes:
    """A tiny PNG whose header claims 30000 × 30000 pixels."""
    data = bytearray(encode(Image.new("1", (8, 8)), "PNG"))
    data[16:24] = struct.pack(">II", 30000, 30000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def jpeg_pixel_bomb() -> bytes:
    """A small JPEG whose frame header claims 60000 × 60000 pixels."""
    data = bytearray(plain_jpeg())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)
    return bytes(data)


def truncated_jpeg() -> bytes:
    data = encode(noisy(), quality=90)
    return data[: len(data) // 2]


def jpeg_header_then_text() -> bytes:
    return b"\xff\xd8\xff\xe0" + b"this is not really a photo" * 20


def corrupt_png() -> bytes:
    data = bytearray(encode(noisy((64, 48)), "PNG"))
    start = data.index(b"IDAT") + 4
    data[start + 10 : start + 200] = bytes(190)  # the compressed pixels zeroed out
    return bytes(data)


def html_named_jpg() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def svg() -> bytes:
    return b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'


def gif() -> bytes:
    return encode(scene(), "GIF")


def tiff() -> bytes:
    return encode(scene(), "TIFF")


def pdf() -> bytes:
    return encode(scene(), "PDF")


def heic() -> bytes:
    return b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(200)


def empty() -> bytes:
    return b""


def over_the_cap(cap: int = 20 * 1024 * 1024) -> bytes:
    return plain_jpeg() + bytes(cap)
