"""Sizing from a generated sample, not a guess: the demo district (about sixty sites with a year of rounds,
hazards in every state, notices, trainings) is loaded into a fresh database, and its growth is divided by the
inspections it holds; photo records are measured by adding 2,000 of them; photo bytes by running phone-sized
JPEGs (1600 px, quality 85, what the app uploads) through the server's own pipeline (original + display +
thumb are stored). Then scaled to the reference city: 19,000 inspections and 50,000 photos a week.

    python bench/sizing.py              # SQLite and, when its binaries are installed, PostgreSQL"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import uuid
from pathlib import Path

from PIL import Image
from sqlalchemy import func, text
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.photo_store import camera_jpeg  # noqa: E402
from server.config import Settings  # noqa: E402
from server.db import make_engine, migrate  # noqa: E402
from server.demo import seed  # noqa: E402
from server.inspections.models import Inspection  # noqa: E402
from server.photos.imaging import process_photo  # noqa: E402
from server.photos.models import Photo, PhotoLink  # noqa: E402
from server.sites.models import Site  # noqa: E402
from server.users.models import User  # noqa: E402
from tests.pg import PostgresServer  # noqa: E402

INSPECTIONS_PER_WEEK = 19_000
PHOTOS_PER_WEEK = 50_000
WEEKS = 52
PHOTO_ROWS = 2_000


def database_bytes(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        if engine.url.get_backend_name() == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
            free = conn.exec_driver_sql("PRAGMA freelist_count").scalar()
            return (pages - free) * conn.exec_driver_sql("PRAGMA page_size").scalar()
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar())


def add_photo_rows(engine, count: int) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        user = session.exec(select(User)).first()
        inspections = session.exec(select(Inspection.id, Inspection.site_id).limit(count)).all()
        for n in range(count):
            inspection_id, site_id = inspections[n % len(inspections)]
            photo = Photo(
                id=uuid.uuid4(),
                sha256=uuid.uuid4().hex * 2,
                kind="problem",
                content_type="image/jpeg",
                size_bytes=420_000,
                width=1600,
                height=1200,
                lat=41.74,
                lon=123.45,
                uploaded_by=user.id,
                request_hash=uuid.uuid4().hex * 2,
            )
            session.add(photo)
            session.add(PhotoLink(photo_id=photo.id, site_id=site_id, inspection_id=inspection_id))
        session.commit()


def measure_database(url: str, data_dir: Path) -> dict[str, float]:
    migrate(url)
    engine = make_engine(url)
    if engine.url.get_backend_name() == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    empty = database_bytes(engine)
    settings = Settings(data_dir=data_dir, database_url=url, argon2_time_cost=1, argon2_memory_kib=1024)
    seed(settings)
    if engine.url.get_backend_name() == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    seeded = database_bytes(engine)
    with Session(engine) as session:
        inspections = session.exec(select(func.count()).select_from(Inspection)).one()
        sites = session.exec(select(func.count()).select_from(Site)).one()
    add_photo_rows(engine, PHOTO_ROWS)
    if engine.url.get_backend_name() == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    with_photos = database_bytes(engine)
    engine.dispose()
    return {
        "sites": sites,
        "inspections": inspections,
        "per_inspection": (seeded - empty) / inspections,
        "per_photo_row": (with_photos - seeded) / PHOTO_ROWS,
    }


def phone_jpeg(seed_: int) -> bytes:
    """What the app uploads: the camera frame scaled to 1600 px on its long side, quality 85."""
    image = Image.open(io.BytesIO(camera_jpeg(seed_, (3200, 2400))))
    image.thumbnail((1600, 1600), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def measure_photo_bytes(samples: int, photos_dir: Path | None) -> tuple[float, float]:
    """(bytes stored per photo: the original as uploaded, the display copy and the thumbnail; of which original)
    from synthetic frames, or from your own phone photos (JPEGs as the app uploads them) in photos_dir."""
    files = sorted(photos_dir.glob("*.jp*g"))[:samples] if photos_dir else []
    samples = len(files) or samples
    total = originals = 0
    for n in range(samples):
        original = files[n].read_bytes() if files else phone_jpeg(n)
        processed = process_photo(original, max_pixels=50_000_000)
        total += len(original) + len(processed.display) + len(processed.thumb)
        originals += len(original)
    return total / samples, originals / samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--photos", type=int, default=6)
    parser.add_argument("--photos-dir", type=Path, help="measure your own phone photos (*.jpg) instead")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="saferound-sizing-"))
    results = {"sqlite": measure_database(f"sqlite:///{root / 'sizing.db'}", root / "sqlite")}
    if not args.no_postgres:
        pg = PostgresServer.start()
        try:
            results["postgresql"] = measure_database(pg.create_database("sizing"), root / "pg")
        finally:
            pg.stop()
    photo, original = measure_photo_bytes(args.photos, args.photos_dir)
    per_year_inspections, per_year_photos = INSPECTIONS_PER_WEEK * WEEKS, PHOTOS_PER_WEEK * WEEKS
    print(
        f"photo: {photo / 1024:.0f} KiB stored per photo (original {original / 1024:.0f} KiB + display + thumb, "
        f"{'photos from ' + str(args.photos_dir) if args.photos_dir else 'synthetic samples'})"
    )
    print(f"photos per year: {per_year_photos:,} -> {per_year_photos * photo / 1e9:,.0f} GB of object storage")
    for name, r in results.items():
        per_year = per_year_inspections * r["per_inspection"] + per_year_photos * r["per_photo_row"]
        print(
            f"{name}: sample {r['sites']} sites, {r['inspections']:,} inspections; "
            f"{r['per_inspection'] / 1024:.1f} KiB per inspection (with its hazards, notices, history), "
            f"{r['per_photo_row']:.0f} B per photo record -> {per_year / 1e9:.1f} GB of database per year"
        )


if __name__ == "__main__":
    main()
