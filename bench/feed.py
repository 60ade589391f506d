"""Hazard writes from 8 concurrent writers on PostgreSQL: the changes feed's stamp from the sequence and
transaction horizon (server/sync/changes.py) beside the old one (one counter row, bumped and held by every
write until its commit: kept below for the comparison).

Each writer rewrites hazards of its own (no two writers touch the same hazard), the way a unit of work does:
lock the hazard, change it, stamp it, add its history step and audit event, commit. With the counter row
every one of those waits for the previous writer's commit; with the sequence they do not wait on each
other. A unit of work spends time in the database after its stamp (its other statements, round trips):
`--hold-ms` of pg_sleep stands in for it (default 20 ms), so the figure shows the waiting rather than this
one Python process's CPU (8 writer threads share one interpreter). Prints writes/s for both and their ratio.

    .venv/bin/python bench/feed.py [--writers 8] [--seconds 5] [--hold-ms 20]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.escalation import LOAD  # noqa: E402
from server.audit import service as audit  # noqa: E402
from server.common import utcnow  # noqa: E402
from server.db import make_engine, migrate, write_unit  # noqa: E402
from server.hazards.history import record_step  # noqa: E402
from server.hazards.models import Hazard  # noqa: E402
from server.sync.changes import stamp_change  # noqa: E402
from tests.pg import PostgresServer  # noqa: E402


def old_stamp_change(session: Session, record: Hazard) -> None:
    """Before migration 0013: one counter row, locked by each write until it commits."""
    record.change_seq = (
        session.connection()
        .execute(text("UPDATE change_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq"))
        .scalar_one()
    )
    session.add(record)


def run(engine, hazards: list[list[uuid.UUID]], stamp, seconds: float, hold: float) -> int:  # type: ignore[no-untyped-def]
    done = [0] * len(hazards)
    start = threading.Barrier(len(hazards))
    stop_at: list[float] = []

    def writer(k: int) -> None:
        start.wait()
        if k == 0:
            stop_at.append(time.monotonic() + seconds)
        while not stop_at:
            time.sleep(0.001)
        i = 0
        while time.monotonic() < stop_at[0]:
            hazard_id = hazards[k][i % len(hazards[k])]
            i += 1
            with Session(engine) as session, write_unit(session):
                hazard = session.get(Hazard, hazard_id, with_for_update=True)
                hazard.description = f"第{i}次修改"
                hazard.version += 1
                hazard.updated_at = utcnow()
                stamp(session, hazard)
                record_step(
                    session,
                    step_id=uuid.uuid4(),
                    hazard=hazard,
                    action="edit",
                    from_status=hazard.status,
                    to_status=hazard.status,
                    actor_id=None,
                )
                audit.record(session=session, actor_id=None, action="edit", target_type="hazard", target_id=hazard.id)
                session.flush()
                session.connection().execute(text("SELECT pg_sleep(:s)"), {"s": hold})
            done[k] += 1

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(len(hazards))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--hold-ms", type=float, default=20.0)
    args = parser.parse_args()
    pg = PostgresServer.start()
    try:
        url = pg.create_database("bench")
        migrate(url)
        engine = make_engine(url)
        with engine.begin() as conn:
            for statement in LOAD.split(";\n"):
                if statement.strip():
                    conn.execute(text(statement), {"hazards": 2000})
        with Session(engine) as session:
            ids = list(session.exec(select(Hazard.id).order_by(Hazard.id).limit(args.writers * 50)).all())
        hazards = [ids[k :: args.writers] for k in range(args.writers)]
        hold = args.hold_ms / 1000
        run(engine, hazards, stamp_change, 1.0, hold)  # warm the pool and the caches
        results = {}
        for name, stamp in (("old: one counter row", old_stamp_change), ("new: sequence + horizon", stamp_change)):
            writes = run(engine, hazards, stamp, args.seconds, hold)
            results[name] = writes / args.seconds
            print(
                f"  {name:28} {results[name]:8.0f} hazard writes/s  ({args.writers} writers, {args.hold_ms:g} ms held)"
            )
        old, new = results.values()
        print(f"  new / old                    {new / old:8.2f}x")
        engine.dispose()
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
