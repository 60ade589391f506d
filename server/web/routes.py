"""Console pages: sign-in, board, map, notices (ledger and hazard pages: server/web/ledger_routes.py)."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlmodel import select

from rulebook.categories import CATEGORIES
from rulebook.lifecycle import OPEN_STATUSES, STATUSES
from rulebook.messages import render as render_message
from server.errors import DomainError, NotFound
from server.hazards.models import Hazard
from server.notices import service as notices
from server.notices.pdf import render_notice_pdf
from server.photos import service as photos
from server.photos.models import PhotoSize
from server.photos.storage import make_photo_store
from server.scope import site_condition
from server.sites.models import Site
from server.users import sessions
from server.web import board as board_service
from server.web import session as web_session
from server.web.pages import Csrf, PageSession, PageUser, not_found_page, redirect, render
from server.web.site_routes import officers_behind

router = APIRouter(include_in_schema=False)
NOTICES_SHOWN = 200


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", None, next=_safe_next(next), error=None)


@router.post("/login", response_class=HTMLResponse, dependencies=[Csrf])
def login(
    request: Request,
    session: PageSession,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    settings = request.app.state.settings
    try:
        address = request.client.host if request.client else "unknown"
        user = sessions.authenticate(
            session=session,
            verifier=request.app.state.password_verifier,
            dummy_hash=request.app.state.dummy_hash,
            username=username,
            password=password,
            address=address,
            throttle=settings.login_throttle(),
        )
        auth = sessions.open_web_session(session=session, user=user, address=address)
    except DomainError as exc:
        lang = web_session.language_of(request)
        error = render_message(exc.code, exc.params, lang)
        return render(request, "login.html", None, status_code=exc.status_code, next=_safe_next(next), error=error)
    response = redirect(_safe_next(next))
    web_session.sign_in(request, response, user, auth.id)
    return response


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, session: PageSession) -> Response:
    sessions.sign_out(session=session, session_id=web_session.session_id(request))
    response = redirect("/login")
    web_session.sign_out(response)
    return response


@router.get("/lang/{lang}")
def switch_language(request: Request, lang: str, back: str = "/") -> Response:
    response = redirect(_safe_next(back))
    web_session.set_cookie(request, response, web_session.LANG_COOKIE, "en" if lang == "en" else "zh", 3600 * 24 * 365)
    return response


def _safe_next(url: str) -> str:
    """Only paths on this console: no open redirect."""
    return url if url.startswith("/") and not url.startswith("//") else "/"


# ---- board ---------------------------------------------------------------------------------------


def _area(request: Request) -> dict:
    """The drill-down from the query: district → street → site."""
    params = request.query_params
    try:
        site_id = uuid.UUID(params["site_id"]) if params.get("site_id") else None
    except ValueError:
        site_id = None
    return {"district": params.get("district") or None, "street": params.get("street") or None, "site_id": site_id}


def _board(request: Request, session, user):  # type: ignore[no-untyped-def]
    return board_service.board(
        session=session,
        settings=request.app.state.settings,
        registry=request.app.state.checklists,
        user=user,
        area=board_service.area_sites(**_area(request)),
    )


def _board_context(request: Request, session, user) -> dict:  # type: ignore[no-untyped-def]
    area = _area(request)
    site_name = (
        session.get(Site, area["site_id"]).name if area["site_id"] and session.get(Site, area["site_id"]) else None
    )
    board = _board(request, session, user)
    behind = officers_behind(session=session, settings=request.app.state.settings, user=user, week=board["week"])
    return {
        "board": board,
        "behind": behind[:10],
        "area": area,
        "area_site_name": site_name,
        "area_query": urlencode({k: str(v) for k, v in area.items() if v}),
        **_event_labels(session, board["events"]),
    }


@router.get("/", response_class=HTMLResponse)
def board_page(request: Request, user: PageUser, session: PageSession) -> HTMLResponse:
    return render(request, "board.html", user, **_board_context(request, session, user))


@router.get("/board/fragment", response_class=HTMLResponse)
def board_fragment(request: Request, user: PageUser, session: PageSession) -> HTMLResponse:
    return render(request, "board_figures.html", user, **_board_context(request, session, user))


def _event_labels(session, events: list[dict]) -> dict:  # type: ignore[no-untyped-def]
    """The names of the sites the day's events name (not every site of the city)."""
    site_ids = {e["site_id"] for e in events}
    names = session.exec(select(Site.id, Site.name).where(Site.id.in_(site_ids))).all() if site_ids else []
    return {"site_names": dict(names)}


