"""GET /sync/changes: what changed for this user since a cursor, in commit order.

A page costs what a page costs, whatever the size of the city (issue 11):

1. Positions. (change_xid, change_seq, id) of at most limit + 1 hazards and limit + 1 notices after the
   cursor, read from an index in the feed's order that leads with the reader's scope: an officer's hazards
   one range per assigned site (ix_hazard_site_feed, merged), the coordinator's the whole feed
   (ix_hazard_feed, ix_notice_feed). An officer's notices come from their sites' hazards (notice_hazard), a
   few per site; a company's from its own (ix_hazard_org_status, ix_notice_org_issued), sorted.
2. The merge of both in feed order decides the page; its rows are read by id (one array parameter).
3. The wire dicts are built from those rows and their extras, read in bulk for the page (photos, latest
   notice, presence flags; hazards and sites of each notice; company names), and serialized to JSON once:
   no ORM objects, no model validated twice. The shape is `Changes` exactly (the phone reads it).

"After (X, S)" is asked as two ranges, `xid = X AND seq > S`, then `X < xid < horizon`, each with plain
comparisons: PostgreSQL estimates a row comparison `(xid, seq) > (X, S)` by its first column alone, so
when most rows share X (every row written before migration 0013 has xid 0) it expected one row and walked
the city's whole feed filtering for an officer's sites. Both ranges together are exactly the positions
after (X, S) and below the horizon; the first range's rows all come before the second's."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_json
from sqlalchemy import ColumnElement, select, union_all
from sqlmodel import Session

from rulebook.lifecycle import FINISHED_STATUSES
from server.common import utcnow
from server.db import among, on_postgresql
from server.errors import Invalid
from server.hazards.models import Hazard, HazardPublic
from server.hazards.service import hazard_extras
from server.notices.models import Notice, NoticePublic
from server.notices.service import notice_condition, notice_extras
from server.paging import at_each_site
from server.scope import hazard_condition, officer_site_ids
from server.sync.changes import current_change_seq, feed_horizon
from server.users.models import User
from server.wire_json import hazards_json, notices_json, writes_json


class Changes(BaseModel):
    """The response's shape (and its documentation); the feed writes it directly (changes_json)."""

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


def _ranges(model: Any, after: Position, horizon: int | None) -> list[list[ColumnElement[bool]]]:
    """The positions after `after` (and below the horizon) as consecutive ranges, in feed order."""
    xid, seq = after
    ranges: list[list[ColumnElement[bool]]] = []
    if horizon is None or xid < horizon:
        ranges.append([model.change_xid == xid, model.change_seq > seq])
    if horizon is None:
        ranges.append([model.change_xid > xid])
    elif xid + 1 < horizon:
        ranges.append([model.change_xid > xid, model.change_xid < horizon])
    return ranges


def _positions(
    session: Session,
    model: Any,
    ranges: list[list[ColumnElement[bool]]],
    want: int,
    *,
    scope: ColumnElement[bool] | None = None,
    sites: list[uuid.UUID] | None = None,
) -> list[tuple[int, int, uuid.UUID]]:
    """The first `want` (xid, seq, id) in `ranges` within `scope`, or at `sites` (one index range each)."""
    found: list[tuple[int, int, uuid.UUID]] = []
    columns = (model.change_xid, model.change_seq, model.id)
    for clauses in ranges:
        left = want - len(found)
        if left <= 0:
            break
        if sites is None:
            query = select(*columns).where(scope, *clauses)  # type: ignore[arg-type]
            query = query.order_by(model.change_xid, model.change_seq).limit(left)
        elif not sites:
            return []
        elif on_postgresql(session):  # one LATERAL seek a site over the ids as one array
            inner = select(*columns).where(*clauses).order_by(model.change_xid, model.change_seq).limit(left)
            query = at_each_site(inner, model, sites, lambda c: (c.change_xid, c.change_seq)).limit(left)
        else:
            branches = [
                select(*columns)
                .where(model.site_id == site_id, *clauses)
                .order_by(model.site_id, model.change_xid, model.change_seq)
                .limit(left)
                .subquery()
                for site_id in sites
            ]
            merged = union_all(*(select(branch) for branch in branches)).subquery()
            query = select(merged).order_by(merged.c.change_xid, merged.c.change_seq).limit(left)
        # Core, not the ORM's execute: plain tuples, without an ORM result per row (4,000 a page for the admin)
        found += session.connection().execute(query).all()
    return found


