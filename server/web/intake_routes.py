"""The officer's intake queue in the console (上报受理): every report from grid workers, residents and hotlines,
accepted, merged or declined through the same services as the API. Grid workers see their own reports here."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import select
from starlette.concurrency import run_in_threadpool

from rulebook.categories import CATEGORIES, SEVERITIES
from rulebook.intake import INTAKE_STATUSES, MAX_DESCRIPTION, MAX_REPORT_PHOTOS
from rulebook.lifecycle import OPEN_STATUSES
from rulebook.messages import RuleViolation
from rulebook.messages import render as render_message
from server.db import end_read
from server.errors import DomainError, Invalid, NotFound, from_rule
from server.hazards.models import Hazard
from server.intake import poster
from server.intake import service as intake
from server.intake.models import AcceptIn, DeclineIn, IntakeReportIn, MergeIn
from server.photos import service as photos
from server.photos.models import PhotoFields
from server.photos.storage import make_photo_store
from server.scope import hazard_condition, site_condition
from server.sites.models import Site
from server.web import session as web_session
from server.web.ledger import short_number
from server.web.pages import Csrf, PageSession, PageUser, not_found_page, redirect, render

router = APIRouter(include_in_schema=False)
SHOWN = 200


def _queue_page(request: Request, user, session, reports, status_code: int = 200, error: str | None = None, **extra):  # type: ignore[no-untyped-def]
    site_ids = {r.site_id for r in reports if r.status == "pending"}
    candidates: dict[uuid.UUID, list[Hazard]] = {}
    if site_ids and user.role == "officer":
        for hazard in session.exec(
            select(Hazard)
            .where(Hazard.site_id.in_(site_ids), Hazard.status.in_(OPEN_STATUSES), hazard_condition(user))
            .order_by(Hazard.found_at.desc())
            .limit(500)
        ).all():
            candidates.setdefault(hazard.site_id, []).append(hazard)
    sites = session.exec(select(Site.id, Site.name).where(site_condition(user)).order_by(Site.name)).all()
    return render(
        request,
        "intake.html",
        user,
        status_code=status_code,
        reports=reports,
        candidates=candidates,
        sites=sites,
        severities=SEVERITIES,
        categories=CATEGORIES,
        max_photos=MAX_REPORT_PHOTOS,
        intake_statuses=INTAKE_STATUSES,
        short_number=short_number,
        error=error,
        **extra,
    )


def _filters(request: Request) -> dict:
    params = request.query_params
    status = params.get("status", "pending")
    try:
        site_id = uuid.UUID(params["site_id"]) if params.get("site_id") else None
    except ValueError:
        site_id = None
    kind = params.get("kind") if params.get("kind") in ("report", "reopen_request") else None
    return {"status": status if status in INTAKE_STATUSES else None, "site_id": site_id, "kind": kind}


@router.get("/intake", response_class=HTMLResponse)
def intake_page(request: Request, user: PageUser, session: PageSession) -> HTMLResponse:
    if user.role == "property":
        return not_found_page(request, user)
    chosen = _filters(request)
    page = intake.list_reports(session=session, user=user, limit=SHOWN, **chosen)
    return _queue_page(request, user, session, page.items, chosen=chosen, single=False)


REPORTERS = ("gridworker", "officer")


@router.post("/intake/new", response_class=HTMLResponse, dependencies=[Csrf])
async def report_from_the_browser(
    request: Request,
    user: PageUser,
    session: PageSession,
    site_id: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    photos_in: Annotated[list[UploadFile] | None, File(alias="photos")] = None,
) -> Response:
    """A grid worker's (or officer's) report from the browser: the phone's two calls, photos first, then the
    report under a new id; the form is checked before any photo is stored."""
    if user.role not in REPORTERS:
        return not_found_page(request, user)
    settings = request.app.state.settings
    chosen = [p for p in (photos_in or []) if p.filename]
    try:
        if len(chosen) > MAX_REPORT_PHOTOS:
            raise Invalid("too_many_report_photos", max=MAX_REPORT_PHOTOS)
        if category not in CATEGORIES:
            raise Invalid("unknown_category", category=category, allowed=list(CATEGORIES))
        try:
            draft = IntakeReportIn(site_id=site_id, category=category, description=description)  # type: ignore[arg-type]
        except ValidationError as exc:
            if any(e["loc"][:1] == ("site_id",) for e in exc.errors()):
                raise Invalid("unknown_site", site_id=site_id[:40]) from None
            raise Invalid("report_description_required", max=MAX_DESCRIPTION) from None
        photo_ids: list[uuid.UUID] = []
        for upload in chosen:
            photo_id = uuid.uuid4()
            await run_in_threadpool(
                photos.upload_photo,
                session=session,
                settings=settings,
                store=make_photo_store(settings),
                user=user,
                photo_id=photo_id,
                fields=PhotoFields(kind="problem"),
                content=await upload.read(),
                gate=request.app.state.decode_gate,
            )
            photo_ids.append(photo_id)
        data = draft.model_copy(update={"photo_ids": photo_ids})
        report, _created = await run_in_threadpool(
            intake.file_report, session=session, settings=settings, user=user, report_id=uuid.uuid4(), data=data
        )
    except DomainError as exc:
        error = render_message(exc.code, exc.params, web_session.language_of(request))
        page = intake.list_reports(session=session, user=user, limit=SHOWN, **_filters(request))
        shown = {"site_id": site_id, "category": category, "description": description}
        return _queue_page(
            request,
            user,
            session,
            page.items,
            status_code=exc.status_code,
            error=error,
            chosen=_filters(request),
            single=False,
            draft=shown,
        )
    return redirect(f"/intake/{report.id}")


@router.get("/intake/{report_id}", response_class=HTMLResponse)
def intake_report_page(request: Request, report_id: str, user: PageUser, session: PageSession) -> HTMLResponse:
    try:
        report = intake.get_report(session=session, user=user, report_id=uuid.UUID(report_id))
    except (ValueError, NotFound):
        return not_found_page(request, user)
    return _queue_page(request, user, session, [report], chosen=_filters(request), single=True)


def _act(request: Request, user, session, report_id: uuid.UUID, action) -> Response:  # type: ignore[no-untyped-def]
    """Run one handling step; on a refusal show the report again with the sentence, in the page's language."""
    if user.role != "officer":
        return not_found_page(request, user)
    try:
        try:
            action()
        except RuleViolation as violation:  # the lifecycle refused the reopen (say the hazard is open again)
            raise from_rule(violation) from None
    except DomainError as exc:
        lang = web_session.language_of(request)
        try:
            report = intake.get_report(session=session, user=user, report_id=report_id)
        except NotFound:
            return not_found_page(request, user)
        error = render_message(exc.code, exc.params, lang)
        return _queue_page(
            request, user, session, [report], status_code=exc.status_code, error=error, chosen={}, single=True
        )
    return redirect(f"/intake/{report_id}")


