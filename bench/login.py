"""Does signing in stall other people's writes? Inspection PUT latency of one officer while 6 clients sign
in again and again, beside the same officer's latency with no sign-ins, in the same run, on a real server
with production Argon2 costs. The ratio (with ÷ without, medians) is what this benchmark is judged by: it
should stay at or under 1.5.

    .venv/bin/python bench/login.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.inspections import body, setup  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

SIGNERS = 6


def put_latencies(client: httpx.Client, site_id: str, items: list[dict], version: int, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        r = client.put(f"/api/v1/inspections/{uuid.uuid4()}", json=body(site_id, items, version))
        out.append(time.perf_counter() - start)
        assert r.status_code == 201, r.text
        time.sleep(0.02)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=40, help="inspection PUTs per phase")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="saferound-bench-login-"))
    # Production Argon2 costs: the point is what real password hashing does to everyone else.
    server = LiveServer.start(data_dir, argon2_time_cost="3", argon2_memory_kib="65536")
    try:
        admin = server.admin()
        signers = [admin.user("officer") for _ in range(SIGNERS)]
        headers, site_id, items, version = setup(server)
        client = httpx.Client(base_url=server.url, headers=headers, timeout=60)
        put_latencies(client, site_id, items, version, 5)  # warm up
        quiet = put_latencies(client, site_id, items, version, args.n)

        stop = threading.Event()
        sign_ins = [0]

        def sign_in_forever(user) -> None:  # type: ignore[no-untyped-def]
            with httpx.Client(base_url=server.url, timeout=60) as c:
                while not stop.is_set():
                    r = c.post("/api/v1/auth/token", data={"username": user.username, "password": user.password})
                    assert r.status_code == 200, r.text
                    sign_ins[0] += 1

        threads = [threading.Thread(target=sign_in_forever, args=(u,), daemon=True) for u in signers]
        for t in threads:
            t.start()
        time.sleep(1)
        busy = put_latencies(client, site_id, items, version, args.n)
        stop.set()
        for t in threads:
            t.join(60)
    finally:
        server.stop()
    q, b = statistics.median(quiet) * 1000, statistics.median(busy) * 1000
    print(f"inspection PUT median, no sign-ins:           {q:7.1f} ms")
    print(f"inspection PUT median, {SIGNERS} clients signing in:  {b:7.1f} ms   ({sign_ins[0]} sign-ins meanwhile)")
    print(f"ratio (judged, <= 1.5): {b / q:.2f}")


if __name__ == "__main__":
    main()
