"""Deadlines and escalation: level 1 at the deadline, level 2 some days later (default 3).

refresh_escalations() is set-based: the database finds the hazards whose level is out of date through the
partial indexes ix_hazard_escalation_due and ix_hazard_finished_escalated (migration 0013), so a round that
changes nothing costs a few index probes on PostgreSQL (a count over five index ranges; bench/escalation.py
prints its plan) and locks nothing. When something changes, one unit of work:

1. INSERT … SELECT the changing hazards (id, old level, new level) into a temporary table, locking exactly
   those rows (FOR UPDATE on PostgreSQL; SQLite holds its one write lock). A hazard another transaction
   changed meanwhile is looked at again after its commit (READ COMMITTED re-checks the condition).
2. UPDATE hazard … FROM that table: the level, updated_at and the hazard's place in the changes feed.
3. INSERT … SELECT one history step and one audit event per changed hazard.
4. The notify outbox: one "escalated" event per level passed (0 -> 2 tells level 1's people too), per
   changed hazard, as before (server/notify/events.py escalated_many).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.schema import CreateTable
from sqlmodel import Session

from rulebook.lifecycle import FINISHED_STATUSES, OPEN_STATUSES
from server.audit import service as audit
from server.audit.models import AuditEvent
from server.common import UTCDateTime, utcnow
from server.config import Settings
from server.db import write_unit
from server.hazards.models import Hazard, HazardTransition
from server.notify import events as notify
from server.sync.changes import feed_stamps

# The rows one round changes, between its statements (dropped at commit).
STEP = Table(
    "escalation_step",
    MetaData(),
    Column("hazard_id", Uuid, primary_key=True),
    Column("from_level", Integer, nullable=False),
    Column("to_level", Integer, nullable=False),
    Column("n", Integer, nullable=False),  # 1..count, in hazard id order: the feed stamps' order
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


def _statuses(names: tuple[str, ...]) -> list[ColumnElement[str]]:
    # Literal lists (rulebook constants), so the planner can match the partial indexes' predicates.
    return [literal_column(f"'{name}'") for name in names]


OPEN = Hazard.status.in_(_statuses(OPEN_STATUSES))
FINISHED = Hazard.status.in_(_statuses(FINISHED_STATUSES))


def escalation_level(hazard: Hazard, *, now: datetime, level2_after: timedelta) -> int:
    if hazard.status in FINISHED_STATUSES or now < hazard.deadline:
        return 0
    return 2 if now >= hazard.deadline + level2_after else 1


def new_level(now: datetime, level2_from: datetime) -> ColumnElement[int]:
    """escalation_level() in SQL."""
    return case(
        (FINISHED, 0),
        (Hazard.deadline > now, 0),
        (Hazard.deadline <= level2_from, 2),
        else_=1,
    )


def out_of_date(now: datetime, level2_from: datetime) -> ColumnElement[bool]:
    """Hazards whose stored level differs from new_level(): each arm is one range of one partial index."""
    return or_(
        and_(OPEN, Hazard.escalation_level == 0, Hazard.deadline <= now),
        and_(OPEN, Hazard.escalation_level == 1, Hazard.deadline <= level2_from),
        and_(OPEN, Hazard.escalation_level == 1, Hazard.deadline > now),
        and_(OPEN, Hazard.escalation_level == 2, Hazard.deadline > level2_from),
        and_(FINISHED, Hazard.escalation_level != 0),
    )


def _sqlite_functions(session: Session) -> None:
    raw = session.connection().connection.driver_connection
    raw.create_function(
        "saferound_step_id", 2, lambda h, seq: uuid.uuid5(uuid.UUID(h), f"escalate:{seq}").hex, deterministic=True
    )
    raw.create_function("saferound_uuid_text", 1, lambda h: str(uuid.UUID(h)), deterministic=True)


def _history_and_audit(session: Session, *, now: datetime, dialect: str) -> None:
    joined = STEP.join(Hazard.__table__, Hazard.id == STEP.c.hazard_id)
    if dialect == "postgresql":
        # One history step per escalation: the hazard and its new place in the feed name it.
        step_id = cast(func.md5(cast(Hazard.id, String) + ":escalate:" + cast(Hazard.change_seq, String)), Uuid)
        target_id = cast(Hazard.id, String)
        deadline = func.to_char(func.timezone("UTC", Hazard.deadline), 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
        detail = cast(func.json_build_object("deadline", deadline), JSON)
    else:
        step_id = func.saferound_step_id(Hazard.id, Hazard.change_seq)
        target_id = func.saferound_uuid_text(Hazard.id)
        deadline = func.replace(Hazard.deadline, " ", "T") + "+00:00"
        detail = func.json_object("deadline", deadline)
    session.execute(
        insert(HazardTransition).from_select(
            ["id", "hazard_id", "action", "from_status", "to_status", "photo_ids", "result", "created_at"],
            select(
                step_id,
                STEP.c.hazard_id,
                literal("escalate"),
                cast(STEP.c.from_level, String),
                cast(STEP.c.to_level, String),
                literal([], JSON),
                literal({}, JSON),
                literal(now, UTCDateTime),
            ).select_from(joined),
        )
    )
    session.execute(
        insert(AuditEvent).from_select(
            [
                "at",
                "action",
                "target_type",
                "target_id",
                "from_state",
                "to_state",
                "request_id",
                "client_request_id",
                "detail",
            ],
            select(
                literal(now, UTCDateTime),
                literal("escalate"),
                literal("hazard"),
                target_id,
                cast(STEP.c.from_level, String),
                cast(STEP.c.to_level, String),
                literal(audit.current_request_id.get(), String),
                literal(audit.current_client_request_id.get(), String),
                detail,
            )
            .select_from(joined)
            .order_by(STEP.c.n),
        )
    )


def refresh_escalations(*, session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Bring every hazard's escalation level up to date, in one unit of work; each change is a step in the
    hazard's history (from/to are levels), an audit event and a change in the feed. Returns the count."""
    now = now or utcnow()
    level2_from = now - timedelta(days=settings.escalation_level2_after_days)
    stale = out_of_date(now, level2_from)
    # A read first: a round with nothing to do takes no write lock and creates nothing. A count, not LIMIT 1:
    # the planner, guessing many matches, would scan the table for the first; a count uses the indexes.
    if not session.execute(select(func.count()).select_from(Hazard).where(stale)).scalar_one():
        return 0
    with write_unit(session):
        dialect = session.get_bind().dialect.name
        if dialect == "sqlite":
            _sqlite_functions(session)
            session.connection().exec_driver_sql("DROP TABLE IF EXISTS temp.escalation_step")
        session.connection().execute(CreateTable(STEP))
        locked = (
            select(
                Hazard.id, Hazard.escalation_level.label("from_level"), new_level(now, level2_from).label("to_level")
            )
            .where(stale)
            .order_by(Hazard.id)
            .with_for_update(of=Hazard)
            .subquery()
        )
        session.connection().execute(
            insert(STEP).from_select(
                ["hazard_id", "from_level", "to_level", "n"],
                select(
                    locked.c.id, locked.c.from_level, locked.c.to_level, func.row_number().over(order_by=locked.c.id)
                ),
            )
        )
        changed = session.connection().execute(select(func.count()).select_from(STEP)).scalar_one()
        if not changed:
            return 0
        seq, xid = feed_stamps(session, count=changed, position=STEP.c.n)
        session.execute(
            update(Hazard)
            .where(Hazard.id == STEP.c.hazard_id)
            .values(escalation_level=STEP.c.to_level, updated_at=now, change_seq=seq, change_xid=xid)
            .execution_options(synchronize_session=False)  # the rows are read back below
        )
        _history_and_audit(session, now=now, dialect=dialect)
        rows = session.execute(
            select(Hazard, STEP.c.from_level, STEP.c.to_level)
            .join(STEP, STEP.c.hazard_id == Hazard.id)
            .order_by(STEP.c.n)
            .execution_options(populate_existing=True)
        ).all()
        notify.escalated_many(session=session, settings=settings, steps=[tuple(row) for row in rows])
        if dialect == "sqlite":
            session.connection().exec_driver_sql("DROP TABLE temp.escalation_step")
    return changed