@router.post("/intake/{report_id}/accept", dependencies=[Csrf])
def accept(
    request: Request,
    report_id: uuid.UUID,
    user: PageUser,
    session: PageSession,
    severity: Annotated[str, Form()],
    deadline: Annotated[str, Form()] = "",
) -> Response:
    settings = request.app.state.settings

    def run() -> None:
        when = None
        if deadline:
            try:
                when = datetime.combine(date.fromisoformat(deadline), time(23, 59), settings.tz)
            except ValueError:
                when = None
        data = AcceptIn.model_validate({"severity": severity, "deadline": when.isoformat() if when else None})
        intake.accept(session=session, settings=settings, user=user, report_id=report_id, data=data)

    return _act(request, user, session, report_id, _validated(run))


@router.post("/intake/{report_id}/merge", dependencies=[Csrf])
def merge(
    request: Request, report_id: uuid.UUID, user: PageUser, session: PageSession, hazard_id: Annotated[str, Form()]
) -> Response:
    settings = request.app.state.settings

    def run() -> None:
        data = MergeIn.model_validate({"hazard_id": hazard_id})
        intake.merge(session=session, settings=settings, user=user, report_id=report_id, data=data)

    return _act(request, user, session, report_id, _validated(run))


@router.post("/intake/{report_id}/decline", dependencies=[Csrf])
def decline(
    request: Request, report_id: uuid.UUID, user: PageUser, session: PageSession, reason: Annotated[str, Form()] = ""
) -> Response:
    settings = request.app.state.settings

    def run() -> None:
        if not reason.strip():
            raise Invalid("decline_reason_required")
        data = DeclineIn.model_validate({"reason": reason.strip()[:500]})
        intake.decline(session=session, settings=settings, user=user, report_id=report_id, data=data)

    return _act(request, user, session, report_id, _validated(run))


def _validated(run):  # type: ignore[no-untyped-def]
    """A form value the input models refuse is a 422 with a sentence, like any refusal."""
    from pydantic import ValidationError

    def wrapped() -> None:
        try:
            run()
        except ValidationError:
            raise Invalid("bad_request") from None

    return wrapped


@router.get("/sites/{site_id}/poster.pdf")
def site_poster(request: Request, site_id: str, user: PageUser, session: PageSession) -> Response:
    if user.role not in ("officer", "admin"):
        return not_found_page(request, user)
    try:
        doc = poster.poster_document(
            session=session, settings=request.app.state.settings, user=user, site_id=uuid.UUID(site_id)
        )
    except (ValueError, NotFound):
        return not_found_page(request, user)
    end_read(session)
    return Response(
        poster.render_poster_pdf(doc),
        media_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''poster-{site_id}.pdf"},
    )
