"""Reports on a city-year, on PostgreSQL: the whole city's quarter and one street's week, each beside the same
core aggregates written as one hand-made SQL query on the same database (the ratio is the verdict).

Loads 2,680 sites in 40 streets of 4 districts, 3,500 officers, ~1M inspections, ~100k hazards, 25k notices
and 12k training sessions spread over a year, with generate_series, into a PostgreSQL it starts on loopback.
`--scale 0.1` loads a tenth (a quick look)."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from rulebook.categories import CATEGORIES, PROFILE_FLAGS  # noqa: E402
from server.checklists.service import ChecklistRegistry  # noqa: E402
from server.config import Settings  # noqa: E402
from server.db import make_engine, migrate  # noqa: E402
from server.reports import service  # noqa: E402
from server.users.models import Role, User  # noqa: E402
from tests.pg import PostgresServer  # noqa: E402

LOAD = """
INSERT INTO organization (id, name, kind, created_at, updated_at)
SELECT gen_random_uuid(), '物业公司' || n, 'property', now(), now() FROM generate_series(1, 200) n;
INSERT INTO site (id, name, kind, district, street, address, lat, lon, property_org_id, profile, created_at, updated_at)
SELECT gen_random_uuid(), '社区' || n, 'community', '区' || (n % 4), '街道' || (n % 40), '', 41.7, 123.4,
       (SELECT id FROM organization ORDER BY name OFFSET (n % 200) LIMIT 1),
       '{profile}', now(), now()
FROM generate_series(1, :sites) n;
INSERT INTO "user" (id, username, password_hash, role, display_name, language, is_active, created_at, updated_at)
SELECT gen_random_uuid(), 'officer' || n, 'x', 'officer', '安全员' || n, 'zh', true, now(), now()
FROM generate_series(1, :officers) n;
CREATE TEMP TABLE s AS SELECT id, row_number() OVER (ORDER BY id) AS k FROM site;
CREATE TEMP TABLE o AS SELECT id, row_number() OVER (ORDER BY id) AS k FROM "user";
INSERT INTO assignment (id, officer_id, site_id, visits_per_week, created_at, updated_at)
SELECT gen_random_uuid(), o.id, s.id, 1, now(), now() FROM s JOIN o ON o.k = s.k;
INSERT INTO inspection (id, site_id, category, template_version, inspector_id, started_at, finished_at,
                        answers, request_hash, created_at)
SELECT gen_random_uuid(), s.id, (ARRAY[{categories}])[1 + n % 7], 1, o.id, t - interval '20 minutes', t,
       '[{{"item_id":"gas.x","result":"pass"}},{{"item_id":"gas.y","result":"pass"}}]', 'x', t
FROM generate_series(1, :inspections) n
JOIN s ON s.k = 1 + n % :sites JOIN o ON o.k = 1 + n % :sites
CROSS JOIN LATERAL (SELECT timestamptz '2026-01-01 00:00+08' + (n::float / :inspections) * interval '365 days' AS t) x;
INSERT INTO hazard (id, site_id, category, item_id, severity, status, version, deadline, organization_id,
                    description, reported_by, found_at, escalation_level, created_at, updated_at, closed_at, change_seq)
SELECT gen_random_uuid(), s.id, 'gas', 'gas.item_' || (n % 20), (ARRAY['red','yellow','blue'])[1 + n % 3],
       CASE WHEN n % 5 < 3 THEN 'closed' WHEN n % 5 = 3 THEN 'rectifying' ELSE 'open' END, 1, t + interval '7 days',
       (SELECT property_org_id FROM site WHERE site.id = s.id), '不符合', o.id, t, 0, t, t,
       CASE WHEN n % 5 < 3 THEN t + (n % 12) * interval '1 day' END, n
FROM generate_series(1, :hazards) n
JOIN s ON s.k = 1 + (n * 7) % :sites JOIN o ON o.k = 1 + (n * 7) % :sites
CROSS JOIN LATERAL (SELECT timestamptz '2026-01-01 00:00+08' + (n::float / :hazards) * interval '365 days' AS t) x;
INSERT INTO notice (id, number, organization_id, deadline, basis, issued_by, issued_at, acknowledged_at, request_hash,
                    change_seq)
SELECT gen_random_uuid(), 'SR-B-' || n, h.organization_id, h.found_at + interval '7 days', '', h.reported_by,
       h.found_at + interval '2 hours', CASE WHEN n % 4 > 0 THEN h.found_at + (n % 90) * interval '1 hour' END, 'x', n
