"""Administration in the browser (admin only): organizations, sites, users, assignments, bulk import.

Every form calls the admin API's service functions; a non-admin gets the same 404 page as a missing record."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import select
from starlette.concurrency import run_in_threadpool

from rulebook.categories import PROFILE_FLAGS, ROLES
from rulebook.messages import render as render_message
from server.errors import DomainError
from server.sites import service as sites
from server.sites.models import Assignment, AssignmentCreate, Site, SiteCreate, SiteProfile
from server.users import service as users
from server.users.models import Organization, OrganizationCreate, User, UserCreate, UserUpdate
from server.web import bulk_import
from server.web import session as web_session
from server.web.pages import Csrf, PageSession, PageUser, not_found_page, redirect, render

router = APIRouter(include_in_schema=False)


def _admin_page(request: Request, user: User, session, status_code: int = 200, **context) -> HTMLResponse:  # type: ignore[no-untyped-def]
    return render(
        request,
        "admin.html",
        user,
        status_code=status_code,
        organizations=session.exec(select(Organization).order_by(Organization.name)).all(),
        sites=session.exec(select(Site).order_by(Site.street, Site.name)).all(),
        users=session.exec(select(User).order_by(User.role, User.username)).all(),
        assignments=session.exec(
            select(Assignment, User.username, Site.name)
            .join(User, User.id == Assignment.officer_id)
            .join(Site, Site.id == Assignment.site_id)
            .order_by(User.username, Site.name)
        ).all(),
        roles=ROLES,
        profile_flags=PROFILE_FLAGS,
        **{"error": None, "message": None, "plan": None, "lang_problems": None, **context},
    )


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, user: PageUser, session: PageSession) -> HTMLResponse:
    if user.role != "admin":
        return not_found_page(request, user)
    return _admin_page(request, user, session)


def _fail(request: Request, user: User, session, exc: Exception) -> HTMLResponse:  # type: ignore[no-untyped-def]
    lang = web_session.language_of(request)
    if isinstance(exc, DomainError):
        return _admin_page(request, user, session, exc.status_code, error=render_message(exc.code, exc.params, lang))
    assert isinstance(exc, ValidationError)
    problems = [{"field": ".".join(str(p) for p in e["loc"]), "type": e["type"], "ctx": {}} for e in exc.errors()]
    return _admin_page(request, user, session, 422, error=render_message("invalid_request", {"errors": problems}, lang))


@router.post("/admin/organizations", response_class=HTMLResponse, dependencies=[Csrf])
def add_organization(
    request: Request,
    user: PageUser,
    session: PageSession,
    name: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    phone: Annotated[str, Form()] = "",
) -> Response:
    if user.role != "admin":
        return not_found_page(request, user)
    try:
        users.create_organization(
            session=session, data=OrganizationCreate(name=name, kind=kind, phone=phone or None), actor_id=user.id
        )
    except (DomainError, ValidationError) as exc:
        return _fail(request, user, session, exc)
    return redirect("/admin#organizations")


@router.post("/admin/sites", response_class=HTMLResponse, dependencies=[Csrf])
async def add_site(request: Request, user: PageUser, session: PageSession) -> Response:
    if user.role != "admin":
        return not_found_page(request, user)
    form = await request.form()
    try:
        data = SiteCreate(
            name=str(form.get("name") or ""),
            kind=str(form.get("kind") or "community"),
            district=str(form.get("district") or ""),
            street=str(form.get("street") or ""),
            address=str(form.get("address") or ""),
            lat=float(form["lat"]) if form.get("lat") else None,
            lon=float(form["lon"]) if form.get("lon") else None,
            property_org_id=uuid.UUID(str(form["property_org_id"])) if form.get("property_org_id") else None,
            profile=SiteProfile(**{f: form.get(f) == "on" for f in PROFILE_FLAGS}),
        )
        sites.create_site(session=session, data=data, actor_id=user.id)
    except (DomainError, ValidationError) as exc:
        return _fail(request, user, session, exc)
    except ValueError:
        return _admin_page(
            request, user, session, 422, error=render_message("bad_request", {}, web_session.language_of(request))
        )
    return redirect("/admin#sites")


@router.post("/admin/users", response_class=HTMLResponse, dependencies=[Csrf])
def add_user(
    request: Request,
    user: PageUser,
    session: PageSession,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
    display_name: Annotated[str, Form()] = "",
    organization_id: Annotated[str, Form()] = "",
) -> Response:
    if user.role != "admin":
        return not_found_page(request, user)
    try:
        data = UserCreate(
            username=username,
            password=password,
            role=role,
            display_name=display_name,
            organization_id=organization_id or None,
        )
        users.create_user(session=session, hasher=request.app.state.hasher, data=data, actor_id=user.id)
    except (DomainError, ValidationError) as exc:
        return _fail(request, user, session, exc)
    return redirect("/admin#users")


@router.post("/admin/users/{user_id}", response_class=HTMLResponse, dependencies=[Csrf])
def change_user(
    request: Request,
    user_id: uuid.UUID,
    user: PageUser,
    session: PageSession,
    change: Annotated[str, Form()],
    password: Annotated[str, Form()] = "",
) -> Response:
    """Deactivate, reactivate or reset the password through update_user; a deactivated user's pages stop at once."""
    if user.role != "admin":
        return not_found_page(request, user)
    try:
        data = {
            "deactivate": lambda: UserUpdate(is_active=False),
            "activate": lambda: UserUpdate(is_active=True),
            "password": lambda: UserUpdate(password=password),
        }[change]()
        users.update_user(
            session=session, hasher=request.app.state.hasher, user_id=user_id, data=data, actor_id=user.id
        )
    except (DomainError, ValidationError) as exc:
        return _fail(request, user, session, exc)
    except KeyError:
        return _admin_page(
            request, user, session, 422, error=render_message("bad_request", {}, web_session.language_of(request))
        )
    return _admin_page(request, user, session, message="✓")


