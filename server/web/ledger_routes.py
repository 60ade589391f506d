"""The ledger (台账) page and its exports, and the hazard page with the actions the role allows."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from rulebook import lifecycle
from rulebook.categories import CATEGORIES, HAZARD_SOURCES, SEVERITIES
from rulebook.lifecycle import STATUSES
from rulebook.messages import render as render_message
from server.common import utcnow
from server.errors import DomainError, NotFound, from_rule
from server.hazards import detail as hazard_detail
from server.hazards.models import TransitionIn
from server.hazards.service import get_hazard
from server.hazards.transitions import apply_transition
from server.notices import service as notices
from server.notices.models import NoticeIn
from server.photos import service as photos
from server.photos.models import PhotoFields
from server.photos.storage import make_photo_store
from server.scope import site_condition
from server.sites.models import Site
from server.users.models import Organization, User
from server.web import ledger
from server.web import session as web_session
from server.web.pages import Csrf, PageSession, PageUser, not_found_page, redirect, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def parse_filter(params) -> ledger.LedgerFilter:  # type: ignore[no-untyped-def]
    """The ledger filter from query parameters; unknown values are ignored rather than refused."""

    def one(key: str, allowed=None) -> str | None:  # type: ignore[no-untyped-def]
        value = (params.get(key) or "").strip()
        return value if value and (allowed is None or value in allowed) else None

    def day(key: str) -> date | None:
        try:
            return date.fromisoformat(params.get(key) or "")
        except ValueError:
            return None

    def ident(key: str) -> uuid.UUID | None:
        try:
            return uuid.UUID(params.get(key) or "")
        except ValueError:
            return None

    statuses = [s for s in (params.get("status") or "").split(",") if s in STATUSES]
    return ledger.LedgerFilter(
        status=statuses or None,
        severity=one("severity", SEVERITIES),
        category=one("category", CATEGORIES),
        source=one("source", HAZARD_SOURCES),
        street=one("street"),
        site_id=ident("site_id"),
        organization_id=ident("organization_id"),
        overdue={"1": True, "0": False}.get(params.get("overdue") or ""),
        found_from=day("found_from"),
        found_to=day("found_to"),
        text=one("text"),
        sort=one("sort", ledger.SORTS) or "found",
        descending=(params.get("order") or "desc") != "asc",
    )


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(request: Request, user: PageUser, session: PageSession) -> HTMLResponse:
    settings = request.app.state.settings
    f = parse_filter(request.query_params)
    try:
        page_no = max(1, int(request.query_params.get("page") or 1))
    except ValueError:
        page_no = 1
    total = ledger.count(session=session, settings=settings, user=user, f=f)
    rows = ledger.page(
        session=session, settings=settings, user=user, f=f, offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    streets = [
        s
        for s in session.exec(select(Site.street).where(site_condition(user)).distinct().order_by(Site.street)).all()
        if s
    ]
    sites = session.exec(select(Site.id, Site.name).where(site_condition(user)).order_by(Site.name)).all()
    companies = _companies(session, user)
    params = f.as_params()
    return render(
        request,
        "ledger.html",
        user,
        f=f,
        rows=rows,
        total=total,
        page_no=page_no,
        pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
        query=urlencode(params),
        params=params,
        streets=streets,
        sites=sites,
        companies=companies,
        categories=CATEGORIES,
        severities=SEVERITIES,
        statuses=STATUSES,
        now=ledger.utcnow(),
        short_number=ledger.short_number,
    )


def _companies(session: Session, user: User) -> list:
    query = (
        select(Organization.id, Organization.name).where(Organization.kind == "property").order_by(Organization.name)
    )
    if user.role == "property":
        query = query.where(Organization.id == user.organization_id)
    return list(session.exec(query).all())


def _export_rows(request: Request, user: User, f: ledger.LedgerFilter):  # type: ignore[no-untyped-def]
    """Rows read on a session of the stream's own, open as long as the response is being written."""
    settings = request.app.state.settings
    with Session(request.app.state.engine) as session:
        yield from ledger.iter_rows(session=session, settings=settings, user=user, f=f)


@router.get("/ledger/export.xlsx")
def export_xlsx(request: Request, user: PageUser) -> StreamingResponse:
    f = parse_filter(request.query_params)
    lang = web_session.language_of(request)
    title = "隐患排查治理台账" if lang == "zh" else "Hazard ledger"
    body = ledger.stream_xlsx(
        _export_rows(request, user, f),
        settings=request.app.state.settings,
        registry=request.app.state.checklists,
        lang=lang,
        title=title,
        described=f.describe(lang),
    )
    return StreamingResponse(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": "attachment; filename=\"ledger.xlsx\"; filename*=UTF-8''%E5%8F%B0%E8%B4%A6.xlsx"
        },
    )


@router.get("/ledger/export.csv")
def export_csv(request: Request, user: PageUser) -> StreamingResponse:
    f = parse_filter(request.query_params)
    body = ledger.stream_csv(
        _export_rows(request, user, f),
        settings=request.app.state.settings,
        registry=request.app.state.checklists,
        lang=web_session.language_of(request),
    )
    return StreamingResponse(
        body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="ledger.csv"'}
    )


