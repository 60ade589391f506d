"""Period reports a district is judged by: every figure with the period before (环比) and the same period a
year before (同比), company scorecards, repeat hazards and common problems (共性问题).

Figures are counted in SQL over the sites in the report's scope (and, for a property user, only their
company's hazards); the few that need a distribution (days to close, hours to acknowledge) or a per-week
check (rounds complete) read just the rows of the period."""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, DateTime, and_, case, func, or_, select, true, type_coerce
from sqlmodel import Session

from rulebook import periods
from rulebook.categories import CATEGORIES, HAZARD_SOURCES, SEVERITIES
from server.checklists.service import ChecklistRegistry
from server.config import Settings
from server.db import on_postgresql
from server.errors import Invalid, not_found
from server.hazards.models import Hazard, HazardTransition
from server.inspections.models import Inspection
from server.notices.models import Notice, NoticeHazard
from server.reports.models import StoredReport, StoredReportPublic
from server.revisits.models import Revisit
from server.rounds.service import due_categories
from server.scope import hazard_condition, site_condition
from server.sites.models import Assignment, Site
from server.trainings.models import TrainingSession
from server.users.models import Organization, Role, User

SCOPE_KINDS = ("all", "district", "street", "site")
ACK_WITHIN = timedelta(hours=48)


@dataclass(frozen=True)
class Scope:
    kind: str
    value: str = ""

    @property
    def name(self) -> str:
        return self.kind if self.kind == "all" else f"{self.kind}:{self.value}"


def parse_scope(text: str | None) -> Scope:
    kind, _colon, value = (text or "all").partition(":")
    if kind not in SCOPE_KINDS or (kind != "all" and not value.strip()) or (kind == "all" and value):
        raise Invalid("bad_scope", scope=text or "")
    if kind == "site":
        try:
            uuid.UUID(value)
        except ValueError:
            raise Invalid("bad_scope", scope=text or "") from None
    return Scope(kind, value.strip())


def parse_period(text: str) -> periods.Period:
    try:
        return periods.parse_period(text)
    except ValueError:
        raise Invalid("bad_period", period=text) from None


def site_filter(user: User, scope: Scope) -> ColumnElement[bool]:
    """Which sites a report covers: the scope's, within what the user may see."""
    condition = site_condition(user)
    if scope.kind == "district":
        condition = and_(condition, Site.district == scope.value)
    elif scope.kind == "street":
        condition = and_(condition, Site.street == scope.value)
    elif scope.kind == "site":
        condition = and_(condition, Site.id == uuid.UUID(scope.value))
    return condition


def scoped_sites(session: Session, user: User, scope: Scope) -> list[Any]:
    """The sites a report covers. An unknown (or unseen) name is 404."""
    sites = list(
        session.execute(
            select(Site.id, Site.name, Site.street, Site.profile)
            .where(site_filter(user, scope))
            .order_by(Site.street, Site.name)
        ).all()
    )
    if scope.kind != "all" and not sites:
        raise not_found("site" if scope.kind == "site" else "scope")
    return sites


@dataclass(frozen=True)
class Frame:
    """What one period's figures are counted over."""

    sites: Any  # a subquery of the covered sites' ids, or None for every site
    hazards: ColumnElement[bool]  # which hazards count (scope, and a property user's company)
    start: datetime
    end: datetime
    period: periods.Period


def _in(column: Any, frame: Frame) -> ColumnElement[bool]:
    return and_(column >= frame.start, column < frame.end)


def _at(site_column: Any, frame: Frame) -> ColumnElement[bool]:
    return true() if frame.sites is None else site_column.in_(frame.sites)


