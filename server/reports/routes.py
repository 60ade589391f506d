"""GET /reports/{period}: a period's figures for a scope, as JSON or as an Excel workbook."""

from __future__ import annotations

import uuid
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Request, Response

from server.deps import AdminUser, CurrentUser, SessionDep, SettingsDep
from server.reports import service
from server.reports.models import StoredReportPage
from server.reports.pdf import render_report_pdf
from server.reports.xlsx import report_workbook

router = APIRouter(tags=["reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/reports/archive", response_model=StoredReportPage)
def list_stored_reports(admin: AdminUser, session: SessionDep, period: str | None = None) -> StoredReportPage:
    """The reports the server made by itself (each district's weekly report, XLSX and PDF), newest first."""
    return StoredReportPage(items=service.stored_reports(session=session, period=period))


@router.get(
    "/reports/archive/{report_id}", response_model=None, responses={200: {"content": {XLSX: {}, "application/pdf": {}}}}
)
def download_stored_report(report_id: uuid.UUID, admin: AdminUser, session: SessionDep) -> Response:
    stored = service.stored_report(session=session, report_id=report_id)
    name = f"saferound-{stored.period}-{stored.scope.replace(':', '-')}.{stored.format}"
    return Response(
        stored.content,
        media_type=XLSX if stored.format == "xlsx" else "application/pdf",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@router.get(
    "/reports/{period}",
    response_model=None,
    responses={200: {"content": {"application/json": {}, XLSX: {}, "application/pdf": {}}}},
)
def get_report(
    request: Request,
    period: str,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    scope: str = "all",
    format: Literal["json", "xlsx", "pdf"] = "json",  # noqa: A002 - the API's parameter name
) -> dict[str, Any] | Response:
    """Figures (JSON, XLSX, or a PDF with charts) of an ISO week (2026-W48), month (2026-11), quarter (2026-Q4)
    or year (2026), with the period before and a year before; scope all | district:NAME | street:NAME | site:ID,
    within what the caller may see (a property user: their company's hazards)."""
    data = service.report(
        session=session,
        settings=settings,
        registry=request.app.state.checklists,
        user=user,
        period_name=period,
        scope_text=scope,
    )
    if format == "pdf":
        trend = service.trend(session=session, settings=settings, user=user, period_name=period, scope_text=scope)
        return Response(
            render_report_pdf(data, trend),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="saferound-report-{data["period"]}.pdf"'},
        )
    if format == "xlsx":
        name = f"saferound-report-{data['period']}.xlsx"
        return Response(
            report_workbook(data), media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )
    return data
