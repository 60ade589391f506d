"""Photo ingest: the server's pipeline against the naive way, on 12-megapixel camera JPEGs.

The pipeline is server.photos.imaging.process_photo, the function every upload goes through: it
decodes JPEGs at reduced scale (draft), resizes, then turns the small image upright. The naive way
decodes every pixel, turns the full image upright, and resizes to 1600 and to 320 from the full
image. Both produce the same two JPEGs. The figure is naive ÷ pipeline per-photo median time,
measured in the same run (the target is at least 2×)."""

from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from server.photos import imaging  # noqa: E402

SIZE = (4000, 3000)
MAX_PIXELS = 50_000_000


def camera_jpeg(seed: int, orientation: int | None) -> bytes:
    """A photo-like frame: colour gradients, shapes with soft edges, sensor noise; quality 90 like a phone."""
    width, height = SIZE
    ramp = Image.linear_gradient("L")
    red = ramp.rotate(seed * 37 % 360).resize(SIZE)
    green = ramp.transpose(Image.Transpose.ROTATE_90).resize(SIZE)
    blue = Image.radial_gradient("L").resize(SIZE)
    image = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(image)
    for n in range(12):
        x, y = (seed * 997 + n * 613) % width, (seed * 211 + n * 389) % height
        draw.rectangle((x, y, x + 400 + n * 40, y + 300 + n * 25), fill=((n * 50) % 256, (seed * 80) % 256, 120))
    image = image.filter(ImageFilter.GaussianBlur(3))
    noise = Image.merge("RGB", [Image.effect_noise(SIZE, 28 + 4 * c) for c in range(3)])
    image = Image.blend(image, noise, 0.18)
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def naive(data: bytes) -> tuple[bytes, bytes]:
    """Decode everything, rotate the full image, resize both sizes from it."""
    hashlib.sha256(data).hexdigest()
    image = Image.open(io.BytesIO(data))
    image.load()
    orientation = image.getexif().get(0x0112, 1)
    if orientation in imaging.UPRIGHT:
        image = image.transpose(imaging.UPRIGHT[orientation])
    image = image.convert("RGB")
    display = image.resize(imaging.fit(image.size, 1600), Image.Resampling.LANCZOS)
    thumb = image.resize(imaging.fit(image.size, 320), Image.Resampling.LANCZOS)
    return imaging.encode_jpeg(display, imaging.DISPLAY_QUALITY), imaging.encode_jpeg(thumb, imaging.THUMB_QUALITY)


def pipeline(data: bytes) -> tuple[bytes, bytes]:
    processed = imaging.process_photo(data, max_pixels=MAX_PIXELS)
    return processed.display, processed.thumb


def timed(fn, data: bytes) -> tuple[float, tuple[bytes, bytes]]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(data)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    photos = [camera_jpeg(seed, 6 if seed % 2 else None) for seed in range(args.photos)]
    sizes = ", ".join(f"{len(p) / 1e6:.1f}" for p in photos)
    print(
        f"{len(photos)} camera JPEGs {SIZE[0]}×{SIZE[1]} q90 ({sizes} MB), "
        f"{sum(1 for s in range(args.photos) if s % 2)} with EXIF orientation 6; {args.rounds} rounds"
    )
    pipeline(photos[0]), naive(photos[0])  # warm up
    times: dict[str, list[float]] = {"pipeline": [], "naive": []}
    for _ in range(args.rounds):
        for data in photos:  # interleaved, so both see the same machine
            for name, fn in (("pipeline", pipeline), ("naive", naive)):
                seconds, (display, thumb) = timed(fn, data)
                times[name].append(seconds)
                shown, small = Image.open(io.BytesIO(display)), Image.open(io.BytesIO(thumb))
                assert max(shown.size) == 1600 and max(small.size) == 320, (name, shown.size, small.size)
                upright = Image.open(io.BytesIO(data)).getexif().get(0x0112) != 6
                assert (shown.width > shown.height) == upright, f"{name} did not stand the photo upright"

    pipe, slow = statistics.median(times["pipeline"]), statistics.median(times["naive"])
    print(f"pipeline (draft decode, resize, then rotate): {pipe * 1000:7.1f} ms per photo (median)")
    print(f"naive (full decode, rotate, resize from full): {slow * 1000:7.1f} ms per photo (median)")
    ratio = slow / pipe
    print(f"ratio naive/pipeline: {ratio:.2f}x (target >= 2x)")
    if ratio < 2:
        sys.exit("the pipeline is less than 2x faster than the naive way")


if __name__ == "__main__":
    main()
