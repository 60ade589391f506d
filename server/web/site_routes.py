"""Site page, rounds (week picker) and the training log with monthly totals."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func
from sqlmodel import select

from rulebook import weeks
from rulebook.categories import CATEGORIES
from rulebook.hazards import hazard_id_for
from server.common import utcnow
from server.errors import NotFound
from server.hazards.models import Hazard
from server.inspections import service as inspections
from server.inspections.models import Inspection
from server.rounds.service import bits_or, due_categories, local_day_bit
from server.scope import fieldwork_condition, hazard_condition, site_condition
from server.sites import service as sites
from server.sites.models import Assignment, Site
from server.trainings.models import TrainingSession
from server.users.models import Organization, User
from server.web import board as board_service
from server.web.pages import PageSession, PageUser, not_found_page, render

router = APIRouter(include_in_schema=False)
WEEKS_SHOWN = 8


@router.get("/sites/{site_id}", response_class=HTMLResponse)
def site_page(request: Request, site_id: str, user: PageUser, session: PageSession) -> HTMLResponse:
    settings = request.app.state.settings
    try:
        site = sites.get_site(session=session, user=user, site_id=uuid.UUID(site_id))
    except (ValueError, NotFound):
        return not_found_page(request, user)
    company = session.get(Organization, site.property_org_id) if site.property_org_id else None
    officers = session.exec(
        select(User, Assignment.visits_per_week)
        .join(Assignment, Assignment.officer_id == User.id)
        .where(Assignment.site_id == site.id)
    ).all()
    due = due_categories(request.app.state.checklists, site.profile)
    this_monday = weeks.parse_week(weeks.week_of(utcnow(), settings.tz))
    mondays = [this_monday - timedelta(weeks=n) for n in range(WEEKS_SHOWN - 1, -1, -1)]
    first, _ = weeks.week_bounds(mondays[0], settings.tz)
    inspections = session.exec(
        select(Inspection)
        .where(
            Inspection.site_id == site.id,
            fieldwork_condition(user, Inspection.site_id),
            Inspection.finished_at >= first,
        )
        .order_by(Inspection.finished_at.desc())
    ).all()
    done: dict[str, set[str]] = defaultdict(set)
    for ins in inspections:
        done[weeks.week_of(ins.finished_at, settings.tz)].add(ins.category)
    grid = [
        {
            "week": weeks.week_of(monday, settings.tz),
            "cells": {
                c: (
                    "done"
                    if c in done[weeks.week_of(monday, settings.tz)]
                    else ("due" if monday == this_monday else "missed")
                )
                if c in due
                else ""
                for c in CATEGORIES
            },
        }
        for monday in mondays
    ]
    hazards = session.exec(
        select(Hazard)
        .where(Hazard.site_id == site.id, hazard_condition(user))
        .order_by(Hazard.created_at.desc())
        .limit(100)
    ).all()
    trainings = session.exec(
        select(TrainingSession)
        .where(TrainingSession.site_id == site.id, fieldwork_condition(user, TrainingSession.site_id))
        .order_by(TrainingSession.held_at.desc())
        .limit(20)
    ).all()
    return render(
        request,
        "site.html",
        user,
        site=site,
        company=company,
        officers=officers,
        grid=grid,
        categories=CATEGORIES,
        inspections=inspections[:20],
        hazards=hazards,
        trainings=trainings,
        now=utcnow(),
    )


@router.get("/rounds", response_class=HTMLResponse)
def rounds_page(request: Request, user: PageUser, session: PageSession, week: str | None = None) -> HTMLResponse:
    settings = request.app.state.settings
    try:
        week = week if week and weeks.parse_week(week) else None
    except ValueError:
        week = None
    week = week or weeks.week_of(utcnow(), settings.tz)
    rounds = board_service.rounds_of_week(
        session=session, settings=settings, registry=request.app.state.checklists, user=user, week=week
    )
    streets = dict(session.exec(select(Site.id, Site.street).where(site_condition(user))).all())
    by_street: dict[str, list] = defaultdict(list)
    for row in rounds["plan"].sites:
        if row.site_id in streets:
            by_street[streets[row.site_id] or "—"].append(row)
    return render(
        request,
        "rounds.html",
        user,
        week=week,
        totals=rounds["totals"],
        by_street=dict(sorted(by_street.items())),
        categories=CATEGORIES,
        behind=officers_behind(session=session, settings=settings, user=user, week=week),
    )


def officers_behind(*, session, settings, user: User, week: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """Officers (in the caller's scope) whose visit days this week fall short of their assignments' target."""
    if user.role == "property":
        return []
    monday = weeks.parse_week(week)
    start, end = weeks.week_bounds(monday, settings.tz)
    targets = session.exec(
        select(User.id, User.display_name, User.username, func.sum(Assignment.visits_per_week))
        .join(Assignment, Assignment.officer_id == User.id)
        .where(site_condition(user, Assignment.site_id), User.is_active)
        .group_by(User.id, User.display_name, User.username)
    ).all()
    # Visits: (site, local day) pairs per inspector, counted as day bits per inspector and site by the database
    # (an index-only scan of ix_inspection_finished_site), not one row per inspection.
    days: dict[uuid.UUID, int] = defaultdict(int)
    for inspector, bits in session.exec(
        select(Inspection.inspector_id, bits_or(local_day_bit(settings, monday)))
        .where(Inspection.finished_at >= start, Inspection.finished_at < end, site_condition(user, Inspection.site_id))
        .group_by(Inspection.inspector_id, Inspection.site_id)
    ).all():
        days[inspector] += int(bits).bit_count()
    out = []
    for officer_id, display, username, target in targets:
        visits = days[officer_id]
        if visits < (target or 0):
            out.append({"name": display or username, "visits": visits, "target": int(target)})
    return sorted(out, key=lambda r: r["visits"] - r["target"])


@router.get("/trainings", response_class=HTMLResponse)
def trainings_page(
    request: Request, user: PageUser, session: PageSession, site_id: str | None = None, month: str | None = None
) -> HTMLResponse:
    settings = request.app.state.settings
    query = (
        select(TrainingSession, Site.name)
        .join(Site, Site.id == TrainingSession.site_id)
        .where(fieldwork_condition(user, TrainingSession.site_id))
    )
    try:
        chosen_site = uuid.UUID(site_id) if site_id else None
    except ValueError:
        chosen_site = None
    if chosen_site:
        query = query.where(TrainingSession.site_id == chosen_site)
    rows = session.exec(query.order_by(TrainingSession.held_at.desc())).all()
    if month:
        rows = [r for r in rows if r[0].held_at.astimezone(settings.tz).strftime("%Y-%m") == month]
    totals: dict[tuple[str, str], dict] = defaultdict(lambda: {"sessions": 0, "attendees": 0, "minutes": 0})
    for training, site_name in rows:
        entry = totals[(training.held_at.astimezone(settings.tz).strftime("%Y-%m"), site_name)]
        entry["sessions"] += 1
        entry["attendees"] += training.attendee_count
        entry["minutes"] += training.duration_minutes
    site_options = session.exec(
        select(Site.id, Site.name).where(fieldwork_condition(user, Site.id)).order_by(Site.name)
    ).all()
    return render(
        request,
        "trainings.html",
        user,
        rows=rows[:200],
        totals=sorted(totals.items(), reverse=True),
        site_options=site_options,
        chosen_site=chosen_site,
        month=month or "",
    )


@router.get("/inspections/{inspection_id}", response_class=HTMLResponse)
def inspection_page(request: Request, inspection_id: str, user: PageUser, session: PageSession) -> HTMLResponse:
    """One checklist run: every answer with the officer's note and photos (the same scope as the API)."""
    try:
        inspection = inspections.get_inspection(session=session, user=user, inspection_id=uuid.UUID(inspection_id))
    except (ValueError, NotFound):
        return not_found_page(request, user)
    site = session.get(Site, inspection.site_id)
    inspector = session.get(User, inspection.inspector_id)
    return render(
        request,
        "inspection.html",
        user,
        inspection=inspection,
        site=site,
        inspector=(inspector.display_name or inspector.username) if inspector else "",
        raised={
            item_id: str(hazard_id_for(inspection.id, item_id))
            for item_id in (a.item_id for a in inspection.answers if a.result == "fail")
        },
    )