def _rows(session: Session, model: Any, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """The table rows of `ids` (plain rows, no ORM objects), by id."""
    if not ids:
        return {}
    return {row.id: row for row in session.execute(select(model.__table__).where(among(session, model.id, ids)))}


def _hazard_dicts(
    session: Session, ids: list[uuid.UUID], rows: dict[uuid.UUID, Any], notice_rows: dict[uuid.UUID, Any]
) -> list[dict[str, Any]]:
    """HazardPublic's fields, in its order, for the hazards `ids` (in that order)."""
    if not ids:
        return []
    photos, notices, flags = hazard_extras(
        session,
        ids,
        {r.inspection_id for r in rows.values() if r.inspection_id},
        issued_at={n.id: n.issued_at for n in notice_rows.values()},  # the page's notices: most hazards' own
    )
    now = utcnow()
    out = []
    for hazard_id in ids:
        h = rows[hazard_id]
        out.append(
            {
                "id": h.id,
                "site_id": h.site_id,
                "category": h.category,
                "item_id": h.item_id,
                "inspection_id": h.inspection_id,
                "severity": h.severity,
                "status": h.status,
                "version": h.version,
                "deadline": h.deadline,
                "organization_id": h.organization_id,
                "description": h.description,
                "photo_ids": photos[h.id],
                "notice_id": notices.get(h.id),
                "presence_flags": list(flags.get(h.inspection_id) or []),
                "source": h.source,
                "reported_by": h.reported_by,
                "found_at": h.found_at,
                "overdue": h.status not in FINISHED_STATUSES and h.deadline < now,  # hazards.service.is_overdue
                "escalation_level": h.escalation_level,
                "created_at": h.created_at,
                "updated_at": h.updated_at,
                "closed_at": h.closed_at,
            }
        )
    return out


def _notice_dicts(
    session: Session, ids: list[uuid.UUID], rows: dict[uuid.UUID, Any], hazard_rows: dict[uuid.UUID, Any]
) -> list[dict[str, Any]]:
    """NoticePublic's fields, in its order, for the notices `ids` (in that order)."""
    if not ids:
        return []
    hazards, sites, orgs = notice_extras(
        session,
        ids,
        {r.organization_id for r in rows.values()},
        hazards_known={h.id: (h.created_at, h.site_id) for h in hazard_rows.values()},  # the page's hazards
    )
    out = []
    for notice_id in ids:
        n = rows[notice_id]
        out.append(
            {
                "id": n.id,
                "number": n.number,
                "organization_id": n.organization_id,
                "organization_name": orgs.get(n.organization_id, ""),
                "hazard_ids": hazards[n.id],
                "site_ids": sites[n.id],
                "deadline": n.deadline,
                "basis": n.basis,
                "note": n.note,
                "issued_by": n.issued_by,
                "issued_at": n.issued_at,
                "acknowledged_at": n.acknowledged_at,
                "acknowledged_by": n.acknowledged_by,
            }
        )
    return out


def _page(
    *, session: Session, user: User, since: str | None, limit: int
) -> tuple[str, list[uuid.UUID], list[uuid.UUID], bool]:
    """Which records the page holds, in feed order: (cursor, hazard ids, notice ids, has_more)."""
    after = parse_cursor(since)
    # PostgreSQL: rows of transactions from the oldest one still in flight on wait (read before the rows).
    horizon = feed_horizon(session)
    # Where a reader who has seen everything so far stands: SQLite's counter (all committed, in this
    # snapshot), PostgreSQL's horizon (every position below it is final).
    caught_up = (0, current_change_seq(session)) if horizon is None else (horizon, 0)

    sites = officer_site_ids(session, user)
    hazards = _positions(
        session,
        Hazard,
        _ranges(Hazard, after, horizon),
        limit + 1,
        scope=hazard_condition(user) if sites is None else None,
        sites=sites,
    )
    notices = _positions(session, Notice, _ranges(Notice, after, horizon), limit + 1, scope=notice_condition(user))
    # In feed order; hazards first where positions tie (rows from before the feed existed share seq 0).
    merged = sorted(
        [((xid, seq), True, row_id) for xid, seq, row_id in hazards]
        + [((xid, seq), False, row_id) for xid, seq, row_id in notices],
        key=lambda entry: entry[0],
    )
    has_more = len(merged) > limit
    taken = merged[:limit]
    cursor = taken[-1][0] if has_more else max([caught_up, after] + [position for position, _, _ in taken])
    hazard_ids = [row_id for _, is_hazard, row_id in taken if is_hazard]
    notice_ids = [row_id for _, is_hazard, row_id in taken if not is_hazard]
    return format_cursor(cursor), hazard_ids, notice_ids, has_more


def changes_since(*, session: Session, user: User, since: str | None, limit: int = 500) -> dict[str, Any]:
    """One page of the feed as `Changes`' fields (plain values: ids, datetimes)."""
    cursor, hazard_ids, notice_ids, has_more = _page(session=session, user=user, since=since, limit=limit)
    hazard_rows, notice_rows = _rows(session, Hazard, hazard_ids), _rows(session, Notice, notice_ids)
    return {
        "cursor": cursor,
        "hazards": _hazard_dicts(session, hazard_ids, hazard_rows, notice_rows),
        "notices": _notice_dicts(session, notice_ids, notice_rows, hazard_rows),
        "has_more": has_more,
    }


def changes_json(*, session: Session, user: User, since: str | None, limit: int = 500) -> bytes:
    """The page as the response body: the JSON `Changes` would serialize to (UUIDs as strings, UTC times
    in ISO 8601 with Z), written once. PostgreSQL writes the records' JSON itself (server/wire_json.py);
    on SQLite they are built here from plain dicts."""
    if not writes_json(session):
        return to_json(changes_since(session=session, user=user, since=since, limit=limit))
    cursor, hazard_ids, notice_ids, has_more = _page(session=session, user=user, since=since, limit=limit)
    hazards, notices = hazards_json(session, hazard_ids, utcnow()), notices_json(session, notice_ids)
    more = "true" if has_more else "false"
    return f'{{"cursor":"{cursor}","hazards":{hazards},"notices":{notices},"has_more":{more}}}'.encode()