# ---- map -----------------------------------------------------------------------------------------


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, user: PageUser, session: PageSession) -> HTMLResponse:
    streets = session.exec(select(Site.street).where(site_condition(user)).distinct().order_by(Site.street)).all()
    return render(
        request,
        "map.html",
        user,
        streets=[s for s in streets if s],
        categories=CATEGORIES,
        statuses=OPEN_STATUSES,
        query=dict(request.query_params),
    )


@router.get("/map/sites.geojson")
def map_data(
    request: Request,
    user: PageUser,
    session: PageSession,
    category: str | None = None,
    status: str | None = None,
    street: str | None = None,
    overdue: str | None = None,
) -> JSONResponse:
    return JSONResponse(
        board_service.map_features(
            session=session,
            user=user,
            category=category or None,
            status=[s for s in (status or "").split(",") if s in STATUSES] or None,
            street=street or None,
            overdue={"1": True, "0": False}.get(overdue or ""),
        )
    )


# ---- notices -------------------------------------------------------------------------------------


@router.get("/notices", response_class=HTMLResponse)
def notices_page(request: Request, user: PageUser, session: PageSession, acknowledged: str = "") -> HTMLResponse:
    """The newest notices first (the latest 200), unsigned or signed ones alone if asked."""
    chosen = {"1": True, "0": False}.get(acknowledged)
    rows = notices.list_notices(session=session, user=user, acknowledged=chosen, limit=NOTICES_SHOWN)
    return render(request, "notices.html", user, notices=rows, acknowledged=acknowledged)


@router.get("/notices/{notice_id}", response_class=HTMLResponse)
def notice_page(request: Request, notice_id: str, user: PageUser, session: PageSession) -> HTMLResponse:
    try:
        notice = notices.get_notice(session=session, user=user, notice_id=uuid.UUID(notice_id))
    except (ValueError, NotFound):
        return not_found_page(request, user)
    public = notices.to_public(session, notice)
    hazards = session.exec(select(Hazard).where(Hazard.id.in_(public.hazard_ids)).order_by(Hazard.created_at)).all()
    site_names = dict(session.exec(select(Site.id, Site.name).where(Site.id.in_(public.site_ids))).all())
    return render(request, "notice.html", user, notice=public, hazards=hazards, site_names=site_names, error=None)


@router.post("/notices/{notice_id}/acknowledge", dependencies=[Csrf])
def acknowledge(request: Request, notice_id: uuid.UUID, user: PageUser, session: PageSession) -> Response:
    try:
        notices.acknowledge_notice(session=session, user=user, notice_id=notice_id)
    except NotFound:
        return not_found_page(request, user)
    return redirect(f"/notices/{notice_id}")


@router.get("/notices/{notice_id}/pdf")
def notice_pdf(request: Request, notice_id: str, user: PageUser, session: PageSession) -> Response:
    settings = request.app.state.settings
    try:
        notice = notices.get_notice(session=session, user=user, notice_id=uuid.UUID(notice_id))
    except (ValueError, NotFound):
        return not_found_page(request, user)
    document = notices.notice_document(session=session, registry=request.app.state.checklists, notice=notice)
    store = make_photo_store(settings)
    signatures = {j.signature_photo_id for j in document.joint_inspections if j.signature_photo_id}

    def before_photo(photo_id: uuid.UUID) -> bytes:
        if photo_id in signatures:  # the on-site signature of an inspection the notice names
            return store.read(photos.signature_file(session=session, photo_id=photo_id).key)
        found = photos.find_photo_file(session=session, user=user, photo_id=photo_id, size=PhotoSize.display)
        return store.read(found.key)

    pdf = render_notice_pdf(document, tz=settings.tz, photo_loader=before_photo)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{notice.number}.pdf"'}
    )


@router.get("/photos/{photo_id}")
def photo(request: Request, photo_id: str, user: PageUser, session: PageSession, size: str = "thumb") -> Response:
    """The photo for <img> tags on console pages: the API's scope and files, the cookie's user."""
    try:
        found = photos.find_photo_file(session=session, user=user, photo_id=uuid.UUID(photo_id), size=PhotoSize(size))
    except (ValueError, NotFound):
        return not_found_page(request, user)
    store = make_photo_store(request.app.state.settings)
    return Response(
        store.read(found.key), media_type=found.content_type, headers={"Cache-Control": "private, max-age=86400"}
    )
