"""The console with a city's data: 2,680 sites, 100,000 hazards, a quarter of a week's inspections.

Times the board (GET /api/v1/board), the map (GET /api/v1/map.geojson) and a filtered ledger page (the
console's /ledger) — the median of five calls each — beside GET /api/v1/health in the same run; the ratio
to health is what this is judged by (each should answer well under a second). Then streams the XLSX export
of all 100,000 rows and prints the server process's peak RSS before and after (bounded memory).

    .venv/bin/python bench/console.py
"""

from __future__ import annotations

import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rulebook.categories import CATEGORIES, PROFILE_FLAGS, SEVERITIES  # noqa: E402
from rulebook.lifecycle import STATUSES  # noqa: E402
from server.db import make_engine  # noqa: E402
from server.hazards.models import Hazard, HazardTransition  # noqa: E402
from server.inspections.models import Inspection  # noqa: E402
from server.sites.models import Assignment, Site  # noqa: E402
from server.users.models import Organization, User  # noqa: E402
from tests.live_server import ADMIN_PASSWORD, LiveServer  # noqa: E402

SITES, HAZARDS, INSPECTIONS, COMPANIES, OFFICERS = 2680, 100_000, 19_000 // 4, 300, 3500
STREETS = [f"第{i}街道" for i in range(1, 41)]


def load_city(url: str, admin_id: uuid.UUID) -> None:
    rnd = random.Random(7)
    now = datetime.now(UTC)
    engine = make_engine(url)
    orgs = [
        {"id": uuid.uuid4(), "name": f"物业公司{i}", "kind": "property", "created_at": now, "updated_at": now}
        for i in range(COMPANIES)
    ]
    sites = [
        {
            "id": uuid.uuid4(),
            "name": f"社区{i}",
            "kind": "community",
            "district": "浑南区",
            "street": STREETS[i % len(STREETS)],
            "address": "",
            "lat": 41.6 + rnd.random() * 0.3,
            "lon": 123.3 + rnd.random() * 0.4,
            "property_org_id": orgs[i % COMPANIES]["id"],
            "profile": {f: True for f in PROFILE_FLAGS},
            "created_at": now,
            "updated_at": now,
        }
        for i in range(SITES)
    ]
    officers = [
        {
            "id": uuid.uuid4(),
            "username": f"officer{i}",
            "password_hash": "x",
            "role": "officer",
            "display_name": f"安全员{i}",
            "language": "zh",
            "is_active": True,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(OFFICERS)
    ]
    assignments = [
        {
            "id": uuid.uuid4(),
            "officer_id": officers[i % OFFICERS]["id"],
            "site_id": s["id"],
            "visits_per_week": 1,
            "created_at": now,
            "updated_at": now,
        }
        for i, s in enumerate(sites)
    ]
    inspections = []
    for _ in range(INSPECTIONS):
        site = rnd.choice(sites)
        finished = now - timedelta(hours=rnd.randrange(1, 24 * 6))
        inspections.append(
            {
                "id": uuid.uuid4(),
                "site_id": site["id"],
                "category": rnd.choice(CATEGORIES),
                "template_version": 1,
                "inspector_id": officers[0]["id"],
                "started_at": finished - timedelta(minutes=20),
                "finished_at": finished,
                "answers": [],
                "request_hash": "bench",
                "created_at": finished,
            }
        )
    hazards, steps = [], []
    for i in range(HAZARDS):
        site = sites[i % SITES]
        found = now - timedelta(hours=rnd.randrange(1, 24 * 365))
        status = rnd.choices(STATUSES, weights=(5, 5, 5, 3, 70, 5))[0]
        hid = uuid.uuid4()
        hazards.append(
            {
                "id": hid,
                "site_id": site["id"],
                "category": rnd.choice(CATEGORIES),
                "item_id": None,
                "inspection_id": None,
                "severity": rnd.choice(SEVERITIES),
                "status": status,
                "version": 1,
                "deadline": found + timedelta(days=7),
                "organization_id": site["property_org_id"],
                "description": f"隐患描述 {i}",
                "reported_by": officers[i % OFFICERS]["id"],
                "found_at": found,
                "escalation_level": 0,
                "request_hash": None,
                "created_at": found,
                "updated_at": found,
                "closed_at": found + timedelta(days=3) if status == "closed" else None,
                "change_seq": i + 1,
            }
        )
        steps.append(
            {
                "id": uuid.uuid5(hid, "created"),
                "hazard_id": hid,
                "action": "raise",
                "from_status": "",
                "to_status": "open",
                "actor_id": officers[i % OFFICERS]["id"],
                "note": None,
                "photo_ids": [],
                "request_hash": None,
                "result": {},
                "created_at": found,
            }
        )
    with engine.begin() as conn:
        for table, rows in (
            (Organization, orgs),
            (Site, sites),
            (User, officers),
            (Assignment, assignments),
            (Inspection, inspections),
            (Hazard, hazards),
            (HazardTransition, steps),
        ):
            for start in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[start : start + 5000])
    engine.dispose()


def median_ms(client: httpx.Client, path: str, runs: int = 5, **params) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path, params=params)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return statistics.median(times)


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    server = LiveServer.prepare(Path(tempfile.mkdtemp(prefix="console-bench-")), escalation_interval_seconds=0)
    started = time.perf_counter()
    load_city(f"sqlite:///{server.db_path}", uuid.uuid4())
    print(
        f"loaded {SITES} sites, {HAZARDS} hazards, {INSPECTIONS} inspections in {time.perf_counter() - started:.1f} s"
    )
    server.serve()
    base = server.url
    try:
        token = httpx.post(f"{base}/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}).json()[
            "access_token"
        ]
        api = httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=300)
        web = httpx.Client(base_url=base, timeout=300)
        csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', web.get("/login").text).group(1)
        assert web.post(
            "/login", data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": csrf}
        ).status_code in (200, 303)
        health = median_ms(api, "/health")
        figures = {
            "board": median_ms(api, "/board"),
            "map.geojson": median_ms(api, "/map.geojson"),
            "ledger page (street + open + red)": median_ms(
                web, "/ledger", street="第3街道", status="rectifying", severity="red"
            ),
            "ledger page (all, newest first)": median_ms(web, "/ledger"),
        }
        print(f"GET /health                         {health:8.1f} ms")
        for name, ms in figures.items():
            print(f"{name:36s}{ms:8.1f} ms   ratio to health {ms / health:7.1f}   {'OK' if ms < 1000 else 'SLOW'}")
        before = peak_rss_mib(server.process.pid)
        start = time.perf_counter()
        size = 0
        with api.stream("GET", "/hazards/export.xlsx") as response:
            for chunk in response.iter_bytes():
                size += len(chunk)
        print(
            f"XLSX export of {HAZARDS} rows: {size / 1e6:.1f} MB in {time.perf_counter() - start:.1f} s; "
            f"server peak RSS {before:.0f} MiB before, {peak_rss_mib(server.process.pid):.0f} MiB after"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
