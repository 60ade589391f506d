"""Shared page plumbing: templates, the signed-in user, CSRF checks, the one 404 page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from server.users.models import User
from server.web import session as web_session
from server.web.i18n import namer
from server.web.ledger import item_title

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))


class SignInRequired(Exception):
    """Raised by the page dependency; answered by a redirect to /login."""


class CsrfRefused(Exception):
    pass


class GridworkerElsewhere(Exception):
    """A grid worker opened a console page other than their reports: answered by a redirect to /intake."""


def page_user(request: Request) -> User:
    user = web_session.current_user(request)
    if user is None:
        raise SignInRequired()
    if user.role == "gridworker" and not request.url.path.startswith(("/intake", "/photos/", "/logout")):
        raise GridworkerElsewhere()
    return user


PageUser = Annotated[User, Depends(page_user)]


async def page_session(request: Request):  # type: ignore[no-untyped-def]
    """As the API's get_session (server/deps.py): opened and closed without I/O, off the worker threads."""
    with Session(request.app.state.read_engine, expire_on_commit=False) as session:
        yield session


PageSession = Annotated[Session, Depends(page_session)]


async def check_csrf(request: Request) -> None:
    """Every state-changing form carries csrf_token (htmx sends it as X-CSRF-Token)."""
    submitted = request.headers.get("x-csrf-token")
    if not submitted:
        form = await request.form()
        value = form.get("csrf_token")
        submitted = value if isinstance(value, str) else None
    if not web_session.csrf_ok(request, submitted):
        raise CsrfRefused()


Csrf = Depends(check_csrf)


def render(request: Request, template: str, user: User | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = web_session.language_of(request)
    response = templates.TemplateResponse(
        request,
        template,
        {
            **namer(lang),
            "user": user,
            "csrf_token": web_session.csrf_token(request),
            "path": request.url.path,
            "map_tiles": request.app.state.settings.map_tiles,
            "tz": request.app.state.settings.tz,
            "item_title": lambda category, item_id: item_title(request.app.state.checklists, category, item_id, lang),
            **context,
        },
        status_code=status_code,
    )
    web_session.ensure_seed(request, response)
    return response


def not_found_page(request: Request, user: User | None) -> HTMLResponse:
    """The same page for a record that does not exist and one outside the user's scope."""
    return render(request, "404.html", user, status_code=404)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