def _local_day(session: Session, column: Any, frame: Frame) -> Any:
    """The local calendar day of a stored UTC time, in SQL."""
    if on_postgresql(session):
        return func.date(func.timezone(str(frame.start.tzinfo), column))
    minutes = int(frame.start.utcoffset().total_seconds() // 60)  # SQLite keeps naive UTC; a fixed offset
    return func.date(column, f"{minutes:+d} minutes")


def _day_of(session: Session, column: Any, frame: Frame) -> Any:
    """Which local day of the period a stored time falls on, in SQL, as a key to count distinct days by.

    Where every local midnight of the period has one UTC offset (no daylight-saving change inside it; always so
    in China) the day is whole days since the period's start: plain arithmetic, where converting every row to
    the local time zone costs PostgreSQL a third of a city quarter's visit count."""
    tz = frame.start.tzinfo
    first, end = frame.period.first_day, frame.period.end_day
    days = range((end - first).days + 1)
    offsets = {datetime.combine(first + timedelta(days=n), time(0), tz).utcoffset() for n in days}
    if len(offsets) == 1:
        return _days_since(session, column, frame.start)
    return _local_day(session, column, frame)


def _days_since(session: Session, column: Any, moment: datetime) -> Any:
    """Whole days from `moment` to a stored time, in SQL."""
    if on_postgresql(session):
        # date_part is a float: EXTRACT's numeric is several times slower over a quarter's rows.
        return func.floor(func.date_part("epoch", column - moment) / 86400)
    utc = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return func.floor(func.julianday(column) - func.julianday(utc))


def _bit_union(session: Session, bits: Any) -> Any:
    """The union of bit flags over a group, in SQL: PostgreSQL's bit_or hashes the groups; SQLite has no bit_or,
    and a sum of the distinct powers of two is the same number."""
    if on_postgresql(session):
        return func.bit_or(bits)
    return func.sum(bits.distinct())


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return round(ordered[index], 1)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole * 100, 1) if whole else None


def _raw(column: Any) -> Any:
    """A stored time as the database hands it over (UTC; naive on SQLite), for figures that only subtract and
    compare times: thousands of rows skip the conversion to an aware UTC datetime each."""
    return type_coerce(column, DateTime())


def _hazards(frame: Frame) -> ColumnElement[bool]:
    return and_(frame.hazards, _at(Hazard.site_id, frame))


def count_figures(
    session: Session, frame: Frame, *, settings: Settings, due: dict[uuid.UUID, frozenset[str]]
) -> dict[str, Any]:
    """Every figure of one period, as plain numbers (None where there is nothing to count)."""
    scalar = lambda query: session.execute(query).scalar_one() or 0  # noqa: E731
    hz = _hazards(frame)
    out: dict[str, Any] = {}
    out.update(_inspection_figures(session, frame, due=due))
    closed = session.execute(
        select(_raw(Hazard.found_at), _raw(Hazard.closed_at), _raw(Hazard.deadline)).where(
            hz, Hazard.status == "closed", _in(Hazard.closed_at, frame)
        )
    ).all()
    out["hazards_closed"] = len(closed)
    out["closed_on_time_share"] = _share(sum(1 for _f, c, d in closed if c <= d), len(closed))
    days = [(c - f).total_seconds() / 86400 for f, c, _d in closed]
    out["days_to_close_median"] = _median(days)
    out["days_to_close_p90"] = _percentile(days, 0.9)
    finished_by_end = or_(
        and_(Hazard.status == "closed", Hazard.closed_at < frame.end),
        and_(Hazard.status == "cancelled", Hazard.updated_at < frame.end),
    )
    open_at_end = and_(Hazard.found_at < frame.end, ~finished_by_end)
    level2_from = frame.end - timedelta(days=settings.escalation_level2_after_days)
    # One pass over the hazards for the counts (an aggregate's FILTER: both databases have it).
    found, open_end, level1, level2 = session.execute(
        select(
            func.count().filter(_in(Hazard.found_at, frame)),
            func.count().filter(open_at_end),
            func.count().filter(open_at_end, Hazard.deadline < frame.end, Hazard.deadline > level2_from),
            func.count().filter(open_at_end, Hazard.deadline <= level2_from),
        ).where(hz, Hazard.found_at < frame.end)
    ).one()
    out["hazards_found"], out["open_at_end"] = found, open_end
    out["overdue_at_end_level1"], out["overdue_at_end_level2"] = level1, level2
    out["overdue_at_end"] = out["overdue_at_end_level1"] + out["overdue_at_end_level2"]
    out["reopened"] = scalar(
        select(func.count())
        .select_from(HazardTransition)
        .join(Hazard, Hazard.id == HazardTransition.hazard_id)
        .where(hz, HazardTransition.action == "reopen", _in(HazardTransition.created_at, frame))
    )

    notices = session.execute(
        select(_raw(Notice.issued_at), _raw(Notice.acknowledged_at)).where(
            Notice.id.in_(select(NoticeHazard.notice_id).join(Hazard, Hazard.id == NoticeHazard.hazard_id).where(hz)),
            _in(Notice.issued_at, frame),
        )
    ).all()
    acked = [(a - i).total_seconds() / 3600 for i, a in notices if a is not None]
    out["notices_issued"] = len(notices)
    out["notices_acknowledged_48h_share"] = _share(sum(1 for h in acked if h <= 48), len(notices))
    out["hours_to_acknowledge_median"] = _median(acked)

    trainings = session.execute(
        select(TrainingSession.attendee_count, TrainingSession.duration_minutes).where(
            _at(TrainingSession.site_id, frame), _in(TrainingSession.held_at, frame)
        )
    ).all()
    out["trainings"] = len(trainings)
    out["attendees"] = sum(a for a, _m in trainings)
    out["training_hours"] = round(sum(m for _a, m in trainings) / 60, 1)
    out.update(_revisits(session, frame))
    return out


