"""Annotated dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from server.config import Settings
from server.errors import Forbidden, Unauthorized
from server.users.models import Role, User
from server.users.sessions import user_for_access_token

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


# The dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency on a worker
# thread, a hand-off there and back per dependency (measured in-process on the bench's city: these three
# took 0.1-0.3 ms off /assignments, 3.3 ms). The one that reads the database, get_current_user, and the
# routes themselves stay on worker threads.


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session that reads; services write through server.db.write_unit, which takes the lock it needs.
    Opening it does no I/O (the connection is taken at its first statement, on a worker thread), and neither
    does closing it on PostgreSQL, where it reads in autocommit (server.db.read_engine); on SQLite closing
    ends a read transaction in the file, microseconds."""
    with Session(request.app.state.read_engine, expire_on_commit=False) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]


def get_current_user(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)], session: SessionDep
) -> User:
    """Reads the user in the request's own session (one connection per request, one query); the route's reads
    continue that read (a route that then waits on something slow ends it first, as put_photo does before the
    body arrives). A token counts while its user is active, its generation is the user's, and its session has
    not ended — checked on every request, so a password change or a deactivation ends access at once, on
    every worker."""
    if not token:
        raise Unauthorized("not_authenticated")
    found = user_for_access_token(session=session, secret=request.app.state.token_secret, token=token)
    if found is None:
        raise Unauthorized("invalid_token")
    user, session_id = found
    request.state.auth_session_id = session_id
    if user.role == Role.gridworker and not gridworker_may_call(request.method, request.url.path):
        raise Forbidden("gridworker_reports_only")
    return user


# A grid worker files reports and follows their own: these addresses only (each still scoped by its service).
GRIDWORKER_PATHS = ("/api/v1/me", "/api/v1/auth/", "/api/v1/photos/", "/api/v1/intake/reports")
GRIDWORKER_READS = ("/api/v1/sites", "/api/v1/hazards", "/api/v1/sync/changes", "/api/v1/checklists")


def gridworker_may_call(method: str, path: str) -> bool:
    if path.startswith(GRIDWORKER_PATHS):
        return True
    return method == "GET" and path.startswith(GRIDWORKER_READS) and not path.endswith((".xlsx", ".csv", ".pdf"))


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(*roles: Role):  # type: ignore[no-untyped-def]
    allowed = {r.value for r in roles}

    async def check(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise Forbidden("role_required", roles=sorted(allowed), role=user.role)
        return user

    return check


AdminUser = Annotated[User, Depends(require_role(Role.admin))]
OfficerUser = Annotated[User, Depends(require_role(Role.officer))]
FieldUser = Annotated[User, Depends(require_role(Role.officer, Role.admin))]
