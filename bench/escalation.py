"""Escalation on a city quarter, on PostgreSQL: the set-based refresh_escalations beside the old one (kept below,
as it was, loading every candidate into Python under FOR UPDATE), and beside the bare count of overdue open
hazards (one SQL query: what any implementation has to look at least once).

Loads 2,680 sites, 100,000 hazards (60% closed, 15,000 open and long overdue at level 2, the rest open and due
later) and a few subscriptions, with generate_series, into a PostgreSQL it starts on loopback. Then times
  * a round with nothing to do (the job every 5 minutes, most of the time);
  * a round where 1,000 hazards just passed their deadline (history, audit, feed stamps, outbox messages).

    .venv/bin/python bench/escalation.py [--hazards 100000] [--changing 1000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, or_, text
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from rulebook.lifecycle import FINISHED_STATUSES  # noqa: E402
from server.audit import service as audit  # noqa: E402
from server.common import utcnow  # noqa: E402
from server.config import Settings  # noqa: E402
from server.db import make_engine, migrate, write_unit  # noqa: E402
from server.hazards.escalation import escalation_level, out_of_date, refresh_escalations  # noqa: E402
from server.hazards.history import record_step  # noqa: E402
from server.hazards.models import Hazard  # noqa: E402
from server.notify import events as notify  # noqa: E402
from server.sync.changes import stamp_change  # noqa: E402
from tests.pg import PostgresServer  # noqa: E402

LOAD = """
INSERT INTO organization (id, name, kind, created_at, updated_at)
SELECT gen_random_uuid(), '物业公司' || n, 'property', now(), now() FROM generate_series(1, 200) n;
INSERT INTO site (id, name, kind, district, street, address, lat, lon, property_org_id, profile, created_at, updated_at)
SELECT gen_random_uuid(), '社区' || n, 'community', '区' || (n % 4), '街道' || (n % 40), '', 41.7, 123.4,
       (SELECT id FROM organization ORDER BY name OFFSET (n % 200) LIMIT 1), '{}', now(), now()
FROM generate_series(1, 2680) n;
INSERT INTO "user" (id, username, password_hash, role, display_name, language, is_active, created_at, updated_at)
SELECT gen_random_uuid(), 'officer' || n, 'x', CASE WHEN n = 1 THEN 'admin' ELSE 'officer' END, '安全员' || n, 'zh',
       true, now(), now()
FROM generate_series(1, 2680) n;
CREATE TEMP TABLE s AS SELECT id, row_number() OVER (ORDER BY id) AS k FROM site;
CREATE TEMP TABLE o AS SELECT id, row_number() OVER (ORDER BY id) AS k FROM "user";
INSERT INTO assignment (id, officer_id, site_id, visits_per_week, created_at, updated_at)
SELECT gen_random_uuid(), o.id, s.id, 1, now(), now() FROM s JOIN o ON o.k = s.k;
INSERT INTO subscription (id, organization_id, user_id, street, channel, target, events, language, active,
                          created_by, created_at)
SELECT gen_random_uuid(), NULL, NULL, CASE WHEN n = 0 THEN NULL ELSE '街道' || n END, 'webhook',
       'http://127.0.0.1:9/' || n, '["escalated"]', 'zh', true, (SELECT id FROM o WHERE k = 1), now()
FROM generate_series(0, 40) n;
INSERT INTO subscription (id, organization_id, user_id, street, channel, target, events, language, active,
                          created_by, created_at)
SELECT gen_random_uuid(), NULL, o.id, NULL, 'webhook', 'http://127.0.0.1:9/o' || o.k, '["escalated"]', 'zh', true,
       o.id, now()
FROM o WHERE o.k % 10 = 0;
INSERT INTO hazard (id, site_id, category, item_id, severity, status, version, deadline, organization_id,
                    description, reported_by, found_at, escalation_level, created_at, updated_at, closed_at,
                    change_seq)
SELECT gen_random_uuid(), s.id, 'gas', 'gas.item_' || (n % 20), (ARRAY['red','yellow','blue'])[1 + n % 3],
       CASE WHEN n % 20 < 12 THEN 'closed' WHEN n % 20 < 15 THEN 'rectifying' ELSE 'open' END, 1,
       CASE WHEN n % 20 < 15 THEN now() - interval '30 days' ELSE now() + interval '10 days' END,
       (SELECT property_org_id FROM site WHERE site.id = s.id), '不符合', o.id, now() - interval '40 days',
       CASE WHEN n % 20 BETWEEN 12 AND 14 THEN 2 ELSE 0 END, now(), now(),
       CASE WHEN n % 20 < 12 THEN now() - interval '20 days' END, n
