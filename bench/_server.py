"""Start a real SafeRound server process for a benchmark: temp data dir, free port, admin account."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent / "saferound"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(extra_env: dict[str, str] | None = None):
    data_dir = Path(tempfile.mkdtemp(prefix="saferound-bench-"))
    env = {**os.environ, "SAFEROUND_DATA_DIR": str(data_dir), "SAFEROUND_SECRET_KEY": "bench-secret",
           "SAFEROUND_ARGON2_TIME_COST": "1", "SAFEROUND_ARGON2_MEMORY_KIB": "1024", **(extra_env or {})}
    subprocess.run([BIN, "init-db"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([BIN, "create-user", "--username", "admin", "--password", "bench-admin-pw", "--role", "admin"],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    proc = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(data_dir, ignore_errors=True)


def token(base: str, username: str, password: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