# ---- one hazard ----------------------------------------------------------------------------------


def _hazard_page(
    request: Request,
    user: User,
    session: Session,
    hazard_id: uuid.UUID,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    hazard = hazard_detail.hazard_detail(session=session, user=user, hazard_id=hazard_id)
    site = session.get(Site, hazard.site_id)
    return render(
        request,
        "hazard.html",
        user,
        status_code=status_code,
        hazard=hazard,
        site=site,
        rules={a: lifecycle.rule_for(a) for a in hazard.allowed_actions},
        error=error,
        short_number=ledger.short_number,
    )


@router.get("/hazards/{hazard_id}", response_class=HTMLResponse)
def hazard_page(request: Request, hazard_id: str, user: PageUser, session: PageSession) -> HTMLResponse:
    try:
        return _hazard_page(request, user, session, uuid.UUID(hazard_id))
    except (ValueError, NotFound):
        return not_found_page(request, user)


@router.post("/hazards/{hazard_id}/actions", response_class=HTMLResponse, dependencies=[Csrf])
async def hazard_action(
    request: Request,
    hazard_id: uuid.UUID,
    user: PageUser,
    session: PageSession,
    action: Annotated[str, Form()],
    base_version: Annotated[int, Form()],
    note: Annotated[str, Form()] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """A transition from the browser: the photo goes through the upload service, the step through
    apply_transition — the phone's two calls, in the same order."""
    settings = request.app.state.settings
    rule = lifecycle.rule_for(action)
    photo_ids: list[uuid.UUID] = []
    try:
        content = await photo.read() if photo is not None and photo.filename else b""
        if rule is not None and rule.photo_kind and content:
            photo_id = uuid.uuid4()
            await run_in_threadpool(
                photos.upload_photo,
                session=session,
                settings=settings,
                store=make_photo_store(settings),
                user=user,
                photo_id=photo_id,
                fields=PhotoFields(kind=rule.photo_kind),
                content=content,
            )
            photo_ids.append(photo_id)
        data = TransitionIn(action=action, base_version=base_version, note=note or None, photo_ids=photo_ids)
        await run_in_threadpool(
            apply_transition,
            session=session,
            settings=settings,
            user=user,
            hazard_id=hazard_id,
            transition_id=uuid.uuid4(),
            data=data,
        )
    except NotFound:
        return not_found_page(request, user)
    except DomainError as exc:
        message = render_message(exc.code, exc.params, web_session.language_of(request))
        return _hazard_page(request, user, session, hazard_id, error=message, status_code=exc.status_code)
    except lifecycle.RuleViolation as exc:
        err = from_rule(exc)
        message = render_message(err.code, err.params, web_session.language_of(request))
        return _hazard_page(request, user, session, hazard_id, error=message, status_code=err.status_code)
    return redirect(f"/hazards/{hazard_id}")


@router.post("/hazards/{hazard_id}/notice", response_class=HTMLResponse, dependencies=[Csrf])
async def issue_notice_for_hazard(
    request: Request,
    hazard_id: uuid.UUID,
    user: PageUser,
    session: PageSession,
    deadline_days: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """整改通知书 from the hazard page: the same issue_notice the phone's notify calls (the notice notifies)."""
    settings = request.app.state.settings
    lang = web_session.language_of(request)
    try:
        hazard = get_hazard(session=session, user=user, hazard_id=hazard_id)
        if hazard.organization_id is None:
            raise lifecycle.RuleViolation("no_organization")
        deadline = None
        if deadline_days.strip():
            days = int(deadline_days)
            if not 1 <= days <= 365:
                raise ValueError
            deadline = utcnow() + timedelta(days=days)
        data = NoticeIn(
            organization_id=hazard.organization_id, hazard_ids=[hazard.id], deadline=deadline, note=note or None
        )
        notice, _created = await run_in_threadpool(
            notices.issue_notice,
            session=session,
            settings=settings,
            registry=request.app.state.checklists,
            user=user,
            notice_id=uuid.uuid4(),
            data=data,
        )
    except NotFound:
        return not_found_page(request, user)
    except ValueError as exc:
        if isinstance(exc, lifecycle.RuleViolation):
            err = from_rule(exc)
            message = render_message(err.code, err.params, lang)
            return _hazard_page(request, user, session, hazard_id, error=message, status_code=err.status_code)
        message = render_message(
            "invalid_request",
            {"errors": [{"field": "deadline_days", "type": "less_than_equal", "ctx": {"le": 365}}]},
            lang,
        )
        return _hazard_page(request, user, session, hazard_id, error=message, status_code=422)
    except DomainError as exc:
        message = render_message(exc.code, exc.params, lang)
        return _hazard_page(request, user, session, hazard_id, error=message, status_code=exc.status_code)
    return redirect(f"/notices/{notice.id}")
