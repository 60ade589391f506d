"""The operator's commands, as a new user runs them: init-db, create-user, seed-demo, serve."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.pg import free_port

BIN = Path(sys.executable).parent / "saferound"


def run(env, *args):
    return subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=120)


def test_fresh_data_dir_to_serving_demo_checklists(tmp_path):
    env = {**os.environ, "SAFEROUND_DATA_DIR": str(tmp_path / "var")}
    env.pop("SAFEROUND_SECRET_KEY", None)
    assert run(env, "init-db").returncode == 0
    assert (tmp_path / "var" / "saferound.db").exists()

    made = run(env, "create-user", "--username", "chief", "--password", "Harbour-lamp-2026", "--role", "admin")
    assert made.returncode == 0 and "Created admin 'chief'" in made.stdout
    taken = run(env, "create-user", "--username", "chief", "--password", "Harbour-lamp-2026", "--role", "admin")
    assert taken.returncode == 2 and "taken" in taken.stderr
    short = run(env, "create-user", "--username", "xavier", "--password", "short", "--role", "admin")
    assert short.returncode == 2 and "password" in short.stderr

    seeded = run(env, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    assert "zhangwei" in seeded.stdout and "saferound-demo" in seeded.stdout
    assert "already there" in run(env, "seed-demo").stdout

    port = free_port()
    server = subprocess.Popen(
        [str(BIN), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        for _ in range(200):
            try:
                httpx.get(f"{base}/health")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        token = httpx.post(f"{base}/auth/token", data={"username": "zhangwei", "password": "saferound-demo"})
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        checklists = httpx.get(f"{base}/checklists", headers=headers).json()
        assert len(checklists) == 7
        hazards = httpx.get(f"{base}/hazards", params={"status": "open"}, headers=headers).json()["items"]
        assert hazards, "the demo officer has open hazards to work on"
        week = httpx.get(f"{base}/rounds", headers=headers).json()
        assert len(week["sites"]) == 3 and any(site["done"] for site in week["sites"])
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    assert "docs at" in output
    # the generated signing secret is kept for the next start, readable by the owner only
    secret = tmp_path / "var" / "secret_key"
    assert secret.exists() and oct(secret.stat().st_mode & 0o777) == "0o600"
