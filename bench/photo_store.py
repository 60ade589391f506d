"""Photo store throughput: uploads and displays on local disk and on an S3 API (moto's server on loopback,
started like the test suite's), in the same run.

Two levels: the store alone (put an upload's three objects — original, display, thumb — and read display
copies back), and the whole API (PUT /api/v1/photos/{id} with a 2-megapixel camera-like JPEG, which decodes,
resizes and stores; then GET ?size=display, which reads the store). The figure is S3 ÷ disk for each
(moto is one Python process: a real object store behind a LAN is slower per request and faster in bulk)."""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from server.config import Settings  # noqa: E402
from server.main import create_app  # noqa: E402
from server.photos.storage import make_photo_store, photo_key  # noqa: E402
from tests.conftest import _prepare  # noqa: E402
from tests.factories import World  # noqa: E402
from tests.s3_server import MotoServer  # noqa: E402

BUCKET = "saferound-bench"


def camera_jpeg(seed: int, size: tuple[int, int] = (1800, 1200)) -> bytes:
    """A photo-like frame with noise (so JPEG cannot squeeze it flat), quality 90 like a phone."""
    image = Image.merge("RGB", [Image.linear_gradient("L").rotate(seed * 40 + c * 90).resize(size) for c in range(3)])
    draw = ImageDraw.Draw(image)
    for n in range(8):
        x, y = (seed * 397 + n * 211) % size[0], (seed * 131 + n * 173) % size[1]
        draw.rectangle((x, y, x + 300, y + 200), fill=((n * 60) % 256, (seed * 70) % 256, 90))
    noise = Image.merge("RGB", [Image.effect_noise(size, 30) for _ in range(3)])
    image = Image.blend(image.filter(ImageFilter.GaussianBlur(2)), noise, 0.15)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def per_second(fn: Callable[[int], object], count: int) -> float:
    start = time.perf_counter()
    for n in range(count):
        fn(n)
    return count / (time.perf_counter() - start)


def store_level(settings: Settings, photos: list[bytes], rounds: int) -> tuple[float, float]:
    """(uploads/s — three puts each, reads of a display copy/s) through the PhotoStore alone."""
    store = make_photo_store(settings)
    display, thumb = photos[0][: 300 * 1024], photos[0][: 20 * 1024]
    keys = []

    def put_upload(n: int) -> None:
        digest = uuid.uuid4().hex * 2
        store.put(photo_key(digest, "original"), photos[n % len(photos)])
        store.put(photo_key(digest, "display"), display)
        store.put(photo_key(digest, "thumb"), thumb)
        keys.append(photo_key(digest, "display"))

    uploads = per_second(put_upload, rounds)
    reads = per_second(lambda n: store.read(keys[n % len(keys)]), rounds * 3)
    return uploads, reads


def api_level(settings: Settings, photos: list[bytes], rounds: int) -> tuple[float, float]:
    """(photo uploads/s, display GETs/s) through the API, one client."""
    _prepare(settings.resolved_database_url)
    with TestClient(create_app(settings)) as client:
        world = World(client)
        officer = world.officer(world.site(world.org()))
        headers = world.headers(officer)
        ids = []

        def upload(n: int) -> None:
            photo_id = str(uuid.uuid4())
            response = client.put(
                f"/api/v1/photos/{photo_id}",
                headers=headers,
                files={"file": ("photo.jpg", photos[n % len(photos)], "image/jpeg")},
                data={"kind": "problem"},
            )
            assert response.status_code == 201, response.text
            ids.append(photo_id)

        def display(n: int) -> None:
            response = client.get(f"/api/v1/photos/{ids[n % len(ids)]}", params={"size": "display"}, headers=headers)
            assert response.status_code == 200 and response.content[:2] == b"\xff\xd8", response.status_code

        uploads = per_second(upload, rounds)
        displays = per_second(display, rounds * 3)
    return uploads, displays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    photos = [camera_jpeg(seed) for seed in range(args.rounds)]  # distinct photos: no upload is a duplicate
    root = Path(tempfile.mkdtemp(prefix="saferound-photo-store-"))
    moto = MotoServer()
    try:
        moto.create_bucket(BUCKET)
        results = {}
        for name in ("disk", "s3"):
            base = Settings(
                data_dir=root / name,
                database_url=f"sqlite:///{root / name / 'bench.db'}",
                secret_key="bench-" + uuid.uuid4().hex,
                escalation_interval_seconds=0,
                weekly_report_interval_seconds=0,
                notify_interval_seconds=0,
            )
            if name == "s3":
                base = base.model_copy(update={"photo_store": f"s3://{BUCKET}/{uuid.uuid4().hex}", **moto.settings()})
            results[name] = (*store_level(base, photos, args.rounds), *api_level(base, photos, args.rounds))
    finally:
        moto.stop()
    size = sum(map(len, photos)) / len(photos) / 1024
    print(f"{args.rounds} distinct {size:.0f} KiB JPEGs (1800×1200)")
    labels = ("store: uploads (3 puts)/s", "store: display reads/s", "API: photo uploads/s", "API: display GETs/s")
    print(f"{'':<28}{'disk':>10}{'S3 (moto)':>12}{'S3/disk':>10}")
    for n, label in enumerate(labels):
        disk, s3 = results["disk"][n], results["s3"][n]
        print(f"{label:<28}{disk:>10.1f}{s3:>12.1f}{s3 / disk:>10.3g}")


if __name__ == "__main__":
    main()
