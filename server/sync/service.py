"""GET /sync/changes: what changed for this user since a cursor, in commit order."""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session, select

from server.errors import Invalid
from server.hazards.models import Hazard, HazardPublic
from server.hazards.service import to_public_many as hazards_public
from server.notices.models import Notice, NoticePublic
from server.notices.service import notice_condition, to_public_many
from server.scope import hazard_condition
from server.sync.changes import current_change_seq
from server.users.models import User


class Changes(BaseModel):
    cursor: str
    hazards: list[HazardPublic]
    notices: list[NoticePublic]
    has_more: bool


def parse_cursor(since: str | None) -> int:
    if not since:
        return -1  # everything, including rows written before the feed existed (seq 0)
    try:
        value = int(since)
    except ValueError:
        value = -1
    if not 0 <= value < 2**63:  # a feed position is a 64-bit sequence number
        raise Invalid("bad_cursor")
    return value


def changes_since(*, session: Session, user: User, since: str | None, limit: int = 500) -> Changes:
    after = parse_cursor(since)
    # Read the counter first: every number up to it is committed, so what follows sees all of them.
    horizon = current_change_seq(session)
    hazards = session.exec(
        select(Hazard)
        .where(Hazard.change_seq > after, hazard_condition(user))
        .order_by(Hazard.change_seq)
        .limit(limit + 1)
    ).all()
    notices = session.exec(
        select(Notice)
        .where(Notice.change_seq > after, notice_condition(user))
        .order_by(Notice.change_seq)
        .limit(limit + 1)
    ).all()
    merged = sorted(
        [(h.change_seq, h) for h in hazards] + [(n.change_seq, n) for n in notices], key=lambda pair: pair[0]
    )
    has_more = len(merged) > limit
    taken = merged[:limit]
    cursor = taken[-1][0] if has_more else max([horizon, after] + [seq for seq, _ in taken])
    return Changes(
        cursor=str(cursor),
        hazards=hazards_public(session, [obj for _, obj in taken if isinstance(obj, Hazard)]),
        notices=to_public_many(session, [obj for _, obj in taken if isinstance(obj, Notice)]),
        has_more=has_more,
    )