def _joint(participants):  # type: ignore[no-untyped-def]
    """A joint inspection (联查联检) names participants from other units (counted in _inspection_figures)."""
    return func.coalesce(func.json_array_length(participants), 0) > 0


def _revisits(session: Session, frame: Frame) -> dict[str, Any]:
    """Revisits (回访) of closed red hazards answered in the period (done), and those that fell due in it
    (due: by the local day they came due, answered or not)."""
    revisited = and_(Revisit.hazard_id.in_(select(Hazard.id).where(_hazards(frame))))
    done, confirmed, reopened = session.execute(
        select(
            func.count(),
            func.count().filter(Revisit.status == "confirmed"),
            func.count().filter(Revisit.status == "reopened"),
        ).where(revisited, Revisit.answered_at.is_not(None), _in(Revisit.answered_at, frame))
    ).one()
    due = session.execute(
        select(func.count()).where(revisited, Revisit.due_on >= frame.start.date(), Revisit.due_on < frame.end.date())
    ).scalar_one()
    return {
        "revisits_due": due,
        "revisits_done": done,
        "revisits_confirmed": confirmed,
        "revisits_reopened": reopened,
    }


def _inspection_figures(session: Session, frame: Frame, *, due: dict[uuid.UUID, frozenset[str]]) -> dict[str, Any]:
    """The figures counted over inspections, in one pass over the period's rows (the inspection table is the
    largest by far: each pass over a city's quarter costs more than every hazard figure together).

    Rows are grouped by site and week (the weeks that start inside the period, see `periods.Period.weeks`);
    each group carries its sums over the rows inside the period (FILTER) and the categories inspected that
    week; the outer query adds the groups up. A new figure over inspections is one more FILTERed column in
    `per_week` and its sum in the outer select."""
    mondays = frame.period.weeks()
    tz = frame.start.tzinfo
    if mondays:
        first = datetime.combine(mondays[0], datetime.min.time(), tz)
        last = datetime.combine(mondays[-1] + timedelta(days=7), datetime.min.time(), tz)
    else:
        first, last = frame.start, frame.end
    lo, hi = min(frame.start, first), max(frame.end, last)
    in_period = _in(Inspection.finished_at, frame)
    in_weeks = and_(Inspection.finished_at >= first, Inspection.finished_at < last)
    week = func.floor(_days_since(session, Inspection.finished_at, first) / 7)
    # The categories inspected in a site-week as a bit set (their union: see _bit_union).
    bit = case(*((Inspection.category == c, 1 << i) for i, c in enumerate(CATEGORIES)), else_=0)
    per_week = (
        select(
            Inspection.site_id.label("site_id"),
            func.count().filter(in_period).label("inspections"),
            func.sum(func.json_array_length(Inspection.answers)).filter(in_period).label("items_checked"),
            _bit_union(session, bit).filter(in_weeks).label("mask"),
            func.count().filter(in_period, _joint(Inspection.participants)).label("joint"),
        )
        .where(_at(Inspection.site_id, frame), Inspection.finished_at >= lo, Inspection.finished_at < hi)
        .group_by(Inspection.site_id, week)
        .subquery()
    )
    sums = [
        func.coalesce(func.sum(per_week.c.inspections), 0),
        func.coalesce(func.sum(per_week.c.items_checked), 0),
        func.coalesce(func.sum(per_week.c.joint), 0),
    ]
    if not mondays or not due:
        inspections, items, joint = session.execute(select(*sums)).one()
        rounds = {"sites_complete_share": None, "site_weeks": 0, "site_weeks_complete": 0}
        return {"inspections": int(inspections), "items_checked": int(items), "joint_inspections": int(joint), **rounds}
    # What each site owes a week as a bit set. Most sites owe the same (`common`); the few that owe otherwise
    # are named by the set they owe.
    masks = {name: 1 << i for i, name in enumerate(CATEGORIES)}
    owed = {site_id: sum(masks.get(c, 0) for c in cats) for site_id, cats in due.items()}
    common = max(set(owed.values()), key=list(owed.values()).count)
    by_need: dict[int, list[uuid.UUID]] = defaultdict(list)
    for site_id, need in owed.items():
        if need != common:
            by_need[need].append(site_id)
    need = case(*((per_week.c.site_id.in_(ids), n) for n, ids in by_need.items()), else_=common) if by_need else common
    complete_week = and_(per_week.c.mask.is_not(None), per_week.c.mask.op("&")(need) == need)
    inspections, items, joint, complete = session.execute(select(*sums, func.count().filter(complete_week))).one()
    total = len(due) * len(mondays)
    return {
        "inspections": int(inspections),
        "items_checked": int(items),
        "joint_inspections": int(joint),
        "sites_complete_share": _share(complete, total),
        "site_weeks": total,
        "site_weeks_complete": complete,
    }


