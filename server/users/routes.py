"""Sign-in, the current user, and admin management of users and organizations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from server.deps import AdminUser, CurrentUser, SessionDep, SettingsDep
from server.paging import DEFAULT_LIMIT, Cursor, Limit, Page
from server.users import service, sessions
from server.users.models import (
    MePublic,
    MeUpdate,
    OrganizationCreate,
    OrganizationPublic,
    OrganizationUpdate,
    RefreshRequest,
    Role,
    TokenPair,
    User,
    UserCreate,
    UserPublic,
    UserUpdate,
)

router = APIRouter()


def _token_settings(request: Request, settings: SettingsDep) -> sessions.TokenSettings:
    return sessions.TokenSettings(
        secret=request.app.state.token_secret,
        access_minutes=settings.access_token_minutes,
        refresh_days=settings.refresh_token_days,
    )


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/auth/token", response_model=TokenPair, tags=["auth"])
def login(
    request: Request, session: SessionDep, settings: SettingsDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenPair:
    user = sessions.authenticate(
        session=session,
        verifier=request.app.state.password_verifier,
        dummy_hash=request.app.state.dummy_hash,
        username=form.username,
        password=form.password,
        address=_address(request),
        throttle=settings.login_throttle(),
    )
    pair = sessions.open_session(
        session=session, user=user, address=_address(request), tokens=_token_settings(request, settings)
    )
    return TokenPair.model_validate(pair)


@router.post("/auth/refresh", response_model=TokenPair, tags=["auth"])
def refresh(request: Request, body: RefreshRequest, session: SessionDep, settings: SettingsDep) -> TokenPair:
    """A new pair; the refresh token sent is spent. Store the new refresh token: a spent one ends the session."""
    pair = sessions.rotate_refresh_token(
        session=session, refresh_token=body.refresh_token, tokens=_token_settings(request, settings)
    )
    return TokenPair.model_validate(pair)


@router.post("/auth/logout", status_code=204, tags=["auth"])
def logout(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    """Ends this sign-in: its access and refresh tokens stop working."""
    sessions.sign_out(session=session, session_id=getattr(request.state, "auth_session_id", None))
    return Response(status_code=204)


@router.get("/me", response_model=MePublic, tags=["auth"])
def me(user: CurrentUser, session: SessionDep) -> MePublic:
    return MePublic(
        **UserPublic.model_validate(user).model_dump(), site_ids=service.site_ids_for(session=session, user=user)
    )


@router.patch("/me", response_model=MePublic, tags=["auth"])
def update_me(body: MeUpdate, user: CurrentUser, session: SessionDep) -> MePublic:
    user = service.update_self(session=session, user=user, changes=body.model_dump(exclude_unset=True))  # audited
    return MePublic(
        **UserPublic.model_validate(user).model_dump(), site_ids=service.site_ids_for(session=session, user=user)
    )


@router.post("/users", response_model=UserPublic, status_code=201, tags=["admin"])
def create_user(request: Request, body: UserCreate, admin: AdminUser, session: SessionDep) -> User:
    return service.create_user(session=session, hasher=request.app.state.hasher, data=body, actor_id=admin.id)


@router.get("/users", response_model=Page[UserPublic], tags=["admin"])
def list_users(  # type: ignore[no-untyped-def]
    admin: AdminUser,
    session: SessionDep,
    role: Role | None = None,
    organization_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
):
    items, next_cursor = service.page_users(
        session=session, role=role, organization_id=organization_id, cursor=cursor, limit=limit
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get("/users/{user_id}", response_model=UserPublic, tags=["admin"])
def get_user(user_id: uuid.UUID, admin: AdminUser, session: SessionDep) -> User:
    return service.get_user(session=session, user_id=user_id)


@router.patch("/users/{user_id}", response_model=UserPublic, tags=["admin"])
def update_user(request: Request, user_id: uuid.UUID, body: UserUpdate, admin: AdminUser, session: SessionDep) -> User:
    return service.update_user(
        session=session, hasher=request.app.state.hasher, user_id=user_id, data=body, actor_id=admin.id
    )


@router.post("/organizations", response_model=OrganizationPublic, status_code=201, tags=["admin"])
def create_organization(body: OrganizationCreate, admin: AdminUser, session: SessionDep):  # type: ignore[no-untyped-def]
    return service.create_organization(session=session, data=body, actor_id=admin.id)


@router.get("/organizations", response_model=Page[OrganizationPublic], tags=["admin"])
def list_organizations(admin: AdminUser, session: SessionDep, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT):  # type: ignore[no-untyped-def]
    items, next_cursor = service.page_organizations(session=session, cursor=cursor, limit=limit)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/organizations/{organization_id}", response_model=OrganizationPublic, tags=["admin"])
def get_organization(organization_id: uuid.UUID, admin: AdminUser, session: SessionDep):  # type: ignore[no-untyped-def]
    return service.get_organization(session=session, organization_id=organization_id)


@router.patch("/organizations/{organization_id}", response_model=OrganizationPublic, tags=["admin"])
def update_organization(
    organization_id: uuid.UUID,
    body: OrganizationUpdate,
    admin: AdminUser,  # type: ignore[no-untyped-def]
    session: SessionDep,
):
    return service.update_organization(session=session, organization_id=organization_id, data=body, actor_id=admin.id)
