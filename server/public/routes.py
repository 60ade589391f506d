"""/r/{code}: a site's public report page (the QR code on its poster); /t/{tracking}: one report's standing.

No sign-in, phone browsers, Chinese first with English beside it. Every text is escaped by the templates;
answers are pages, never JSON, whatever goes wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from rulebook import intake as rules
from rulebook.categories import CATEGORY_NAMES
from rulebook.messages import render as sentence
from server.deps import SessionDep
from server.errors import DomainError, Invalid
from server.photos.storage import make_photo_store
from server.photos.upload import FORM_OVERHEAD, read_form
from server.public import service

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

NOT_FOUND_TITLE = {"zh": "页面不存在", "en": "Not found"}
LIMIT_TITLE = {"zh": "请稍后再试", "en": "Please try again later"}


def both(code: str, **params: Any) -> dict[str, str]:
    return {"zh": sentence(code, params, "zh"), "en": sentence(code, params, "en")}


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        template,
        {"tz": request.app.state.settings.tz, "category_names": CATEGORY_NAMES, **context},
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def message(request: Request, error: DomainError) -> HTMLResponse:
    title = LIMIT_TITLE if error.status_code == 429 else NOT_FOUND_TITLE
    return page(
        request,
        "public_message.html",
        status_code=error.status_code,
        title=title,
        message=both(error.code, **error.params),
    )


def form_page(
    request: Request, site_name: str, code: str, values: dict, error: DomainError | None = None
) -> HTMLResponse:
    return page(
        request,
        "public_report.html",
        status_code=error.status_code if error else 200,
        site_name=site_name,
        code=code,
        values={"category": "", "description": "", "phone": "", **values},
        error=both(error.code, **error.params) if error else None,
        categories=CATEGORY_NAMES,
        max_photos=rules.MAX_REPORT_PHOTOS,
        max_description=rules.MAX_DESCRIPTION,
    )


@router.get("/r/{code}", response_class=HTMLResponse)
def report_page(request: Request, code: str, session: SessionDep) -> Response:
    try:
        site = service.site_for_code(session, code)
    except DomainError as error:
        return message(request, error)
    return form_page(request, site.name, code, {})


@router.post("/r/{code}", response_class=HTMLResponse)
async def submit_report(request: Request, code: str, session: SessionDep) -> Response:
    settings = request.app.state.settings
    try:
        site = service.site_for_code(session, code)
    except DomainError as error:
        return message(request, error)
    site_name = site.name
    values: dict[str, str] = {}
    try:
        parts = await read_form(
            request,
            max_file_bytes=settings.public_photo_max_bytes,
            max_total_bytes=rules.MAX_REPORT_PHOTOS * settings.public_photo_max_bytes + FORM_OVERHEAD,
            max_field_bytes=4 * rules.MAX_DESCRIPTION,
        )
        values = {p.name: p.data.decode("utf-8", "replace") for p in parts if not p.is_file}
        if values.get("website", "").strip():  # the honeypot: people never see it, form-filling robots do
            raise Invalid("public_form_rejected")
        photos = [bytes(p.data) for p in parts if p.is_file and p.name == "photos" and p.data]
        if len(photos) > rules.MAX_REPORT_PHOTOS:
            raise Invalid("too_many_report_photos", max=rules.MAX_REPORT_PHOTOS)
        form = service.read_form(values)
        report = await run_in_threadpool(
            service.file_public_report,
            session=session,
            settings=settings,
            store=make_photo_store(settings),
            gate=request.app.state.decode_gate,
            site=site,
            form=form,
            photos=photos,
            address=request.client.host if request.client else "unknown",
        )
    except DomainError as error:
        if error.status_code == 429:
            return message(request, error)
        shown = {k: values.get(k, "") for k in ("category", "description", "phone")}
        return form_page(request, site_name, code, shown, error)
    return page(request, "public_submitted.html", status_code=201, tracking_code=report.tracking_code)


@router.get("/t/{tracking}", response_class=HTMLResponse)
def tracking_page(request: Request, tracking: str, session: SessionDep) -> Response:
    try:
        report = service.report_for_tracking(session, tracking)
    except DomainError as error:
        return message(request, error)
    return page(
        request,
        "public_track.html",
        view=service.tracking_view(session, report),
        status_names=rules.PUBLIC_STATUS_NAMES,
    )


@router.post("/t/{tracking}/revisit", response_class=HTMLResponse)
async def tracking_revisit(request: Request, tracking: str, session: SessionDep) -> Response:
    form = await request.form(max_files=0, max_fields=5)
    fixed = form.get("fixed") == "1"
    try:
        report = await run_in_threadpool(
            service.public_revisit,
            session=session,
            settings=request.app.state.settings,
            tracking=tracking,
            fixed=fixed,
        )
    except DomainError as error:
        return message(request, error)
    return RedirectResponse(f"/t/{report.tracking_code}", status_code=303)