def breakdowns(session: Session, frame: Frame) -> dict[str, Any]:
    hz = _hazards(frame)
    grid = {c: {s: 0 for s in SEVERITIES} for c in CATEGORIES}
    for category, severity, n in session.execute(
        select(Hazard.category, Hazard.severity, func.count())
        .where(hz, _in(Hazard.found_at, frame))
        .group_by(Hazard.category, Hazard.severity)
    ).all():
        grid.setdefault(category, {s: 0 for s in SEVERITIES})[severity] = n
    by_source = dict.fromkeys(HAZARD_SOURCES, 0)  # where each came from (a checklist, a resident's report, …)
    for source, n in session.execute(
        select(Hazard.source, func.count()).where(hz, _in(Hazard.found_at, frame)).group_by(Hazard.source)
    ).all():
        by_source[source] = by_source.get(source, 0) + n
    topics: dict[str, dict[str, float]] = {}
    for topic_list, attendees, minutes in session.execute(
        select(TrainingSession.topics, TrainingSession.attendee_count, TrainingSession.duration_minutes).where(
            _at(TrainingSession.site_id, frame), _in(TrainingSession.held_at, frame)
        )
    ).all():
        for topic in topic_list:
            entry = topics.setdefault(topic, {"sessions": 0, "attendees": 0, "hours": 0.0})
            entry["sessions"] += 1
            entry["attendees"] += attendees
            entry["hours"] = round(entry["hours"] + minutes / 60, 1)
    return {"hazards_by_category_severity": grid, "hazards_by_source": by_source, "training_by_topic": topics}


OFFICERS_LISTED = 100


def officer_visits(session: Session, frame: Frame) -> dict[str, Any]:
    """Visits done (distinct site-days with an inspection) against the plan's target: the totals, and the
    officers furthest behind (at most OFFICERS_LISTED, worst first)."""
    weeks = max(1, round((frame.end - frame.start).days / 7))
    targets: dict[uuid.UUID, int] = defaultdict(int)
    for officer_id, visits in session.execute(
        select(Assignment.officer_id, func.sum(Assignment.visits_per_week))
        .where(_at(Assignment.site_id, frame))
        .group_by(Assignment.officer_id)
    ).all():
        targets[officer_id] = int(visits) * weeks
    day = _day_of(session, Inspection.finished_at, frame).label("day")
    site_days = (
        select(Inspection.inspector_id, Inspection.site_id, day)
        .where(_at(Inspection.site_id, frame), _in(Inspection.finished_at, frame))
        .distinct()
        .subquery()
    )
    done: dict[uuid.UUID, int] = dict(
        session.execute(select(site_days.c.inspector_id, func.count()).group_by(site_days.c.inspector_id)).all()
    )
    officers = set(targets) | set(done)
    behind = sorted(officers, key=lambda o: (done.get(o, 0) - targets.get(o, 0), str(o)))[:OFFICERS_LISTED]
    names = (
        {
            u.id: (u.display_name or u.username)
            for u in session.execute(select(User).where(User.id.in_(behind))).scalars()
        }
        if behind
        else {}
    )
    listed = [
        {
            "officer_id": str(o),
            "officer": names.get(o, ""),
            "visits": done.get(o, 0),
            "visits_target": targets.get(o, 0),
        }
        for o in behind
    ]
    return {
        "officers": len(officers),
        "visits": sum(done.values()),
        "visits_target": sum(targets.values()),
        "behind_target": sum(1 for o in officers if done.get(o, 0) < targets.get(o, 0)),
        "listed": sorted(listed, key=lambda r: (r["visits"] - r["visits_target"], r["officer"])),
    }


