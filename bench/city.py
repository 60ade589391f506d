"""A city quarter on PostgreSQL (issue 11): do pages cost what a page costs, whatever the history?

Builds, by COPY into a PostgreSQL this script starts (like tests/pg.py): 2,680 sites, 1,000 officers, 300
companies (two staff each), 19,000 inspections a week for 13 weeks (ten items each, ~5% failed), a hazard
per failed item in a state that fits its age, a notice per inspection whose hazards went past `open`.
Then serves it with `saferound serve` (one worker) and prints, for every read, p50/p95 over the HTTP API
and — for the list pages — the raw SQL time of the page query the server ran (taken from an in-process
app over the same database, executed on a bare psycopg connection), with the ratio API ÷ SQL.

Targets judged on the last lines: a middle page within 2× page 1; API ÷ SQL ≤ 5 for list pages; every
read's p95 under 100 ms; escalation with nothing to do under 50 ms; the admin's whole changes feed in
under 10 s.

    .venv/bin/python bench/city.py            # the full quarter (247,000 inspections; ~25 s to load, ~1 min to run)
    .venv/bin/python bench/city.py --quick    # a tenth of it, for a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rulebook.categories import CATEGORIES, PROFILE_FLAGS  # noqa: E402
from rulebook.hazards import default_deadline, hazard_id_for  # noqa: E402
from server.checklists.service import ChecklistRegistry, store_current_versions  # noqa: E402
from server.checklists.templates import default_checklists_dir  # noqa: E402
from server.config import Settings  # noqa: E402
from server.db import make_engine, migrate  # noqa: E402
from server.hazards.escalation import escalation_level  # noqa: E402
from server.paging import _encode  # noqa: E402
from server.security import create_token  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402
from tests.pg import PostgresServer, free_port  # noqa: E402

WEEKS = 13
ITEMS_PER_INSPECTION = 10
FAIL_RATE = 0.05
PAGE = 50
RUNS = 20


class Size:
    def __init__(self, quick: bool):
        f = 10 if quick else 1
        self.sites, self.officers, self.companies = 2680 // f, 1000 // f, 300 // f
        self.inspections_per_week = 19_000 // f


def hazard_status(rnd: random.Random, age_days: float) -> str:
    """Young hazards are mostly open or notified, old ones mostly closed; a few stay unfinished for long."""
    if age_days < 3:
        weights = (50, 35, 10, 3, 2, 0)
    elif age_days < 14:
        weights = (8, 20, 30, 12, 28, 2)
    elif age_days < 42:
        weights = (2, 5, 8, 5, 77, 3)
    else:
        weights = (0.5, 1, 2, 1.5, 92, 3)
    return rnd.choices(("open", "notified", "rectifying", "awaiting_verification", "closed", "cancelled"), weights)[0]


def copy_rows(conn: psycopg.Connection, table: str, columns: list[str], rows) -> int:  # type: ignore[no-untyped-def]
    count = 0
    quoted = ", ".join(f'"{c}"' for c in columns)
    with conn.cursor() as cur, cur.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def load_city(dsn: str, size: Size, settings: Settings, registry: ChecklistRegistry) -> dict:
    """Everything by COPY in one transaction; returns the ids the measurements use."""
    rnd = random.Random(11)
    now = datetime.now(UTC)
    level2_after = timedelta(days=settings.escalation_level2_after_days)
    admin_id = uuid.uuid4()
    orgs = [uuid.uuid4() for _ in range(size.companies)]
    officers = [uuid.uuid4() for _ in range(size.officers)]
    staff = [uuid.uuid4() for _ in range(size.companies * 2)]
    streets = [f"第{i}街道" for i in range(1, 41)]
    sites = []
    for i in range(size.sites):
        sites.append((uuid.uuid4(), f"社区{i:05d}", streets[i % len(streets)], orgs[i % size.companies]))
    officer_of = {s[0]: officers[i % size.officers] for i, s in enumerate(sites)}
    first_staff = {o: staff[i * 2] for i, o in enumerate(orgs)}
    profile = json.dumps({f: True for f in PROFILE_FLAGS})
    templates = {c: registry.current[c] for c in CATEGORIES}
    items = {c: t.items_for({f: True for f in PROFILE_FLAGS})[:ITEMS_PER_INSPECTION] for c, t in templates.items()}

    inspections, hazards, notices, links = [], [], [], []
    seq = 0
    for week in range(WEEKS):
        for _ in range(size.inspections_per_week):
            site_id, _name, _street, org_id = rnd.choice(sites)
            finished = now - timedelta(days=7 * week + rnd.random() * 7, minutes=5)
            category = rnd.choice(CATEGORIES)
            inspection_id = uuid.uuid4()
            answers, failed = [], []
            for item in items[category]:
                fail = rnd.random() < FAIL_RATE
                answers.append(
                    {"item_id": item.id, "result": "fail" if fail else "pass", "note": None, "photo_ids": []}
                )
                if fail:
                    failed.append(item)
            officer = officer_of[site_id]
            inspections.append(
                (
                    inspection_id,
                    site_id,
                    category,
                    templates[category].version,
                    officer,
                    finished - timedelta(minutes=20),
                    finished,
                    41.74,
                    123.45,
                    json.dumps(answers, ensure_ascii=False),
                    "[]",
                    "bench",
                    finished,
                )
            )
            on_notice = []
            for item in failed:
                age = (now - finished).total_seconds() / 86400
                status = hazard_status(rnd, age)
                severity = item.severity_on_fail.value
                deadline = default_deadline(found_at=finished, days=settings.deadline_days(severity), tz=settings.tz)
                closed_at = finished + timedelta(days=min(age, 2 + rnd.random() * 10)) if status == "closed" else None
                updated = closed_at or min(now, finished + timedelta(days=rnd.random() * min(age, 10)))
                seq += 1
                level = escalation_level(
                    type("H", (), {"status": status, "deadline": deadline})(), now=now, level2_after=level2_after
                )
                hazard_id = hazard_id_for(inspection_id, item.id)
                hazards.append(
                    (
                        hazard_id,
                        site_id,
                        category,
                        item.id,
                        inspection_id,
                        severity,
                        status,
                        1,
                        deadline,
                        org_id,
                        item.prompt.zh,
                        officer,
                        finished,
                        level,
                        finished,
                        updated,
                        closed_at,
                        seq,
                    )
                )
                if status not in ("open", "cancelled"):
                    on_notice.append(hazard_id)
            if on_notice:
                seq += 1
                notice_id = uuid.uuid4()
                issued = finished + timedelta(hours=rnd.random() * 20)
                issued = min(issued, now - timedelta(minutes=1))
                acknowledged = issued + timedelta(hours=3) if rnd.random() < 0.8 else None
                notices.append(
                    (
                        notice_id,
                        f"SR-{issued.year}-{len(notices) + 1:06d}",
                        org_id,
                        issued + timedelta(days=7),
                        "依据",
                        officer,
                        issued,
                        acknowledged,
                        first_staff[org_id] if acknowledged else None,
                        "bench",
                        seq,
                    )
                )
                links += [(notice_id, h) for h in on_notice]

    with psycopg.connect(dsn) as conn:
        copy_rows(
            conn,
            "organization",
            ["id", "name", "kind", "created_at", "updated_at"],
            ((o, f"物业公司{i:04d}", "property", now, now) for i, o in enumerate(orgs)),
        )
        users = [(admin_id, "admin", "admin", None)]
        users += [(o, f"officer{i:04d}", "officer", None) for i, o in enumerate(officers)]
        users += [(s, f"staff{i:04d}", "property", orgs[i // 2]) for i, s in enumerate(staff)]
        copy_rows(
            conn,
            "user",
            ["id", "username", "password_hash", "role", "organization_id", "display_name", "language", "is_active"]
            + ["token_generation", "created_at", "updated_at"],
            ((u, name, "x", role, org, name, "zh", True, 0, now, now) for u, name, role, org in users),
        )
        copy_rows(
            conn,
            "site",
            ["id", "name", "kind", "district", "street", "address", "lat", "lon", "property_org_id", "profile"]
            + ["created_at", "updated_at"],
            (
                (s, name, "community", "浑南区", street, "", 41.6 + rnd.random() * 0.3, 123.3 + rnd.random() * 0.4)
                + (org, profile, now, now)
                for s, name, street, org in sites
            ),
        )
        copy_rows(
            conn,
            "assignment",
            ["id", "officer_id", "site_id", "visits_per_week", "created_at", "updated_at"],
            ((uuid.uuid4(), officer_of[s[0]], s[0], 1, now - timedelta(seconds=i), now) for i, s in enumerate(sites)),
        )
        copy_rows(
            conn,
            "inspection",
            ["id", "site_id", "category", "template_version", "inspector_id", "started_at", "finished_at", "lat"]
            + ["lon", "answers", "presence_flags", "request_hash", "created_at"],
            inspections,
        )
        copy_rows(
            conn,
            "hazard",
            ["id", "site_id", "category", "item_id", "inspection_id", "severity", "status", "version", "deadline"]
            + ["organization_id", "description", "reported_by", "found_at", "escalation_level", "created_at"]
            + ["updated_at", "closed_at", "change_seq"],
            hazards,
        )
        copy_rows(
            conn,
            "notice",
            ["id", "number", "organization_id", "deadline", "basis", "issued_by", "issued_at", "acknowledged_at"]
            + ["acknowledged_by", "request_hash", "change_seq"],
            notices,
        )
        copy_rows(conn, "notice_hazard", ["notice_id", "hazard_id"], links)
        conn.execute("UPDATE change_counter SET seq = %s WHERE id = 1", (seq,))
        conn.execute(
            "INSERT INTO notice_counter (year, last) VALUES (%s, %s) ON CONFLICT (year) DO NOTHING",
            (now.year, len(notices)),
        )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    busiest_company = max(orgs, key=lambda o: sum(1 for s in sites if s[3] == o))
    return {
        "admin": admin_id,
        "officer": officers[0],
        "staff": first_staff[busiest_company],
        "company": busiest_company,
        "officer_sites": [s[0] for s in sites if officer_of[s[0]] == officers[0]],
        "street": streets[0],
        "counts": (len(sites), len(inspections), len(hazards), len(notices)),
    }


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def middle_cursor(dsn: str, table: str, key: str, where: str) -> str:
    with psycopg.connect(dsn) as conn:
        total = conn.execute(f"SELECT count(*) FROM {table} {where}").fetchone()[0]
        at, row_id = conn.execute(
            f"SELECT {key}, id FROM {table} {where} ORDER BY {key} DESC, id DESC OFFSET %s LIMIT 1", (total // 2,)
        ).fetchone()
    return _encode(at, row_id)


@contextmanager
def page_queries(engine, table: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import event

    seen: list = []  # the page query first, then every statement of the request (for the SQL total)

    def remember(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if f"FROM {table}" in statement and "LIMIT" in statement and not any(page for page, _ in seen):
            seen.insert(0, (True, (statement, parameters)))
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((False, (statement, parameters)))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the city, for a smoke run")
    args = parser.parse_args()
    size = Size(args.quick)
    pg = PostgresServer.start()
    data = Path(tempfile.mkdtemp(prefix="city-bench-"))
    server = None
    try:
        url = pg.create_database("city")
        dsn = f"host=127.0.0.1 port={pg.port} user=postgres dbname=city"
        secret = "bench-" + uuid.uuid4().hex + uuid.uuid4().hex
        settings = Settings(data_dir=data, database_url=url, secret_key=secret, escalation_interval_seconds=0)
        migrate(url)
        registry = ChecklistRegistry.from_directory(default_checklists_dir())
        engine = make_engine(url)
        from sqlmodel import Session

        with Session(engine) as session:
            store_current_versions(session=session, registry=registry)
        started = time.perf_counter()
        city = load_city(dsn, size, settings, registry)
        sites, inspections, hazards, notices = city["counts"]
        print(
            f"city: {sites} sites, {size.officers} officers, {size.companies} companies, {inspections} inspections, "
            f"{hazards} hazards, {notices} notices — loaded and analyzed in {time.perf_counter() - started:.0f} s"
        )
        tokens = {
            who: create_token(secret=secret, user_id=city[who], kind="access", lifetime=timedelta(hours=2))
            for who in ("admin", "officer", "staff")
        }
        env = {
            **os.environ,
            "SAFEROUND_DATA_DIR": str(data),
            "SAFEROUND_DATABASE_URL": url,
            "SAFEROUND_SECRET_KEY": secret,
            "SAFEROUND_ESCALATION_INTERVAL_SECONDS": "0",
            "SAFEROUND_WEEKLY_REPORT_INTERVAL_SECONDS": "0",
            "SAFEROUND_NOTIFY_INTERVAL_SECONDS": "0",
            "PYTHONPATH": str(REPO),
        }
        server = LiveServer(data_dir=data, port=free_port(), env=env)
        server.serve()
        base = f"{server.url}/api/v1"
        clients = {
            who: httpx.Client(base_url=base, headers={"Authorization": f"Bearer {t}"}, timeout=300)
            for who, t in tokens.items()
        }

        # The in-process app that shows which SQL each page runs (same code, same database).
        from fastapi.testclient import TestClient

        from server.main import create_app

        app_settings = Settings(
            data_dir=data,
            database_url=url,
            secret_key=secret,
            escalation_interval_seconds=0,
            weekly_report_interval_seconds=0,
            notify_interval_seconds=0,
        )
        inproc = TestClient(create_app(app_settings)).__enter__()
        raw = psycopg.connect(dsn, autocommit=True)

        def timed_api(who: str, path: str, params: dict) -> tuple[float, float, httpx.Response]:
            times = []
            response = None
            for _ in range(RUNS):
                start = time.perf_counter()
                response = clients[who].get(path, params=params)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (path, params, response.status_code, response.text[:300])
            return statistics.median(times), pct(times, 0.95), response

        def timed_sql(who: str, path: str, table: str, params: dict) -> tuple[float, float]:
            """Median raw time of the page query, and of every SELECT the request ran (auth included)."""
            with page_queries(inproc.app.state.engine, table) as seen:
                r = inproc.get(f"/api/v1{path}", params=params, headers={"Authorization": f"Bearer {tokens[who]}"})
                assert r.status_code == 200, r.text
            assert seen and seen[0][0], f"no page query on {table}"

            def run(statements: list) -> float:
                times = []
                for _ in range(RUNS):
                    start = time.perf_counter()
                    with raw.cursor() as cur:
                        for statement, parameters in statements:
                            cur.execute(statement, parameters)
                            cur.fetchall()
                    times.append((time.perf_counter() - start) * 1000)
                return statistics.median(times)

            return run([seen[0][1]]), run([q for page, q in seen[1:] if not page])

        org = city["company"]
        mine = ", ".join(f"'{s}'" for s in city["officer_sites"])
        lists = [
            ("hazards p1", "admin", "/hazards", "hazard", {}, None),
            ("hazards middle", "admin", "/hazards", "hazard", {}, ("hazard", "created_at", "")),
            ("hazards status=open p1", "admin", "/hazards", "hazard", {"status": "open"}, None),
            (
                "hazards status=open middle",
                "admin",
                "/hazards",
                "hazard",
                {"status": "open"},
                ("hazard", "created_at", "WHERE status = 'open'"),
            ),
            ("hazards status=closed middle", "admin", "/hazards", "hazard", {"status": "closed"}, None),
            (
                "hazards open+notified middle",
                "admin",
                "/hazards",
                "hazard",
                {"status": ["open", "notified"]},
                ("hazard", "created_at", "WHERE status IN ('open', 'notified')"),
            ),
            ("hazards severity=red middle", "admin", "/hazards", "hazard", {"severity": "red"}, None),
            ("hazards overdue p1", "admin", "/hazards", "hazard", {"overdue": "true"}, None),
            (
                "hazards overdue middle",
                "admin",
                "/hazards",
                "hazard",
                {"overdue": "true"},
                ("hazard", "created_at", "WHERE status NOT IN ('closed', 'cancelled') AND deadline < now()"),
            ),
            ("officer hazards p1", "officer", "/hazards", "hazard", {}, None),
            (
                "officer hazards middle",
                "officer",
                "/hazards",
                "hazard",
                {},
                ("hazard", "created_at", f"WHERE site_id IN ({mine})"),
            ),
            ("company hazards p1", "staff", "/hazards", "hazard", {}, None),
            (
                "company hazards middle",
                "staff",
                "/hazards",
                "hazard",
                {},
                ("hazard", "created_at", f"WHERE organization_id = '{org}'"),
            ),
            ("notices p1", "admin", "/notices", "notice", {}, None),
            ("notices middle", "admin", "/notices", "notice", {}, ("notice", "issued_at", "")),
            ("company notices p1", "staff", "/notices", "notice", {}, None),
            (
                "company notices middle",
                "staff",
                "/notices",
                "notice",
                {},
                ("notice", "issued_at", f"WHERE organization_id = '{org}'"),
            ),
            ("officer notices p1", "officer", "/notices", "notice", {}, None),
            ("inspections p1", "admin", "/inspections", "inspection", {}, None),
            ("inspections middle", "admin", "/inspections", "inspection", {}, ("inspection", "created_at", "")),
            ("officer inspections p1", "officer", "/inspections", "inspection", {}, None),
            (
                "officer inspections middle",
                "officer",
                "/inspections",
                "inspection",
                {},
                ("inspection", "created_at", f"WHERE site_id IN ({mine})"),
            ),
            ("sites p1", "admin", "/sites", "site", {}, None),
            ("sites middle", "admin", "/sites", "site", {}, "sites"),
            ("officer sites p1", "officer", "/sites", "site", {}, None),
            ("assignments p1", "admin", "/assignments", "assignment", {}, None),
        ]
        results: dict[str, tuple[float, float, float | None]] = {}
        all_sql_of: dict[str, float] = {}
        health_p50, health_p95, _ = timed_api("admin", "/health", {})
        print(f"\nGET /health (the HTTP + framework floor): p50 {health_p50:.1f} ms, p95 {health_p95:.1f} ms")
        me_p50, me_p95, _ = timed_api("officer", "/me", {})
        print(f"GET /me (an officer: signed in, two small statements): p50 {me_p50:.1f} ms, p95 {me_p95:.1f} ms")
        print(
            f"{'read':34s}{'API p50':>9s}{'API p95':>9s}{'SQL p50':>9s}{'API÷SQL':>9s}{'all SQL':>9s}{'API÷all':>9s}"
            f"   (ms, {RUNS} runs; all SQL: every SELECT of the request, run raw)"
        )
        for name, who, path, table, params, middle in lists:
            params = {"limit": PAGE, **params}
            if middle == "sites":
                with psycopg.connect(dsn) as c:
                    key, row_id = c.execute(
                        "SELECT name, id FROM site ORDER BY name, id OFFSET %s LIMIT 1", (sites // 2,)
                    ).fetchone()
                params["cursor"] = _encode(key, row_id)
            elif middle:
                params["cursor"] = middle_cursor(dsn, *middle)
            elif "middle" in name:  # no exact middle for this filter: the middle of the history
                params["cursor"] = middle_cursor(dsn, table, "created_at", "")
            p50, p95, _ = timed_api(who, path, params)
            sql, all_sql = timed_sql(who, path, table, params)
            results[name] = (p50, p95, sql)
            all_sql_of[name] = all_sql
            print(f"{name:34s}{p50:9.1f}{p95:9.1f}{sql:9.2f}{p50 / sql:9.1f}{all_sql:9.2f}{p50 / all_sql:9.1f}")

        others = [
            ("board (admin, city)", "admin", "/board", {}),
            ("board (street)", "admin", "/board", {"street": city["street"]}),
            ("map.geojson (admin)", "admin", "/map.geojson", {}),
            ("rounds (officer, this week)", "officer", "/rounds", {}),
            ("rounds (admin, city)", "admin", "/rounds", {}),
            ("changes feed p1 (officer)", "officer", "/sync/changes", {}),
            ("changes feed p1 (admin)", "admin", "/sync/changes", {"limit": 500}),
        ]
        for name, who, path, params in others:
            p50, p95, _ = timed_api(who, path, params)
            results[name] = (p50, p95, None)
            print(f"{name:34s}{p50:9.1f}{p95:9.1f}")

        start = time.perf_counter()
        pages, cursor, items = 0, None, 0
        while True:
            body = clients["admin"].get(
                "/sync/changes", params={"limit": 2000, **({"since": cursor} if cursor else {})}
            )
            assert body.status_code == 200, body.text[:300]
            page = body.json()
            pages += 1
            items += len(page["hazards"]) + len(page["notices"])
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        feed_s = time.perf_counter() - start
        print(f"\nadmin's whole changes feed: {items} records in {pages} pages of 2000, {feed_s:.1f} s")

        from server.hazards.escalation import refresh_escalations

        with Session(engine) as session:
            first = refresh_escalations(session=session, settings=app_settings)
        times = []
        for _ in range(5):
            with Session(engine) as session:
                start = time.perf_counter()
                changed = refresh_escalations(session=session, settings=app_settings)
                times.append((time.perf_counter() - start) * 1000)
        escalation_ms = statistics.median(times)
        print(f"escalation with nothing to do: {escalation_ms:.1f} ms (first run changed {first}, then {changed})")

        print("\ntargets")
        print(f"  {'middle page ÷ page 1':44s}{'API':>6s}{'SQL':>6s}")
        for list_name in (
            "hazards",
            "hazards status=open",
            "hazards overdue",
            "officer hazards",
            "company hazards",
            "notices",
            "company notices",
            "inspections",
            "officer inspections",
            "sites",
        ):
            api = results[f"{list_name} middle"][0] / results[f"{list_name} p1"][0]
            sql = results[f"{list_name} middle"][2] / results[f"{list_name} p1"][2]  # type: ignore[operator]
            verdict = "OK" if min(api, sql) <= 2 else "MISSED (≤ 2)"
            print(f"  {'  ' + list_name:44s}{api:6.2f}{sql:6.2f}  {verdict}")
        # API ÷ the SQL it issues: every statement of the request (the user, the page, its extras), run raw on
        # one connection; the "API time is 7-80× the SQL it issues". Where 5 × that SQL is less than a
        # signed-in request that does almost nothing (GET /me), no page of it can be ≤ 5 on this stack.
        over = [(results[n][0] / t, n, t) for n, t in all_sql_of.items() if results[n][0] / t > 5]
        print(
            f"  list API ÷ the SQL it issues ≤ 5: {len(all_sql_of) - len(over)} of {len(all_sql_of)} lists OK"
            + ("" if over else "  OK")
        )
        for ratio, n, t in sorted(over, reverse=True):
            floor = (
                "  (5 × its SQL is below GET /health, which reads no database: no request can)"
                if 5 * t < health_p50
                else "  (5 × its SQL is below GET /me, a signed-in request that does nothing)"
                if 5 * t < me_p50
                else ""
            )
            print(f"    MISSED (≤ 5): {n} {ratio:.1f} ({results[n][0]:.1f} ms for {t:.2f} ms of SQL){floor}")
        worst = max((r[0] / r[2], n) for n, r in results.items() if r[2])
        print(
            f"  list API ÷ the page query alone: worst {worst[0]:.1f} ({worst[1]})  "
            f"{'OK' if worst[0] <= 5 else 'MISSED (≤ 5)'}; the page queries take "
            f"{min(r[2] for r in results.values() if r[2]):.2f}-{max(r[2] for r in results.values() if r[2]):.2f} ms, "
            f"GET /health with no database {health_p50:.1f} ms"
        )
        slow = [f"{n} ({r[1]:.0f} ms)" for n, r in results.items() if r[1] >= 100]
        print(f"  reads with p95 ≥ 100 ms: {', '.join(slow) if slow else 'none — OK'}")
        print(
            f"  escalation with nothing to do {escalation_ms:.1f} ms  {'OK' if escalation_ms < 50 else 'MISSED (< 50)'}"
        )
        print(f"  admin's whole changes feed {feed_s:.1f} s  {'OK' if feed_s < 10 else 'MISSED (< 10 s)'}")
        raw.close()
        inproc.__exit__(None, None, None)
        engine.dispose()
    finally:
        if server is not None:
            server.stop()
        pg.stop()


if __name__ == "__main__":
    main()
