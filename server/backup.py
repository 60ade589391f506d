"""Backups that restore: `saferound backup DIR` and `saferound restore DIR`.

A backup is taken while the server runs and writes. The database is copied first, as one consistent
snapshot (SQLite's online backup API, or pg_dump for PostgreSQL); photos are copied after it. Photo files
are content-addressed, written (and renamed into place) before the row that names them, and never changed,
so every photo the snapshot names is already on disk when the copy starts. The secret key comes along
(tokens stay valid; without it every user signs in again). manifest.json, written last, lists every file
with its sha256; restore checks them all before it writes anything."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from server.config import Settings

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
FORMAT = 1


class BackupError(RuntimeError):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    parsed = make_url(url)
    args = ["-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432), "-U", parsed.username or "postgres"]
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return [*args, "-d", parsed.database or "postgres"], env


def _snapshot_database(url: str, dest: Path) -> str:
    if url.startswith("sqlite:///"):
        source = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)
        target = sqlite3.connect(dest / SQLITE_FILE)
        try:
            with target:
                source.backup(target, pages=1024)  # in steps: writers are not held off for the whole copy
        finally:
            source.close()
            target.close()
        return SQLITE_FILE
    if url.startswith("postgresql"):
        args, env = _pg_args(url)
        result = subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(dest / PG_FILE), *args],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        return PG_FILE
    raise BackupError(f"cannot back up a database at {make_url(url).render_as_string(hide_password=True)}")


def backup(settings: Settings, dest: Path) -> dict:
    """Write a complete backup into `dest` (new or empty); returns the manifest."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty; back up into a new folder")
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    url = settings.resolved_database_url
    started = datetime.now(UTC)
    database_file = _snapshot_database(url, dest)
    files = {database_file: _sha256(dest / database_file)}

    photos_src = settings.photos_dir
    if photos_src.exists():
        for path in sorted(photos_src.rglob("*")):
            if not path.is_file() or path.name.startswith(".tmp-"):
                continue
            relative = path.relative_to(photos_src)
            target = dest / "photos" / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(path, target)
            except FileNotFoundError:  # removed since the listing: an upload that failed, named by no row
                continue
            files[f"photos/{relative.as_posix()}"] = _sha256(target)

    secret = settings.data_dir / "secret_key"
    if not settings.secret_key and secret.exists():
        shutil.copyfile(secret, dest / "secret_key")
        (dest / "secret_key").chmod(0o600)
        files["secret_key"] = _sha256(dest / "secret_key")

    manifest = {
        "format": FORMAT,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "database": "sqlite" if database_file == SQLITE_FILE else "postgresql",
        "secret_key": "included" if "secret_key" in files else "from SAFEROUND_SECRET_KEY (not included)",
        "files": files,
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    for path in dest.rglob("*"):
        if path.is_file():
            path.chmod(0o600)
    return manifest


def verify(src: Path) -> dict:
    """The manifest, after checking that every file it lists is there with its sha256."""
    src = Path(src)
    manifest_path = src / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{src} has no {MANIFEST}: not a finished SafeRound backup")
    manifest = json.loads(manifest_path.read_text())
    bad = [
        name
        for name, digest in manifest["files"].items()
        if not (src / name).is_file() or _sha256(src / name) != digest
    ]
    if bad:
        raise BackupError(f"{len(bad)} file(s) are missing or changed, e.g. {bad[0]}; nothing was restored")
    return manifest


def _database_is_empty(url: str) -> bool:
    from sqlalchemy import create_engine, inspect

    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists() or path.stat().st_size == 0:
            return True
    engine = create_engine(url)
    try:
        return "user" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def restore(settings: Settings, src: Path) -> dict:
    """Restore a verified backup into the configured data dir and database, which must be empty, then
    bring the schema to this version's newest (an upgrade restores an older backup the same way)."""
    from server.db import migrate, private_database_file

    src = Path(src)
    manifest = verify(src)
    url = settings.resolved_database_url
    if not _database_is_empty(url):
        raise BackupError("the target database is not empty; restore into a new data dir or database")
    kind = manifest["database"]
    if kind == "sqlite" and not url.startswith("sqlite:///"):
        raise BackupError("this backup is of SQLite; restore it with SAFEROUND_DATABASE_URL unset (or sqlite)")
    if kind == "postgresql" and not url.startswith("postgresql"):
        raise BackupError("this backup is of PostgreSQL; set SAFEROUND_DATABASE_URL to an empty database")

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        private_database_file(path)
        shutil.copyfile(src / SQLITE_FILE, path)
    else:
        args, env = _pg_args(url)
        result = subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", *args, str(src / PG_FILE)],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()}")

    for name in manifest["files"]:
        if name.startswith("photos/"):
            target = settings.photos_dir / name.removeprefix("photos/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / name, target)
    if "secret_key" in manifest["files"] and not settings.secret_key:
        secret = settings.data_dir / "secret_key"
        shutil.copyfile(src / "secret_key", secret)
        secret.chmod(0o600)
    migrate(url)
    return manifest