def company_scorecard(session: Session, frame: Frame) -> list[dict[str, Any]]:
    """Per property company: what it received and how it answered; the weakest on-time share first."""
    hz = _hazards(frame)
    cards: dict[uuid.UUID, dict[str, Any]] = {}
    for org_id, n in session.execute(
        select(Hazard.organization_id, func.count())
        .where(hz, Hazard.organization_id.is_not(None), _in(Hazard.found_at, frame))
        .group_by(Hazard.organization_id)
    ).all():
        cards.setdefault(org_id, {})["hazards_received"] = n
    closed: dict[uuid.UUID, list[tuple[datetime, datetime, datetime]]] = defaultdict(list)
    for org_id, found, closed_at, deadline in session.execute(
        select(Hazard.organization_id, _raw(Hazard.found_at), _raw(Hazard.closed_at), _raw(Hazard.deadline)).where(
            hz, Hazard.organization_id.is_not(None), Hazard.status == "closed", _in(Hazard.closed_at, frame)
        )
    ).all():
        closed[org_id].append((found, closed_at, deadline))
    steps: dict[tuple[uuid.UUID, str], int] = {}
    for org_id, action, n in session.execute(
        select(Hazard.organization_id, HazardTransition.action, func.count())
        .join(Hazard, Hazard.id == HazardTransition.hazard_id)
        .where(
            hz,
            Hazard.organization_id.is_not(None),
            HazardTransition.action.in_(("reject", "reopen")),
            _in(HazardTransition.created_at, frame),
        )
        .group_by(Hazard.organization_id, HazardTransition.action)
    ).all():
        steps[(org_id, action)] = n
    unacked: dict[uuid.UUID, int] = dict(
        session.execute(
            select(Notice.organization_id, func.count())
            .where(
                Notice.id.in_(
                    select(NoticeHazard.notice_id).join(Hazard, Hazard.id == NoticeHazard.hazard_id).where(hz)
                ),
                Notice.issued_at < frame.end,
                or_(Notice.acknowledged_at.is_(None), Notice.acknowledged_at >= frame.end),
            )
            .group_by(Notice.organization_id)
        ).all()
    )
    org_ids = set(cards) | set(closed) | {o for o, _a in steps} | set(unacked)
    names = (
        {o.id: o.name for o in session.execute(select(Organization).where(Organization.id.in_(org_ids))).scalars()}
        if org_ids
        else {}
    )
    out = []
    for org_id in org_ids:
        rows = closed.get(org_id, [])
        out.append(
            {
                "organization_id": str(org_id),
                "organization": names.get(org_id, ""),
                "hazards_received": cards.get(org_id, {}).get("hazards_received", 0),
                "hazards_closed": len(rows),
                "closed_on_time_share": _share(sum(1 for _f, c, d in rows if c <= d), len(rows)),
                "days_to_close_median": _median([(c - f).total_seconds() / 86400 for f, c, _d in rows]),
                "evidence_rejected": steps.get((org_id, "reject"), 0),
                "reopened": steps.get((org_id, "reopen"), 0),
                "notices_unacknowledged": unacked.get(org_id, 0),
            }
        )
    worst_first = 101.0
    return sorted(
        out,
        key=lambda c: (
            c["closed_on_time_share"] if c["closed_on_time_share"] is not None else worst_first,
            -c["notices_unacknowledged"],
            c["organization"],
        ),
    )


def _closed_within(session: Session, later: Any, earlier: Any, days: int) -> ColumnElement[bool]:
    """`earlier` lies at most `days` days before `later` (both stored times), in SQL."""
    if on_postgresql(session):
        return later - earlier <= timedelta(days=days)
    return func.julianday(later) - func.julianday(earlier) <= days


