"""A real SafeRound server process on loopback, for tests and benchmarks that talk HTTP.

    server = LiveServer.start(tmp_dir)      # init-db, create-user admin, serve on a free port
    admin = server.admin()                  # an httpx client signed in as that admin
    org = admin.org(); site = admin.site(org); officer = admin.officer([site])
    ...
    server.stop()                           # by PID: terminate, then kill

The server's own SQLite file (server.db_path) may be read to count what it holds.
"""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from rulebook.categories import PROFILE_FLAGS
from tests.pg import free_port

ROOT = Path(__file__).resolve().parents[1]
SAFEROUND = Path(sys.executable).parent / "saferound"
ADMIN_PASSWORD = "Lantern-harbour-91"
PASSWORD = "officer-password-1"
FULL_PROFILE = {**{flag: True for flag in PROFILE_FLAGS}, "building_count": 10, "household_count": 800}
_seq = itertools.count(1)


@dataclass
class LiveServer:
    data_dir: Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "saferound.db"

    @classmethod
    def prepare(cls, data_dir: Path, port: int | None = None, **settings: str) -> LiveServer:
        """Migrate a fresh database and create the admin, without serving yet."""
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **{k: v for k, v in os.environ.items() if k != "SAFEROUND_DATABASE_URL"},  # SQLite unless given
            "SAFEROUND_DATA_DIR": str(data_dir),
            "SAFEROUND_SECRET_KEY": "live-" + uuid.uuid4().hex,
            "SAFEROUND_ARGON2_TIME_COST": "1",
            "SAFEROUND_ARGON2_MEMORY_KIB": "1024",
            **{f"SAFEROUND_{k.upper()}": str(v) for k, v in settings.items()},
        }
        subprocess.run([str(SAFEROUND), "init-db"], env=env, check=True, capture_output=True, cwd=ROOT)
        subprocess.run(
            [str(SAFEROUND), "create-user", "--username", "admin", "--password", ADMIN_PASSWORD, "--role", "admin"],
            env=env,
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        return cls(data_dir=data_dir, port=port or free_port(), env=env)

    @classmethod
    def start(cls, data_dir: Path, port: int | None = None, **settings: str) -> LiveServer:
        server = cls.prepare(data_dir, port, **settings)
        server.serve()
        return server

    def serve(self, timeout: float = 120.0, workers: int = 1) -> None:  # several workers on a busy machine: slow
        self.log_path = self.data_dir / "server.log"
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(SAFEROUND), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the server did not come up in {timeout} s")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def paths(self) -> set[str]:
        return set(httpx.get(f"{self.url}/api/v1/openapi.json", timeout=10).json()["paths"])

    def admin(self) -> Admin:
        return Admin.sign_in(self.url, "admin", ADMIN_PASSWORD)

    def count(self, table: str, where: str = "1=1", args: tuple = ()) -> int:
        """Rows in one of the server's tables (read-only peek at its SQLite file)."""
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as conn:
            return conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", args).fetchone()[0]  # noqa: S608

    def ids(self, table: str, where: str = "1=1", args: tuple = ()) -> set[str]:
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as conn:
            return {str(uuid.UUID(str(r[0]))) for r in conn.execute(f"SELECT id FROM {table} WHERE {where}", args)}  # noqa: S608


@dataclass
class Officer:
    username: str
    password: str
    id: str
    site_ids: list[str] = field(default_factory=list)


class Admin:
    """The district coordinator, through the admin API."""

    def __init__(self, client: httpx.Client):
        self.client = client

    @classmethod
    def sign_in(cls, url: str, username: str, password: str) -> Admin:
        client = httpx.Client(base_url=f"{url}/api/v1", timeout=30, headers={"Accept-Language": "en"})
        token = client.post("/auth/token", data={"username": username, "password": password})
        token.raise_for_status()
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        return cls(client)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(path, json=body)
        if response.status_code != 201:
            raise AssertionError(f"POST {path} -> {response.status_code} {response.text}")
        return response.json()

    def org(self, name: str | None = None) -> dict[str, Any]:
        return self._post(
            "/organizations", {"name": name or f"物业公司{next(_seq)}-{uuid.uuid4().hex[:6]}", "kind": "property"}
        )

    def site(self, org: dict[str, Any] | None = None, name: str | None = None, **profile: Any) -> dict[str, Any]:
        return self._post(
            "/sites",
            {
                "name": name or f"测试社区{next(_seq)}",
                "kind": "community",
                "district": "浑南区",
                "street": "五三街道",
                "address": "1号",
                "lat": 41.74,
                "lon": 123.45,
                "property_org_id": org["id"] if org else None,
                "profile": {**FULL_PROFILE, **profile},
            },
        )

    def user(self, role: str, org: dict[str, Any] | None = None) -> Officer:
        username = f"{role}{next(_seq)}_{uuid.uuid4().hex[:6]}"
        user = self._post(
            "/users",
            {
                "username": username,
                "password": PASSWORD,
                "role": role,
                "organization_id": org["id"] if org else None,
                "display_name": username,
            },
        )
        return Officer(username, PASSWORD, user["id"])

    def officer(self, sites: list[dict[str, Any]]) -> Officer:
        officer = self.user("officer")
        for site in sites:
            self.assign(officer, site)
        return officer

    def assign(self, officer: Officer, site: dict[str, Any]) -> None:
        self._post("/assignments", {"officer_id": officer.id, "site_id": site["id"], "visits_per_week": 1})
        officer.site_ids.append(site["id"])

    def get(self, path: str, **params: Any) -> Any:
        """The JSON answer; for a paged list ({items, next_cursor}), every item of every page."""
        response = self.client.get(path, params=params)
        response.raise_for_status()
        body = response.json()
        if isinstance(body, dict) and set(body) == {"items", "next_cursor"}:
            items = body["items"]
            while body["next_cursor"]:
                body = self.get_page(path, cursor=body["next_cursor"], **params)
                items += body["items"]
            return items
        return body

    def get_page(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self.client.close()