FROM (SELECT *, row_number() OVER (ORDER BY found_at) AS n FROM hazard WHERE organization_id IS NOT NULL) h
WHERE h.n % 4 = 0;
INSERT INTO notice_hazard (notice_id, hazard_id)
SELECT n.id, h.id FROM notice n JOIN (SELECT id, row_number() OVER (ORDER BY found_at) AS k FROM hazard
  WHERE organization_id IS NOT NULL) h ON n.number = 'SR-B-' || h.k;
INSERT INTO training_session (id, site_id, held_at, topics, trainer, attendee_count, duration_minutes, photo_ids,
                              officer_id, request_hash, created_at)
SELECT gen_random_uuid(), s.id, t, '["fire","ebike"]', '王老师', 30, 60, '[]', o.id, 'x', t
FROM generate_series(1, :trainings) n JOIN s ON s.k = 1 + (n * 13) % :sites JOIN o ON o.k = 1 + (n * 13) % :sites
CROSS JOIN LATERAL (SELECT timestamptz '2026-01-01 19:00+08' + (n::float / :trainings) * interval '365 days' AS t) x;
ANALYZE;
"""

HAND = """
WITH i AS (SELECT count(*) AS inspections FROM inspection i JOIN site ON site.id = i.site_id
           WHERE i.finished_at >= :a AND i.finished_at < :b AND (:street = '' OR site.street = :street)),
     h AS (SELECT count(*) FILTER (WHERE h.found_at >= :a AND h.found_at < :b) AS found,
                  count(*) FILTER (WHERE h.status = 'closed' AND h.closed_at >= :a AND h.closed_at < :b) AS closed,
                  count(*) FILTER (WHERE h.found_at < :b AND NOT (h.status = 'closed' AND h.closed_at < :b)) AS open
           FROM hazard h JOIN site ON site.id = h.site_id WHERE (:street = '' OR site.street = :street)),
     t AS (SELECT count(*) AS trainings FROM training_session t JOIN site ON site.id = t.site_id
           WHERE t.held_at >= :a AND t.held_at < :b AND (:street = '' OR site.street = :street))
SELECT * FROM i, h, t
"""


def timed(fn, runs: int = 3) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    pg = PostgresServer.start()
    try:
        url = pg.create_database("bench")
        migrate(url)
        sizes = {
            "sites": 2680,
            "officers": 3500,
            "inspections": int(1_000_000 * args.scale),
            "hazards": int(100_000 * args.scale),
            "trainings": int(12_000 * args.scale),
        }
        engine = make_engine(url)
        started = time.perf_counter()
        load = LOAD.format(
            categories=",".join(f"'{c}'" for c in CATEGORIES), profile=json.dumps(dict.fromkeys(PROFILE_FLAGS, True))
        )
        with engine.begin() as conn:
            for statement in load.split(";\n"):
                if statement.strip():
                    conn.execute(text(statement), sizes)
        print(f"loaded {sizes} in {time.perf_counter() - started:.1f} s")
        settings = Settings(database_url=url, timezone="Asia/Shanghai")
        registry = ChecklistRegistry.from_directory(settings.checklists_dir)
        coordinator = User(username="bench", password_hash="", role=Role.admin.value)

        def run(period: str, scope: str) -> None:
            with Session(engine) as session:
                service.report(
                    session=session,
                    settings=settings,
                    registry=registry,
                    user=coordinator,
                    period_name=period,
                    scope_text=scope,
                )

        def hand(period: str, street: str) -> None:
            p = service.parse_period(period)
            for q in (p, p.previous(), p.year_ago()):
                a, b = q.bounds(settings.tz)
                with engine.connect() as conn:
                    conn.execute(text(HAND), {"a": a, "b": b, "street": street}).all()

        for label, period, scope, street, limit in (
            ("city quarter", "2026-Q2", "all", "", 2.0),
            ("street week", "2026-W20", "street:街道7", "街道7", 0.2),
        ):
            report_s = timed(lambda p=period, s=scope: run(p, s))
            hand_s = timed(lambda p=period, st=street: hand(p, st))
            verdict = "ok" if report_s < limit else "SLOW"
            print(
                f"{label}: report {report_s * 1000:.0f} ms (limit {limit * 1000:.0f} ms, {verdict}), "
                f"hand-written SQL of the core aggregates ×3 periods {hand_s * 1000:.0f} ms, "
                f"ratio {report_s / hand_s:.1f}"
            )
        engine.dispose()
    finally:
        pg.stop()
    print(f"measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()