def repeat_hazards(session: Session, frame: Frame, *, window_days: int) -> list[dict[str, Any]]:
    """Hazards found in the period at a site and item where an earlier hazard was closed within `window_days`
    before (the latest such close is named).

    One query: every (hazard, earlier close) pair ranked latest first per hazard, the first kept (a window
    function: both databases have them), so the earlier hazard comes with its close time."""
    earlier = Hazard.__table__.alias("earlier")
    latest_first = func.row_number().over(
        partition_by=Hazard.id, order_by=(earlier.c.closed_at.desc(), earlier.c.id.desc())
    )
    pairs = (
        select(
            Hazard.id.label("hazard_id"),
            Hazard.site_id.label("site_id"),
            Hazard.item_id.label("item_id"),
            Hazard.found_at.label("found_at"),
            earlier.c.id.label("earlier_id"),
            earlier.c.closed_at.label("earlier_closed_at"),
            latest_first.label("rank"),
        )
        .join(
            earlier,
            and_(
                earlier.c.site_id == Hazard.site_id,
                earlier.c.item_id == Hazard.item_id,
                earlier.c.id != Hazard.id,
                earlier.c.status == "closed",
                earlier.c.closed_at <= Hazard.found_at,
                _closed_within(session, Hazard.found_at, earlier.c.closed_at, window_days),
            ),
        )
        .where(_hazards(frame), Hazard.item_id.is_not(None), _in(Hazard.found_at, frame))
        .subquery()
    )
    # The times as stored (UTC; naive on SQLite): isoformat of thousands of rows is cheaper without the
    # aware-datetime conversion on each, and the answer writes them with +00:00 either way.
    found_at, closed_at = type_coerce(pairs.c.found_at, DateTime()), type_coerce(pairs.c.earlier_closed_at, DateTime())
    rows = session.execute(
        select(pairs.c.hazard_id, pairs.c.site_id, pairs.c.item_id, found_at, pairs.c.earlier_id, closed_at)
        .where(pairs.c.rank == 1)
        .order_by(pairs.c.found_at, pairs.c.hazard_id)
    ).all()
    return [
        {
            "hazard_id": str(hazard_id),
            "site_id": str(site_id),
            "item_id": item_id,
            "found_at": _utc_text(found),
            "earlier_hazard_id": str(earlier_id),
            "earlier_closed_at": _utc_text(closed),
        }
        for hazard_id, site_id, item_id, found, earlier_id, closed in rows
    ]


def _utc_text(moment: datetime) -> str:
    """A stored time as the API writes it (UTC, +00:00)."""
    if moment.tzinfo is None:
        return moment.isoformat() + "+00:00"
    return moment.astimezone(UTC).isoformat()


def common_problems(
    session: Session, frame: Frame, sites: list[Any], *, registry: ChecklistRegistry, min_share: float, min_sites: int
) -> list[dict[str, Any]]:
    """Items failing at a large share of a street's sites in the period (共性问题): candidates for one joint
    project instead of many separate notices."""
    street_of = {s.id: s.street for s in sites}
    names = {s.id: s.name for s in sites}
    street_size: dict[str, int] = defaultdict(int)
    for site in sites:
        street_size[site.street] += 1
    failing: dict[tuple[str, str], set[uuid.UUID]] = defaultdict(set)
    for site_id, item_id in session.execute(
        select(Hazard.site_id, Hazard.item_id)
        .where(_hazards(frame), Hazard.item_id.is_not(None), _in(Hazard.found_at, frame))
        .distinct()
    ).all():
        failing[(street_of[site_id], item_id)].add(site_id)
    out = []
    for (street, item_id), site_ids in failing.items():
        share = len(site_ids) / street_size[street]
        if len(site_ids) >= min_sites and share >= min_share:
            category = item_id.split(".")[0]
            template = registry.current.get(category)
            item = template.item(item_id) if template else None
            out.append(
                {
                    "street": street,
                    "item_id": item_id,
                    "category": category,
                    "prompt": item.prompt.model_dump() if item else None,
                    "share": round(share * 100, 1),
                    "sites": sorted(names[s] for s in site_ids),
                }
            )
    return sorted(out, key=lambda p: (-p["share"], p["street"], p["item_id"]))


def _covered(user: User, scope: Scope) -> Any:
    """The covered sites as a subquery (None: every site, for a coordinator's whole-deployment report)."""
    if user.role == Role.admin and scope.kind == "all":
        return None
    return select(Site.id).where(site_filter(user, scope)).scalar_subquery()


