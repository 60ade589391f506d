"""Inspections per second through a real server, against the same server's trivial endpoint.

Submits N checklist runs of 12 answers (one failed item raising a hazard) from C concurrent
clients, then as many GET /health calls with the same concurrency. The figure is the ratio
inspections/s ÷ health/s, which a noisy machine moves much less than either number.

With --database postgresql the server runs on a throwaway PostgreSQL (started like the test suite's), and
--workers 1,3 serves with each worker count in turn (a fresh database each), printing them side by side
with the ratio of inspections/s to the first count's."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.live_server import LiveServer  # noqa: E402
from tests.pg import PostgresServer  # noqa: E402


def setup(server: LiveServer) -> tuple[dict, str, list[dict], int]:
    admin = server.admin()
    site = admin.site(admin.org(), has_gas=True)
    officer = admin.officer([site])
    token = httpx.post(
        f"{server.url}/api/v1/auth/token", data={"username": officer.username, "password": officer.password}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    template = httpx.get(f"{server.url}/api/v1/checklists/gas", headers=headers).json()
    items = [
        i for i in template["items"] if all(site["profile"].get(k) == v for k, v in i.get("applies_if", {}).items())
    ]
    return headers, site["id"], items[:12], template["version"]


def body(site_id: str, items: list[dict], version: int) -> dict:
    now = datetime.now(UTC)
    fail_index = next((n for n, i in enumerate(items) if not i["photo_required_on_fail"]), None)
    return {
        "site_id": site_id,
        "category": "gas",
        "template_version": version,
        "started_at": (now - timedelta(minutes=20)).isoformat(),
        "finished_at": now.isoformat(),
        "answers": [
            {"item_id": i["id"], "result": "fail" if n == fail_index else "pass", "photo_ids": []}
            for n, i in enumerate(items)
        ],
    }


def rate(fn, n: int, concurrency: int) -> float:
    with ThreadPoolExecutor(concurrency) as pool:
        start = time.perf_counter()
        results = list(pool.map(lambda _: fn(), range(n)))
        elapsed = time.perf_counter() - start
    assert all(results), "some requests failed"
    return n / elapsed


def run_once(database_url: str | None, workers: int, n: int, concurrency: int) -> tuple[float, float]:
    """(inspections/s, health/s) through one server."""
    data_dir = Path(tempfile.mkdtemp(prefix="saferound-bench-"))
    settings = {"database_url": database_url} if database_url else {}
    server = LiveServer.prepare(data_dir, **settings)
    server.serve(workers=workers, timeout=180)  # a loaded machine starts several workers slowly
    try:
        base = server.url
        headers, site_id, items, version = setup(server)
        if len(items) < 12:
            sys.exit(f"the gas checklist has only {len(items)} items for this site; the bench needs 12")
        client = httpx.Client(base_url=base, headers=headers, limits=httpx.Limits(max_connections=concurrency))

        def submit() -> bool:
            return (
                client.put(f"/api/v1/inspections/{uuid.uuid4()}", json=body(site_id, items, version)).status_code == 201
            )

        def health() -> bool:
            return client.get("/api/v1/health").status_code == 200

        rate(health, 50, concurrency)  # warm up
        rate(submit, 20, concurrency)
        inspections = rate(submit, n, concurrency)
        trivial = rate(health, n, concurrency)
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    return inspections, trivial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("-c", "--concurrency", type=int, default=4)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", default="1", help="worker counts to compare, e.g. 1,3")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    postgres = PostgresServer.start() if args.database == "postgresql" else None
    results = []
    try:
        for workers in counts:
            url = None
            if postgres is not None:
                name = f"bench_w{workers}_{uuid.uuid4().hex[:6]}"
                url = postgres.create_database(name)
            results.append((workers, *run_once(url, workers, args.n, args.concurrency)))
    finally:
        if postgres is not None:
            postgres.stop()
    print(f"database {args.database}, n={args.n} c={args.concurrency}, {os.cpu_count()} CPUs")
    for workers, inspections, trivial in results:
        print(
            f"--workers {workers}: inspections (12 answers, 1 hazard each) {inspections:8.1f} /s   "
            f"GET /health {trivial:8.1f} /s   ratio inspections/trivial {inspections / trivial:.2f}"
        )
    first = results[0][1]
    for workers, inspections, _ in results[1:]:
        print(f"inspections/s with --workers {workers} ÷ --workers {counts[0]}: {inspections / first:.2f}")


if __name__ == "__main__":
    main()
