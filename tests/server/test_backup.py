"""Backups that restore: a drill while clients write (SQLite, a live server and the real CLI), and a
PostgreSQL backup restored into a new database."""

from __future__ import annotations

import hashlib
import io
import random
import subprocess
import threading
import time
import uuid

import httpx
import psycopg
import pytest
from PIL import Image

from server.backup import BackupError, backup, restore, verify
from server.config import Settings
from tests.live_server import SAFEROUND, LiveServer, free_port

API = "/api/v1"


def random_jpeg(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (64, 48), tuple(rng.randrange(256) for _ in range(3)))
    image.putpixel((rng.randrange(64), rng.randrange(48)), (rng.randrange(256), 0, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def test_backup_while_four_clients_write_restores_every_acknowledged_record_and_photo(tmp_path):
    server = LiveServer.start(tmp_path / "data")
    try:
        admin = server.admin()
        site = admin.site(admin.org())
        officer = admin.officer([site])
        officer_client = httpx.Client(base_url=f"{server.url}{API}", timeout=30)
        token = officer_client.post("/auth/token", data={"username": officer.username, "password": officer.password})
        officer_client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

        acknowledged: list[tuple[float, str, str, str | None]] = []  # (when, kind, id, sha256)
        lock = threading.Lock()
        stop = threading.Event()

        def write_photos(worker: int) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                data = random_jpeg(worker * 100_000 + n)
                photo_id = str(uuid.uuid4())
                r = officer_client.put(
                    f"/photos/{photo_id}", files={"file": ("p.jpg", data, "image/jpeg")}, data={"kind": "scene"}
                )
                if r.status_code == 201:
                    with lock:
                        acknowledged.append((time.monotonic(), "photo", photo_id, hashlib.sha256(data).hexdigest()))

        def write_organizations(worker: int) -> None:
            while not stop.is_set():
                r = admin.client.post(
                    "/organizations", json={"name": f"公司{uuid.uuid4().hex[:10]}", "kind": "property"}
                )
                if r.status_code == 201:
                    with lock:
                        acknowledged.append((time.monotonic(), "organization", r.json()["id"], None))

        writers = [threading.Thread(target=write_photos, args=(i,)) for i in range(2)]
        writers += [threading.Thread(target=write_organizations, args=(i,)) for i in range(2)]
        for w in writers:
            w.start()
        time.sleep(1.5)
        backup_started = time.monotonic()
        dest = tmp_path / "backup"
        taken = subprocess.run([str(SAFEROUND), "backup", str(dest)], env=server.env, capture_output=True, text=True)
        time.sleep(0.5)
        stop.set()
        for w in writers:
            w.join(30)
        assert taken.returncode == 0, taken.stderr
        before = [a for a in acknowledged if a[0] < backup_started]
        assert len({a[1] for a in before}) == 2 and len(before) >= 8, before
    finally:
        server.stop()

    env = {**server.env, "SAFEROUND_DATA_DIR": str(tmp_path / "restored")}
    restored = subprocess.run([str(SAFEROUND), "restore", str(dest)], env=env, capture_output=True, text=True)
    assert restored.returncode == 0, restored.stderr
    assert oct((tmp_path / "restored" / "saferound.db").stat().st_mode & 0o777) == "0o600"
    again = LiveServer(data_dir=tmp_path / "restored", port=free_port(), env=env)
    again.serve()
    try:
        admin = again.admin()
        for _when, kind, record_id, sha in before:
            if kind == "organization":
                assert admin.client.get(f"/organizations/{record_id}").status_code == 200, record_id
            else:
                r = admin.client.get(f"/photos/{record_id}", params={"size": "original"})
                assert r.status_code == 200, record_id
                assert hashlib.sha256(r.content).hexdigest() == sha
    finally:
        again.stop()


def test_restore_refuses_a_changed_backup_and_a_database_in_use(tmp_path, settings, world):
    world.org()
    dest = tmp_path / "b"
    backup(settings, dest)
    with pytest.raises(BackupError, match="not empty"):
        restore(settings, dest)  # the live database itself
    (dest / next(iter(verify(dest)["files"]))).write_bytes(b"tampered")
    with pytest.raises(BackupError, match="changed"):
        verify(dest)


def test_postgresql_backup_restores_into_a_new_database(tmp_path, postgres, postgres_template):
    from fastapi.testclient import TestClient

    from server.main import create_app
    from tests.factories import World

    def new_database(template: str | None) -> str:
        name = f"b_{uuid.uuid4().hex[:12]}"
        dsn = f"host=127.0.0.1 port={postgres.port} user=postgres dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return postgres.url(name)

    def settings_for(url: str, data_dir) -> Settings:  # type: ignore[no-untyped-def]
        return Settings(
            data_dir=data_dir,
            database_url=url,
            secret_key="pg-drill-" + "k" * 32,
            argon2_time_cost=1,
            argon2_memory_kib=1024,
        )

    source = settings_for(new_database(postgres_template), tmp_path / "data")
    with TestClient(create_app(source)) as client:
        world = World(client)
        officer = world.officer(world.site(world.org()))
        photo_id = world.photo(officer)
        officer_headers = world.headers(officer)
        manifest = backup(source, tmp_path / "pgbackup")
    assert manifest["database"] == "postgresql"

    target = settings_for(new_database(None), tmp_path / "restored")
    restore(target, tmp_path / "pgbackup")
    with TestClient(create_app(target)) as client:
        assert client.get(f"{API}/me", headers=officer_headers).status_code == 200
        photo = client.get(f"{API}/photos/{photo_id}", params={"size": "original"}, headers=officer_headers)
        assert photo.status_code == 200
        assert hashlib.sha256(photo.content).hexdigest() in {v for k, v in manifest["files"].items() if "original" in k}