@router.post("/admin/assignments", response_class=HTMLResponse, dependencies=[Csrf])
def add_assignment(
    request: Request,
    user: PageUser,
    session: PageSession,
    officer_id: Annotated[uuid.UUID, Form()],
    site_id: Annotated[uuid.UUID, Form()],
    visits_per_week: Annotated[int, Form()] = 1,
) -> Response:
    if user.role != "admin":
        return not_found_page(request, user)
    try:
        data = AssignmentCreate(officer_id=officer_id, site_id=site_id, visits_per_week=visits_per_week)
        sites.create_assignment(session=session, data=data, actor_id=user.id)
    except (DomainError, ValidationError) as exc:
        return _fail(request, user, session, exc)
    return redirect("/admin#assignments")


@router.get("/admin/import/template.xlsx")
def import_template(request: Request, user: PageUser) -> Response:
    if user.role != "admin":
        return not_found_page(request, user)
    return Response(
        bulk_import.template_xlsx(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="saferound-import.xlsx"'},
    )


@router.post("/admin/import", response_class=HTMLResponse, dependencies=[Csrf])
async def bulk(
    request: Request,
    user: PageUser,
    session: PageSession,
    file: Annotated[UploadFile, File()],
    mode: Annotated[str, Form()] = "dry_run",
) -> Response:
    if user.role != "admin":
        return not_found_page(request, user)
    content = await file.read()
    plan = await run_in_threadpool(bulk_import.read_plan, session=session, content=content)
    lang = web_session.language_of(request)
    if mode == "apply" and not plan.problems:
        try:
            counts = await run_in_threadpool(
                bulk_import.apply_plan, session=session, hasher=request.app.state.hasher, plan=plan, actor_id=user.id
            )
        except DomainError as exc:
            return _fail(request, user, session, exc)
        return _admin_page(request, user, session, plan=plan, applied=counts)
    status = 422 if plan.problems else 200
    error = render_message("import_has_problems", {"count": len(plan.problems)}, lang) if plan.problems else None
    return _admin_page(request, user, session, status, plan=plan, applied=None, error=error, dry_run=True)