FROM generate_series(1, :hazards) n
JOIN s ON s.k = 1 + (n * 7) % 2680 JOIN o ON o.k = 1 + (n * 7) % 2680;
ANALYZE;
"""


def old_refresh_escalations(*, session: Session, settings: Settings) -> int:
    """The implementation before migration 0013, as it was (only the step id inlined)."""
    now = utcnow()
    level2_after = timedelta(days=settings.escalation_level2_after_days)
    changed = 0
    with write_unit(session):
        candidates = session.exec(
            select(Hazard)
            .where(
                or_(
                    Hazard.escalation_level != 0,
                    Hazard.status.not_in(FINISHED_STATUSES) & (Hazard.deadline <= now),
                )
            )
            .order_by(Hazard.id)
            .with_for_update()
        ).all()
        for hazard in candidates:
            level = escalation_level(hazard, now=now, level2_after=level2_after)
            if level == hazard.escalation_level:
                continue
            name = f"escalate:{hazard.version}:{hazard.deadline.isoformat()}:{hazard.escalation_level}:{level}"
            record_step(
                session,
                step_id=uuid.uuid5(hazard.id, name),
                hazard=hazard,
                action="escalate",
                from_status=str(hazard.escalation_level),
                to_status=str(level),
                actor_id=None,
            )
            audit.record(
                session=session,
                actor_id=None,
                action="escalate",
                target_type="hazard",
                target_id=hazard.id,
                from_state=str(hazard.escalation_level),
                to_state=str(level),
                detail={"deadline": hazard.deadline.isoformat()},
            )
            passed = range(hazard.escalation_level + 1, level + 1)
            hazard.escalation_level = level
            hazard.updated_at = now
            stamp_change(session, hazard)
            for reached in passed:
                notify.escalated(session=session, settings=settings, hazard=hazard, level=reached)
            changed += 1
    return changed


def timed(fn, runs: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    samples, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hazards", type=int, default=100_000)
    parser.add_argument("--changing", type=int, default=1000)
    args = parser.parse_args()
    pg = PostgresServer.start()
    try:
        url = pg.create_database("bench")
        migrate(url)
        engine = make_engine(url)
        started = time.perf_counter()
        with engine.begin() as conn:
            for statement in LOAD.split(";\n"):
                if statement.strip():
                    conn.execute(text(statement), {"hazards": args.hazards})
        print(f"loaded {args.hazards} hazards in {time.perf_counter() - started:.1f} s")
        settings = Settings(database_url=url)

        def new() -> int:
            with Session(engine) as session:
                return refresh_escalations(session=session, settings=settings)

        def old() -> int:
            with Session(engine) as session:
                return old_refresh_escalations(session=session, settings=settings)

        def count() -> int:
            with engine.connect() as conn:
                return conn.execute(
                    text(
                        "SELECT count(*) FROM hazard WHERE status NOT IN ('closed', 'cancelled') AND deadline <= now()"
                    )
                ).scalar_one()

        def overdue(n: int, minutes: int) -> None:
            """n open hazards due later now passed their deadline (a fresh deadline each time)."""
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "UPDATE hazard SET deadline = now() - make_interval(mins => :m), escalation_level = 0"
                        " WHERE id IN (SELECT id FROM hazard WHERE status = 'open' AND deadline > now()"
                        " ORDER BY id LIMIT :n)"
                    ),
                    {"n": n, "m": minutes},
                )

        base, overdue_count = timed(count, 5)
        idle_new, changed = timed(new, 5)
        assert changed == 0, changed
        idle_old, changed = timed(old, 3)
        assert changed == 0, changed
        print(f"\nnothing to do ({overdue_count} open hazards overdue, all at their level already):")
        print(f"  count of overdue open hazards (baseline)  {base * 1000:8.1f} ms")
        print(
            f"  old refresh_escalations                   {idle_old * 1000:8.1f} ms  ({idle_old / base:.1f}x baseline)"
        )
        print(
            f"  new refresh_escalations                   {idle_new * 1000:8.1f} ms  ({idle_new / base:.2f}x baseline)"
        )
        print(f"  old / new                                 {idle_old / idle_new:8.0f}x")

        now = utcnow()
        stale = out_of_date(now, now - timedelta(days=3))
        probe = select(func.count()).select_from(Hazard).where(stale).compile(engine)
        with engine.connect() as conn:
            cursor = conn.connection.driver_connection.cursor()
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + str(probe), probe.params)
            print("  the probe's plan:\n    " + "\n    ".join(row[0] for row in cursor.fetchall()))
        samples_new, samples_old = [], []
        for run in range(3):
            overdue(args.changing, 10 + run)
            t, changed = timed(new, 1)
            assert changed == args.changing, changed
            samples_new.append(t)
            overdue(args.changing, 20 + run)
            t, changed = timed(old, 1)
            assert changed == args.changing, changed
            samples_old.append(t)
        busy_new, busy_old = statistics.median(samples_new), statistics.median(samples_old)
        print(f"\n{args.changing} hazards passed their deadline (history, audit, feed, outbox for each):")
        print(f"  old refresh_escalations                   {busy_old * 1000:8.1f} ms")
        print(f"  new refresh_escalations                   {busy_new * 1000:8.1f} ms")
        print(f"  old / new                                 {busy_old / busy_new:8.1f}x")
        engine.dispose()
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
