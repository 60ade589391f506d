"""Which categories each site owes this ISO week (in the deployment's time zone), and what was done."""

from __future__ import annotations

import base64
import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, case, func, literal, tuple_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, select

from rulebook import weeks
from rulebook.categories import CATEGORIES, PROFILE_FLAGS
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


def due_lookup(registry: ChecklistRegistry) -> Callable[[Any], list[str]]:
    """due_categories() by a site's profile — a dict, or its JSON text as a sites query may read it
    (CAST(profile AS TEXT): no dict per site) — worked out once per distinct profile (a city has a handful)."""
    by_text: dict[str, list[str]] = {}
    by_flags: dict[tuple, list[str]] = {}

    def due(profile: Any) -> list[str]:
        if isinstance(profile, str):
            found = by_text.get(profile)
            if found is None:
                found = by_text[profile] = due(json.loads(profile))
            return found
        flags = tuple(bool((profile or {}).get(flag)) for flag in PROFILE_FLAGS)
        if flags not in by_flags:
            by_flags[flags] = due_categories(registry, profile)
        return by_flags[flags]

    return due


ROUNDS_DEFAULT_LIMIT = 200
ROUNDS_MAX_LIMIT = 500


def _encode(district: str, name: str, site_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(json.dumps([district, name, str(site_id)]).encode()).decode()


def _after(cursor: str) -> ColumnElement[bool]:
    """Sites after the last one of the previous page, in (district, name, id) order."""
    try:
        district, name, raw_id = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        if not all(isinstance(part, str) for part in (district, name, raw_id)):
            raise ValueError(cursor)
        site_id = uuid.UUID(raw_id)
    except (ValueError, TypeError, UnicodeDecodeError):
        raise Invalid("bad_cursor") from None
    return tuple_(Site.district, Site.name, Site.id) > tuple_(district, name, site_id)


class bits_or(FunctionElement):  # noqa: N801 (an SQL function's name)
    """The OR of a column of single bits (each row's value one bit, or 0): bit_or() on PostgreSQL (a hash
    aggregate), SUM(DISTINCT …) elsewhere (SQLite has no bit_or; the sum of distinct single bits is their OR,
    but DISTINCT sorts every group)."""

    name = "bits_or"
    type = BigInteger()
    inherit_cache = True


@compiles(bits_or)
def _bits_or(element: bits_or, compiler: Any, **kw: Any) -> str:
    return f"sum(DISTINCT {compiler.process(element.clauses, **kw)})"


@compiles(bits_or, "postgresql")
def _bits_or_postgresql(element: bits_or, compiler: Any, **kw: Any) -> str:
    return f"bit_or({compiler.process(element.clauses, **kw)})"


def local_day_bit(settings: Settings, monday: date) -> ColumnElement[int]:
    """The day of the week (deployment time zone) an inspection of that week finished on, as a bit (1 << day),
    in SQL: bits_or() of them is the set of days visited."""
    boundaries = [datetime.combine(monday + timedelta(days=i), time(0), settings.tz) for i in range(1, 7)]
    return case(
        *((Inspection.finished_at < b, literal(1 << i, BigInteger)) for i, b in enumerate(boundaries)),
        else_=literal(1 << 6, BigInteger),
    )


def week_coverage(
    *,
    session: Session,
    settings: Settings,
    categories: Sequence[str],
    site_ids: Any,
    monday: date,
    own: uuid.UUID | None = None,
) -> dict[uuid.UUID, tuple[int, int]]:
    """Per site visited in the week: (the categories done, bit i for categories[i] and bit len(categories) for
    any other; the local days visited, bit d for day d). One row per site, counted by the database in one
    pass over the week's inspections (an index-only scan of ix_inspection_finished_site), never the
    inspections themselves. `site_ids`: a subquery or a list of the sites (None: every site); `own`: count
    only this officer's visit days."""
    start, end = weeks.week_bounds(monday, settings.tz)
    in_week = and_(Inspection.finished_at >= start, Inspection.finished_at < end)
    if site_ids is not None:
        in_week = and_(Inspection.site_id.in_(site_ids), in_week)
    category = case(
        *((Inspection.category == c, literal(1 << i, BigInteger)) for i, c in enumerate(categories)),
        else_=literal(1 << len(categories), BigInteger),
    )
    day = local_day_bit(settings, monday)
    counted = day if own is None else case((Inspection.inspector_id == own, day), else_=literal(0, BigInteger))
    rows = session.exec(
        select(Inspection.site_id, bits_or(category), bits_or(counted)).where(in_week).group_by(Inspection.site_id)
    ).all()
    return {site_id: (int(done), int(days or 0)) for site_id, done, days in rows}


def categories_outside(
    *, session: Session, settings: Settings, categories: Sequence[str], site_ids: list[uuid.UUID], monday: date
) -> dict[uuid.UUID, set[str]]:
    """The week's categories done at these sites that are not in `categories` (a checklist since withdrawn)."""
    start, end = weeks.week_bounds(monday, settings.tz)
    found: dict[uuid.UUID, set[str]] = defaultdict(set)
    for site_id, category in session.exec(
        select(Inspection.site_id, Inspection.category)
        .where(
            Inspection.site_id.in_(site_ids),
            Inspection.finished_at >= start,
            Inspection.finished_at < end,
            Inspection.category.not_in(categories),
        )
        .distinct()
    ).all():
        found[site_id].add(category)
    return found


def known_categories(registry: ChecklistRegistry) -> list[str]:
    """The categories a week's coverage names by bit (a BIGINT's): the rulebook's seven, which every served
    checklist's is (server/checklists/templates.py); another (older data) sets the last bit."""
    return sorted(set(CATEGORIES) | set(registry.current))


def site_rounds(
    *,
    session: Session,
    settings: Settings,
    registry: ChecklistRegistry,
    sites: Sequence[Any],
    site_ids: Any,
    targets: dict[uuid.UUID, int],
    monday: date,
    own: uuid.UUID | None = None,
) -> list[SiteRound]:
    """Due versus done for `sites` (rows with id, name, profile: a dict or its JSON text), from
    week_coverage(). `site_ids` selects the same sites (a subquery or a list; None: every site); `own`: count
    only this officer's visits."""
    categories = known_categories(registry)
    coverage = week_coverage(
        session=session, settings=settings, categories=categories, site_ids=site_ids, monday=monday, own=own
    )
    other = 1 << len(categories)
    elsewhere = [site_id for site_id, (done, _days) in coverage.items() if done & other]
    outside = (
        categories_outside(session=session, settings=settings, categories=categories, site_ids=elsewhere, monday=monday)
        if elsewhere
        else {}
    )
    result = []
    due_of = due_lookup(registry)
    for site in sites:
        due = due_of(site.profile)
        done_bits, day_bits = coverage.get(site.id, (0, 0))
        done = {c for i, c in enumerate(categories) if done_bits >> i & 1}
        if done_bits & other:
            done |= outside.get(site.id, set())
        result.append(
            SiteRound(
                site_id=site.id,
                site_name=site.name,
                due=due,
                done=sorted(done),
                remaining=[c for c in due if c not in done],
                visits=day_bits.bit_count(),
                visits_target=targets.get(site.id, 0),
            )
        )
    return result


def rounds_for_week(
    *,
    session: Session,
    settings: Settings,
    registry: ChecklistRegistry,
    user: User,
    week: str | None,
    district: str | None = None,
    street: str | None = None,
    cursor: str | None = None,
    limit: int = ROUNDS_DEFAULT_LIMIT,
) -> WeekRounds:
    """An officer's own sites (all of them: the phone keeps the week). Anyone else: the sites of a district
    or street, a page at a time in (district, name) order."""
    week = week or weeks.week_of(utcnow(), settings.tz)
    monday = parse_week(week)
    next_cursor = None
    if user.role == Role.officer:
        mine = (
            select(Site.id, Site.name, Site.profile, Assignment.visits_per_week)
            .join(Assignment, Assignment.site_id == Site.id)
            .where(Assignment.officer_id == user.id)
        )
        for column, value in ((Site.district, district), (Site.street, street)):
            if value:
                mine = mine.where(column == value)
        sites = session.exec(mine.order_by(Site.name)).all()
        targets = {site.id: site.visits_per_week for site in sites}
        rows = site_rounds(
            session=session,
            settings=settings,
            registry=registry,
            sites=sites,
            site_ids=select(Assignment.site_id).where(Assignment.officer_id == user.id),
            targets=targets,
            monday=monday,
            own=user.id,
        )
    else:
        query = select(Site.id, Site.name, Site.district, Site.profile)
        for column, value in ((Site.district, district), (Site.street, street)):
            if value:
                query = query.where(column == value)
        if cursor:
            query = query.where(_after(cursor))
        found = session.exec(query.order_by(Site.district, Site.name, Site.id).limit(limit + 1)).all()
        sites = found[:limit]
        if len(found) > limit:
            last = sites[-1]
            next_cursor = _encode(last.district, last.name, last.id)
        ids = [site.id for site in sites]
        targets = dict(
            session.exec(
                select(Assignment.site_id, func.sum(Assignment.visits_per_week))
                .where(Assignment.site_id.in_(ids))
                .group_by(Assignment.site_id)
            ).all()
        )
        rows = site_rounds(
            session=session,
            settings=settings,
            registry=registry,
            sites=sites,
            site_ids=ids,
            targets=targets,
            monday=monday,
        )
    return WeekRounds(
        week=week, starts_on=monday, ends_on=monday + timedelta(days=6), sites=rows, next_cursor=next_cursor
    )
