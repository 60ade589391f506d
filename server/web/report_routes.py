"""Reports in the browser: a period picker, drill-down from the whole area to a street or a site, the figures
with 环比 and 同比, charts, the company scorecard, repeat hazards and common problems, and the XLSX / PDF
files — all from server/reports (the same functions as GET /api/v1/reports). And, for admins, the delivery log
of notifications with a retry button (server/notify)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from rulebook import periods
from rulebook.categories import CATEGORIES, CATEGORY_NAMES, SEVERITIES, SEVERITY_NAMES, name
from rulebook.messages import render as render_message
from server.common import utcnow
from server.errors import DomainError
from server.notify import service as notify
from server.notify.models import DeliveryStatus
from server.reports import service as reports
from server.reports.pdf import render_report_pdf
from server.reports.xlsx import FIGURE_NAMES, report_workbook
from server.web import session as web_session
from server.web.i18n import t
from server.web.pages import Csrf, PageSession, PageUser, not_found_page, redirect, render

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIGURE_NAMES_EN = {
    "sites_complete_share": "Rounds complete (%)",
    "inspections": "Inspections",
    "items_checked": "Items checked",
    "hazards_found": "Hazards found",
    "hazards_closed": "Hazards closed",
    "closed_on_time_share": "Closed on time (%)",
    "days_to_close_median": "Days to close, median",
    "days_to_close_p90": "Days to close, 90th percentile",
    "open_at_end": "Open at period end",
    "overdue_at_end": "Overdue at period end",
    "overdue_at_end_level1": "Overdue, level 1",
    "overdue_at_end_level2": "Overdue, level 2",
    "reopened": "Reopened",
    "notices_issued": "Notices issued",
    "notices_acknowledged_48h_share": "Acknowledged within 48 h (%)",
    "hours_to_acknowledge_median": "Hours to acknowledge, median",
    "trainings": "Training sessions",
    "attendees": "Attendees",
    "training_hours": "Training hours",
    "joint_inspections": "Joint inspections",
    "revisits_due": "Revisits due",
    "revisits_done": "Revisits done",
    "revisits_confirmed": "Revisits: still fixed",
    "revisits_reopened": "Revisits: reopened",
}


def _last_week(request: Request) -> str:
    local = utcnow().astimezone(request.app.state.settings.tz).date()
    return periods.week(local - timedelta(days=7)).name


def _report_args(request: Request, user, session, period: str, scope: str):  # type: ignore[no-untyped-def]
    return {
        "session": session,
        "settings": request.app.state.settings,
        "user": user,
        "period_name": period,
        "scope_text": scope,
    }


@router.get("/reports", response_class=HTMLResponse)
def report_page(
    request: Request, user: PageUser, session: PageSession, period: str = "", scope: str = "all"
) -> Response:
    period = period.strip() or _last_week(request)
    lang = web_session.language_of(request)
    try:
        data = reports.report(
            registry=request.app.state.checklists, **_report_args(request, user, session, period, scope)
        )
        trend = reports.trend(**_report_args(request, user, session, period, scope))
    except DomainError as exc:
        if exc.status_code == 404:
            return not_found_page(request, user)
        return render(
            request,
            "reports.html",
            user,
            status_code=exc.status_code,
            period=period,
            scope=scope,
            error=render_message(exc.code, exc.params, lang),
            data=None,
        )
    streets = sorted({s.street for s in reports.scoped_sites(session, user, reports.parse_scope("all")) if s.street})
    sites = []
    if scope.startswith("street:"):
        sites = [(str(s.id), s.name) for s in reports.scoped_sites(session, user, reports.parse_scope(scope))]
    grid = data["hazards_by_category_severity"]
    charts = {
        "words": {"found": t("found", lang), "closed": t("closed", lang), "on_time": t("on_time", lang)},
        "category_names": {c: name(CATEGORY_NAMES, c, lang) for c in CATEGORIES},
        "severity_names": {s: name(SEVERITY_NAMES, s, lang) for s in SEVERITIES},
        "categories": [c for c in CATEGORIES if c in grid],
        "severities": list(SEVERITIES),
        "grid": grid,
        "trend": trend,
        "companies": [[c["organization"], c["closed_on_time_share"]] for c in data["companies"]],
    }
    names = FIGURE_NAMES if lang == "zh" else FIGURE_NAMES_EN
    return render(
        request,
        "reports.html",
        user,
        period=period,
        scope=scope,
        error=None,
        data=data,
        streets=streets,
        sites=sites,
        figure_rows=[(names[n], data["figures"][n]) for n in names if n in data["figures"]],
        charts=json.dumps(charts, ensure_ascii=False),
        quick=_quick_periods(request),
    )


def _quick_periods(request: Request) -> list[str]:
    today = utcnow().astimezone(request.app.state.settings.tz).date()
    week = periods.week(today - timedelta(days=7))
    month = periods.month(today.year, today.month).previous()
    quarter = periods.quarter(today.year, (today.month - 1) // 3 + 1).previous()
    return [week.name, month.name, quarter.name, str(today.year - 1)]


@router.get("/reports/file")
def report_file(
    request: Request, user: PageUser, session: PageSession, period: str, scope: str = "all", format: str = "xlsx"
) -> Response:  # noqa: A002
    try:
        data = reports.report(
            registry=request.app.state.checklists, **_report_args(request, user, session, period, scope)
        )
        if format == "pdf":
            body = render_report_pdf(data, reports.trend(**_report_args(request, user, session, period, scope)))
            media, ext = "application/pdf", "pdf"
        else:
            body, media, ext = report_workbook(data), XLSX, "xlsx"
    except DomainError:
        return not_found_page(request, user)
    name = f"saferound-report-{data['period']}.{ext}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/admin/deliveries", response_class=HTMLResponse)
def deliveries_page(request: Request, user: PageUser, session: PageSession, status: str = "") -> Response:
    if user.role != "admin":
        return not_found_page(request, user)
    chosen = DeliveryStatus(status) if status in {s.value for s in DeliveryStatus} else None
    rows, _next = notify.list_deliveries(session=session, status=chosen, cursor=None, limit=200)
    return render(
        request, "deliveries.html", user, rows=rows, status=status, statuses=[s.value for s in DeliveryStatus]
    )


@router.post("/admin/deliveries/{delivery_id}/retry", dependencies=[Csrf])
def retry_delivery(
    request: Request, delivery_id: uuid.UUID, user: PageUser, session: PageSession, status: Annotated[str, Form()] = ""
) -> Response:
    if user.role != "admin":
        return not_found_page(request, user)
    try:
        notify.retry_delivery(session=session, delivery_id=delivery_id)
    except DomainError as exc:
        if exc.status_code == 404:
            return not_found_page(request, user)
    return redirect(f"/admin/deliveries?status={status}")
