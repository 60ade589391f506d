"""Every Monday from 08:00 local time the server makes last week's report of each district (and of the whole
deployment) as XLSX and PDF, and keeps them for download. Run by the background jobs (server/jobs.py): once
across workers, and again harmlessly — a report that exists is not made twice."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from rulebook import periods
from server.checklists.service import ChecklistRegistry
from server.common import utcnow
from server.config import Settings
from server.db import write_unit
from server.reports import service
from server.reports.models import StoredReport
from server.reports.pdf import render_report_pdf
from server.reports.xlsx import report_workbook
from server.sites.models import Site
from server.users.models import Role, User

log = logging.getLogger("saferound.reports")
READY_AT = time(8, 0)  # Monday, local time


def due_week(now: datetime, settings: Settings) -> periods.Period | None:
    """The week whose report is due at `now`: last week once this Monday 08:00 local has passed."""
    local = now.astimezone(settings.tz)
    monday = local.date() - timedelta(days=local.weekday())
    if local < datetime.combine(monday, READY_AT, settings.tz):
        monday -= timedelta(days=7)  # before 08:00 on Monday: the week before last is the newest due
    return periods.week(monday - timedelta(days=7))


def make_weekly_reports(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Make the due week's reports that do not exist yet; the number made."""
    week = due_week(now or utcnow(), settings)
    if week is None:
        return 0
    registry = ChecklistRegistry.from_directory(settings.checklists_dir)
    coordinator = User(username="saferound-jobs", password_hash="", role=Role.admin.value)
    made = 0
    with Session(engine) as session:
        districts = sorted(d for d in session.execute(select(Site.district).distinct()).scalars() if d)
        have = {
            (r.scope, r.format)
            for r in session.execute(select(StoredReport).where(StoredReport.period == week.name)).scalars()
        }
        for scope in ["all", *(f"district:{d}" for d in districts)]:
            wanted = [f for f in ("xlsx", "pdf") if (scope, f) not in have]
            if not wanted:
                continue
            data = service.report(
                session=session,
                settings=settings,
                registry=registry,
                user=coordinator,
                period_name=week.name,
                scope_text=scope,
            )
            files = {
                "xlsx": lambda d=data: report_workbook(d),
                "pdf": lambda d=data, s=scope: render_report_pdf(
                    d,
                    service.trend(
                        session=session, settings=settings, user=coordinator, period_name=week.name, scope_text=s
                    ),
                ),
            }
            for fmt in wanted:
                content = files[fmt]()
                try:
                    with write_unit(session):
                        session.add(
                            StoredReport(
                                period=week.name, scope=scope, format=fmt, content=content, size_bytes=len(content)
                            )
                        )
                    made += 1
                except IntegrityError:  # another host made it meanwhile
                    session.rollback()
    if made:
        log.info("Made %d weekly report files for %s.", made, week.name)
    return made