def due_by_site(registry: ChecklistRegistry, sites: list[Any]) -> dict[uuid.UUID, frozenset[str]]:
    """The categories each site owes every week (worked out once per distinct profile)."""
    by_profile: dict[str, frozenset[str]] = {}
    out = {}
    for site in sites:
        key = repr(sorted((site.profile or {}).items()))
        if key not in by_profile:
            by_profile[key] = frozenset(due_categories(registry, site.profile))
        out[site.id] = by_profile[key]
    return out


def report(
    *,
    session: Session,
    settings: Settings,
    registry: ChecklistRegistry,
    user: User,
    period_name: str,
    scope_text: str | None = None,
) -> dict[str, Any]:
    """The whole report of a period and scope, as the API answers it."""
    period = parse_period(period_name)
    scope = parse_scope(scope_text)
    sites = scoped_sites(session, user, scope)
    hazards = hazard_condition(user) if user.role == Role.property else true()
    covered = _covered(user, scope)
    due = due_by_site(registry, sites)

    def frame_of(p: periods.Period) -> Frame:
        start, end = p.bounds(settings.tz)
        return Frame(sites=covered, hazards=hazards, start=start, end=end, period=p)

    now, before, year_ago = frame_of(period), frame_of(period.previous()), frame_of(period.year_ago())
    current = count_figures(session, now, settings=settings, due=due)
    previous = count_figures(session, before, settings=settings, due=due)
    last_year = count_figures(session, year_ago, settings=settings, due=due)
    figures = {
        name: {
            "value": value,
            "previous": previous[name],
            "year_ago": last_year[name],
            "change_previous": periods.change(value, previous[name]) if value is not None else None,
            "change_year_ago": periods.change(value, last_year[name]) if value is not None else None,
        }
        for name, value in current.items()
    }
    return {
        "period": period.name,
        "kind": period.kind,
        "scope": scope.name,
        "starts_on": period.first_day.isoformat(),
        "ends_on": (period.end_day - timedelta(days=1)).isoformat(),
        "previous_period": period.previous().name,
        "year_ago_period": period.year_ago().name,
        "sites": len(sites),
        "figures": figures,
        **breakdowns(session, now),
        "visits": officer_visits(session, now),
        "companies": company_scorecard(session, now),
        "repeat_hazards": repeat_hazards(session, now, window_days=settings.repeat_window_days),
        "common_problems": common_problems(
            session,
            now,
            sites,
            registry=registry,
            min_share=settings.common_problem_share / 100,
            min_sites=settings.common_problem_min_sites,
        ),
    }


def trend(
    *,
    session: Session,
    settings: Settings,
    user: User,
    period_name: str,
    scope_text: str | None = None,
    count: int = 12,
) -> list[dict[str, Any]]:
    """Hazards found and closed in each of the last `count` periods up to this one, oldest first."""
    period = parse_period(period_name)
    scope = parse_scope(scope_text)
    scoped_sites(session, user, scope)  # an unknown scope is 404 here too
    covered = _covered(user, scope)
    hazards = hazard_condition(user) if user.role == Role.property else true()
    chain = [period]
    while len(chain) < count:
        chain.append(chain[-1].previous())
    out = []
    for p in reversed(chain):
        start, end = p.bounds(settings.tz)
        frame = Frame(sites=covered, hazards=hazards, start=start, end=end, period=p)
        hz = _hazards(frame)
        found = session.execute(select(func.count()).select_from(Hazard).where(hz, _in(Hazard.found_at, frame)))
        closed = session.execute(
            select(func.count()).select_from(Hazard).where(hz, Hazard.status == "closed", _in(Hazard.closed_at, frame))
        )
        out.append({"period": p.name, "found": found.scalar_one(), "closed": closed.scalar_one()})
    return out


def stored_reports(*, session: Session, period: str | None = None) -> list[StoredReportPublic]:
    query = select(StoredReport).order_by(StoredReport.created_at.desc(), StoredReport.scope, StoredReport.format)
    if period:
        query = query.where(StoredReport.period == period)
    return [
        StoredReportPublic.model_validate(r, from_attributes=True) for r in session.execute(query.limit(500)).scalars()
    ]


def stored_report(*, session: Session, report_id: uuid.UUID) -> StoredReport:
    stored = session.get(StoredReport, report_id)
    if stored is None:
        raise not_found("report")
    return stored
