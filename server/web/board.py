"""The information board (信息板) and the risk map (布防图): read-only figures in the caller's scope.

The page, its htmx fragment and GET /api/v1/board and /api/v1/map.geojson all call these functions."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import Text, and_, case, cast, func, true
from sqlmodel import Session, select

from rulebook import intake as intake_rules
from rulebook import weeks
from rulebook.categories import CATEGORIES, SEVERITIES, SEVERITY_RANK
from rulebook.lifecycle import ACTIONS, OPEN_STATUSES
from server.checklists.service import ChecklistRegistry
from server.common import utcnow
from server.config import Settings
from server.hazards.models import Hazard, HazardTransition, is_open
from server.inspections.models import Inspection, is_joint
from server.intake.models import IntakeReport
from server.intake.service import intake_condition
from server.notices.models import Notice, NoticeHazard
from server.notices.service import notice_condition
from server.revisits.models import Revisit
from server.rounds.models import WeekRounds
from server.rounds.service import due_lookup, known_categories, site_rounds, week_coverage
from server.scope import fieldwork_condition, hazard_condition, site_condition
from server.sites.models import Assignment, Site
from server.trainings.models import TrainingSession
from server.users.models import Role, User

# Creation steps and every lifecycle action are the day's events (escalations are not: the tiles show them).
BOARD_EVENT_ACTIONS = ("raise", "report", *ACTIONS)


def local_day_bounds(day: date, settings: Settings) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), settings.tz)
    return start, start + timedelta(days=1)


def area_sites(*, district: str | None = None, street: str | None = None, site_id: uuid.UUID | None = None):  # type: ignore[no-untyped-def]
    """The sites of a drill-down (district → street → site) as a subquery; None for the whole scope."""
    if not (district or street or site_id):
        return None
    query = select(Site.id)
    if district:
        query = query.where(Site.district == district)
    if street:
        query = query.where(Site.street == street)
    if site_id:
        query = query.where(Site.id == site_id)
    return query


def board(
    *,
    session: Session,
    settings: Settings,
    registry: ChecklistRegistry,
    user: User,
    day: date | None = None,
    area=None,  # type: ignore[no-untyped-def]
) -> dict:
    """The board's figures for the user's scope, narrowed to `area` (area_sites()) when given."""
    now = utcnow()
    day = day or now.astimezone(settings.tz).date()
    start, end = local_day_bounds(day, settings)
    scoped = hazard_condition(user) if area is None else and_(hazard_condition(user), Hazard.site_id.in_(area))

    raised = {c: {s: 0 for s in SEVERITIES} for c in CATEGORIES}
    for category, severity, n in session.exec(
        select(Hazard.category, Hazard.severity, func.count())
        .where(scoped, Hazard.created_at >= start, Hazard.created_at < end)
        .group_by(Hazard.category, Hazard.severity)
    ).all():
        raised.setdefault(category, {s: 0 for s in SEVERITIES})[severity] = n

    # One pass over the open hazards (an index-only scan of ix_hazard_open_site): by status, by category and
    # severity, and how many are past the deadline (level 2: long past).
    level2_before = now - timedelta(days=settings.escalation_level2_after_days)
    open_by_status = {s: 0 for s in OPEN_STATUSES}
    open_by_category = {c: {s: 0 for s in SEVERITIES} for c in CATEGORIES}
    overdue_total = overdue_2 = 0
    for status, category, severity, n, late, very_late in session.exec(
        select(
            Hazard.status,
            Hazard.category,
            Hazard.severity,
            func.count(),
            func.sum(case((Hazard.deadline < now, 1), else_=0)),
            func.sum(case((Hazard.deadline <= level2_before, 1), else_=0)),
        )
        .where(scoped, is_open())
        .group_by(Hazard.status, Hazard.category, Hazard.severity)
    ).all():
        open_by_status[status] = open_by_status.get(status, 0) + n
        by_severity = open_by_category.setdefault(category, {s: 0 for s in SEVERITIES})
        by_severity[severity] = by_severity.get(severity, 0) + n
        overdue_total += int(late or 0)
        overdue_2 += int(very_late or 0)

    unacknowledged = session.exec(
        select(func.count())
        .select_from(Notice)
        .where(
            notice_condition(user),
            Notice.acknowledged_at.is_(None),
            Notice.issued_at < now - timedelta(hours=48),
            true()
            if area is None
            else Notice.id.in_(
                select(NoticeHazard.notice_id)
                .join(Hazard, Hazard.id == NoticeHazard.hazard_id)
                .where(Hazard.site_id.in_(area))
            ),
        )
    ).one()

    week = weeks.week_of(now, settings.tz)
    rounds = rounds_of_week(
        session=session, settings=settings, registry=registry, user=user, week=week, area=area, plan=False
    )

    week_start, week_end = weeks.week_bounds(weeks.parse_week(week), settings.tz)
    sessions, attendees = session.exec(
        select(func.count(), func.coalesce(func.sum(TrainingSession.attendee_count), 0)).where(
            fieldwork_condition(user, TrainingSession.site_id),
            true() if area is None else TrainingSession.site_id.in_(area),
            TrainingSession.held_at >= week_start,
            TrainingSession.held_at < week_end,
        )
    ).one()

    in_area = (lambda column: true()) if area is None else (lambda column: column.in_(area))  # noqa: E731
    joint_week = session.exec(
        select(func.count()).where(
            fieldwork_condition(user, Inspection.site_id),
            in_area(Inspection.site_id),
            Inspection.finished_at >= week_start,
            Inspection.finished_at < week_end,
            is_joint(),  # the few rows of ix_inspection_joint_finished
        )
    ).one()
    revisits_due, revisits_done = session.exec(
        select(
            func.count().filter(
                Revisit.status == "due",
                Revisit.due_on <= day,
                Revisit.hazard_id.in_(select(Hazard.id).where(Hazard.status == "closed")),
            ),
            func.count().filter(Revisit.answered_at >= week_start, Revisit.answered_at < week_end),
        ).where(fieldwork_condition(user, Revisit.site_id), in_area(Revisit.site_id))
    ).one()

    events = [
        {"at": at, "action": action, "hazard_id": hazard_id, "site_id": site_id}
        for at, action, hazard_id, site_id in session.exec(
            select(HazardTransition.created_at, HazardTransition.action, Hazard.id, Hazard.site_id)
            .join(Hazard, Hazard.id == HazardTransition.hazard_id)
            .where(
                scoped,
                HazardTransition.created_at >= start,
                HazardTransition.created_at < end,
                HazardTransition.action.in_(BOARD_EVENT_ACTIONS),
            )
            .order_by(HazardTransition.created_at.desc())
            .limit(200)
        ).all()
    ]
    queue = and_(intake_condition(user), IntakeReport.status == "pending")
    if area is not None:
        queue = and_(queue, IntakeReport.site_id.in_(area))
    intake_pending, intake_overdue = session.exec(
        select(
            func.count(),
            func.coalesce(
                func.sum(
                    case((IntakeReport.created_at < now - timedelta(hours=intake_rules.OVERDUE_HOURS), 1), else_=0)
                ),
                0,
            ),
        )
        .select_from(IntakeReport)
        .where(queue)
    ).one()
    return {
        "date": day.isoformat(),
        "intake_pending": intake_pending,
        "intake_overdue_24h": int(intake_overdue),
        "week": week,
        "raised": raised,
        "open_by_status": open_by_status,
        "awaiting_verification": open_by_status.get("awaiting_verification", 0),
        "overdue_by_level": {"1": overdue_total - overdue_2, "2": overdue_2},
        "notices_unacknowledged_48h": unacknowledged,
        "rounds": rounds["totals"],
        "rounds_by_street": rounds["by_street"],
        "rounds_by_site": rounds["by_site"] if area is not None else [],
        "open_by_category": open_by_category,
        "trainings": {"sessions": sessions, "attendees": int(attendees)},
        "joint_inspections_week": joint_week,
        "revisits": {"due": revisits_due, "done_week": revisits_done},
        "events": events,
    }


def rounds_of_week(
    *,
    session: Session,
    settings: Settings,
    registry: ChecklistRegistry,
    user: User,
    week: str,
    area=None,  # type: ignore[no-untyped-def]
    plan: bool = True,
) -> dict:
    """Coverage for the week: sites with every due category done / sites in scope; visits / target; by street;
    with `plan`, the week's SiteRound rows too (the rounds page).

    Counted by the database per site (week_coverage: categories done and days visited as bits, one index-only
    pass over the week's inspections; visit targets), so a city's week costs one row per site, not one per
    inspection, and — without the plan — no object per site but its row."""
    monday = weeks.parse_week(week)
    in_scope = and_(site_condition(user), true() if area is None else Site.id.in_(area))
    everything = area is None and user.role == Role.admin.value  # the whole city: no IN over every site
    scope_ids = None if everything else select(Site.id).where(in_scope)
    profile = cast(Site.profile, Text).label("profile")  # the text: a handful of distinct ones, parsed once each
    if user.role == Role.officer.value:
        sites = session.exec(
            select(Site.id, Site.name, Site.street, profile, Assignment.visits_per_week)
            .join(Assignment, Assignment.site_id == Site.id)
            .where(Assignment.officer_id == user.id, in_scope)
            .order_by(Site.name)
        ).all()
        targets = {site.id: site.visits_per_week for site in sites}
        own = user.id
    else:
        sites = session.exec(
            select(Site.id, Site.name, Site.street, profile).where(in_scope).order_by(Site.district, Site.name)
        ).all()
        assigned = select(Assignment.site_id, func.sum(Assignment.visits_per_week)).group_by(Assignment.site_id)
        if scope_ids is not None:
            assigned = assigned.where(Assignment.site_id.in_(scope_ids))
        targets = dict(session.exec(assigned).all())
        own = None
    by_street: dict[str, dict[str, int]] = defaultdict(lambda: {"sites_complete": 0, "sites": 0})
    totals = {"sites_complete": 0, "sites": 0, "visits": 0, "visits_target": 0}
    by_site = []
    rows: list = []
    if plan:
        rows = site_rounds(
            session=session,
            settings=settings,
            registry=registry,
            sites=sites,
            site_ids=scope_ids,
            targets=targets,
            monday=monday,
            own=own,
        )
        per_site = ((row.remaining, row.visits) for row in rows)
    else:
        categories = known_categories(registry)
        coverage = week_coverage(
            session=session, settings=settings, categories=categories, site_ids=scope_ids, monday=monday, own=own
        )
        bit = {c: 1 << i for i, c in enumerate(categories)}
        due_of = due_lookup(registry)

        def remaining_and_visits(site) -> tuple[list[str], int]:  # type: ignore[no-untyped-def]
            done, days = coverage.get(site.id, (0, 0))
            return [c for c in due_of(site.profile) if not done & bit[c]], days.bit_count()

        per_site = map(remaining_and_visits, sites)
    for site, (remaining, visits) in zip(sites, per_site, strict=True):
        complete = int(not remaining)
        if area is not None:  # a street's or a site's board lists its sites
            by_site.append({"site_id": site.id, "name": site.name, "complete": bool(complete), "remaining": remaining})
        street = by_street[site.street or "—"]
        street["sites"] += 1
        street["sites_complete"] += complete
        totals["sites"] += 1
        totals["sites_complete"] += complete
        totals["visits"] += visits
        totals["visits_target"] += targets.get(site.id, 0)
    week_plan = WeekRounds(week=week, starts_on=monday, ends_on=monday + timedelta(days=6), sites=rows)
    return {
        "totals": totals,
        "by_street": dict(sorted(by_street.items())),
        "by_site": by_site,
        "plan": week_plan if plan else None,
    }


def map_features(
    *,
    session: Session,
    user: User,
    category: str | None = None,
    status: list[str] | None = None,
    street: str | None = None,
    overdue: bool | None = None,
) -> dict:
    """A GeoJSON FeatureCollection of the sites in scope, each with its worst open hazard and counts."""
    now = utcnow()
    located = and_(site_condition(user), Site.lat.is_not(None), Site.lon.is_not(None))
    if street:
        located = and_(located, Site.street == street)
    # Per site, counted in SQL (open: an index-only scan of ix_hazard_open_site, in site order): the worst
    # severity (its rank), open and overdue counts; joined to the sites in the same query, so a city's map is
    # one row per site. The scope's hazards are its sites' (only the sites listed are joined), so only a
    # street narrows the count to its sites.
    rank = case(*((Hazard.severity == name, value) for name, value in SEVERITY_RANK.items()), else_=9)
    hazards = (
        select(
            Hazard.site_id,
            func.min(rank).label("worst"),
            func.count().label("open"),
            func.sum(case((Hazard.deadline < now, 1), else_=0)).label("late"),
        )
        .where(hazard_condition(user), Hazard.status.in_(status) if status else is_open())
        .group_by(Hazard.site_id)
    )
    if street:
        hazards = hazards.where(Hazard.site_id.in_(select(Site.id).where(located)))
    if category:
        hazards = hazards.where(Hazard.category == category)
    counts = hazards.subquery()
    late = func.coalesce(counts.c.late, 0)
    query = (
        select(Site.id, Site.name, Site.street, Site.lat, Site.lon, counts.c.worst, counts.c.open, late)
        .outerjoin(counts, counts.c.site_id == Site.id)
        .where(located)
        .order_by(Site.name)
    )
    if overdue is not None:
        query = query.where(late > 0 if overdue else late == 0)
    severity_of = {value: name for name, value in SEVERITY_RANK.items()}
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "site_id": str(site_id),
                "name": name,
                "street": site_street,
                "worst_severity": severity_of.get(worst),
                "open_count": n or 0,
                "overdue_count": int(n_late),
            },
        }
        for site_id, name, site_street, lat, lon, worst, n, n_late in session.exec(query).all()
    ]
    return {"type": "FeatureCollection", "features": features}
