"""Which categories each site owes this ISO week (in the deployment's time zone), and what was done."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlmodel import Session, select

from rulebook import weeks
from rulebook.categories import PROFILE_FLAGS
from server.checklists.service import ChecklistRegistry
from server.common import utcnow
from server.config import Settings
from server.errors import Invalid
from server.inspections.models import Inspection
from server.rounds.models import SiteRound, WeekRounds
from server.sites.models import Assignment, Site
from server.users.models import Role, User


def parse_week(week: str) -> date:
    """Monday of an ISO week written like 2026-W48."""
    try:
        return weeks.parse_week(week)
    except ValueError:
        raise Invalid("bad_week", week=week) from None


def due_categories(registry: ChecklistRegistry, profile: dict) -> list[str]:
    return sorted(c for c, t in registry.current.items() if t.items_for(profile))


def rounds_for_week(
    *, session: Session, settings: Settings, registry: ChecklistRegistry, user: User, week: str | None
) -> WeekRounds:
    week = week or weeks.week_of(utcnow(), settings.tz)
    monday = parse_week(week)
    start, end = weeks.week_bounds(monday, settings.tz)

    if user.role == Role.officer:
        rows = session.exec(
            select(Site, Assignment.visits_per_week)
            .join(Assignment, Assignment.site_id == Site.id)
            .where(Assignment.officer_id == user.id)
            .order_by(Site.name)
        ).all()
        targets = {site.id: visits for site, visits in rows}
        sites = [site for site, _ in rows]
    else:
        sites = list(session.exec(select(Site).order_by(Site.district, Site.name)).all())
        targets = defaultdict(int)
        for a in session.exec(select(Assignment)).all():
            targets[a.site_id] += a.visits_per_week

    done: dict = defaultdict(set)
    visit_days: dict = defaultdict(set)
    if sites:
        found = session.exec(
            select(Inspection.site_id, Inspection.category, Inspection.finished_at, Inspection.inspector_id).where(
                Inspection.site_id.in_([s.id for s in sites]),
                Inspection.finished_at >= start,
                Inspection.finished_at < end,
            )
        ).all()
        for site_id, category, finished_at, inspector_id in found:
            done[site_id].add(category)
            if user.role != Role.officer or inspector_id == user.id:
                visit_days[site_id].add(finished_at.astimezone(settings.tz).date())

    result = []
    due_by_flags: dict[tuple, list[str]] = {}  # sites with the same flags owe the same categories
    for site in sites:
        flags = tuple(bool((site.profile or {}).get(flag)) for flag in PROFILE_FLAGS)
        if flags not in due_by_flags:
            due_by_flags[flags] = due_categories(registry, site.profile)
        due = due_by_flags[flags]
        result.append(
            SiteRound(
                site_id=site.id,
                site_name=site.name,
                due=due,
                done=sorted(done[site.id]),
                remaining=[c for c in due if c not in done[site.id]],
                visits=len(visit_days[site.id]),
                visits_target=targets.get(site.id, 0),
            )
        )
    return WeekRounds(week=week, starts_on=monday, ends_on=monday + timedelta(days=6), sites=result)
