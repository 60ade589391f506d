"""GET /sync/changes: what changed for this user since a cursor, in commit order."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import tuple_
from sqlmodel import Session, select

from server.errors import Invalid
from server.hazards.models import Hazard, HazardPublic
from server.hazards.service import to_public_many as hazards_public
from server.notices.models import Notice, NoticePublic
from server.notices.service import notice_condition, to_public_many
from server.scope import hazard_condition
from server.sync.changes import current_change_seq, feed_horizon
from server.users.models import User


class Changes(BaseModel):
    cursor: str
    hazards: list[HazardPublic]
    notices: list[NoticePublic]
    has_more: bool


Position = tuple[int, int]  # (change_xid, change_seq): see server/sync/changes.py
LIMIT = 2**63  # both parts are 64-bit


def parse_cursor(since: str | None) -> Position:
    """ "N" is (0, N) (every SQLite cursor, and PostgreSQL's from before migration 0013); "X.N" is (X, N)."""
    if not since:
        return (0, -1)  # everything, including rows written before the feed existed (seq 0)
    parts = since.split(".")
    try:
        values = [int(part) for part in parts]
    except ValueError:
        values = []
    if len(values) == 1:
        values = [0, *values]
    if len(values) != 2 or not all(0 <= value < LIMIT for value in values):
        raise Invalid("bad_cursor")
    return (values[0], values[1])


def format_cursor(position: Position) -> str:
    xid, seq = position
    return f"{xid}.{seq}" if xid else str(seq)


def changes_since(*, session: Session, user: User, since: str | None, limit: int = 500) -> Changes:
    after = parse_cursor(since)
    # PostgreSQL: rows of transactions from the oldest one still in flight on wait (read before the rows).
    horizon = feed_horizon(session)
    # Where a reader who has seen everything so far stands: SQLite's counter (all committed, in this
    # snapshot), PostgreSQL's horizon (every position below it is final).
    caught_up = (0, current_change_seq(session)) if horizon is None else (horizon, 0)

    def rows(model):  # type: ignore[no-untyped-def]
        condition = hazard_condition(user) if model is Hazard else notice_condition(user)
        query = select(model).where(tuple_(model.change_xid, model.change_seq) > tuple_(*after), condition)
        if horizon is not None:
            query = query.where(model.change_xid < horizon)
        return session.exec(query.order_by(model.change_xid, model.change_seq).limit(limit + 1)).all()

    merged = sorted(
        [((h.change_xid, h.change_seq), h) for h in rows(Hazard)]
        + [((n.change_xid, n.change_seq), n) for n in rows(Notice)],
        key=lambda pair: pair[0],
    )
    has_more = len(merged) > limit
    taken = merged[:limit]
    cursor = taken[-1][0] if has_more else max([caught_up, after] + [position for position, _ in taken])
    return Changes(
        cursor=format_cursor(cursor),
        hazards=hazards_public(session, [obj for _, obj in taken if isinstance(obj, Hazard)]),
        notices=to_public_many(session, [obj for _, obj in taken if isinstance(obj, Notice)]),
        has_more=has_more,
    )
