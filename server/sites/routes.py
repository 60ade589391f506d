"""Sites (scoped for everyone, managed by admins) and assignments (admin)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from server.deps import AdminUser, CurrentUser, SessionDep
from server.paging import DEFAULT_LIMIT, Cursor, Limit, Page
from server.sites import service
from server.sites.models import (
    AssignmentCreate,
    AssignmentPublic,
    AssignmentUpdate,
    SiteCreate,
    SitePublic,
    SiteUpdate,
)

router = APIRouter()


@router.get("/sites", response_model=Page[SitePublic], tags=["sites"])
def list_sites(user: CurrentUser, session: SessionDep, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT):  # type: ignore[no-untyped-def]
    items, next_cursor = service.page_sites(session=session, user=user, cursor=cursor, limit=limit)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/sites/{site_id}", response_model=SitePublic, tags=["sites"])
def get_site(site_id: uuid.UUID, user: CurrentUser, session: SessionDep):  # type: ignore[no-untyped-def]
    return service.get_site(session=session, user=user, site_id=site_id)


@router.post("/sites", response_model=SitePublic, status_code=201, tags=["admin"])
def create_site(body: SiteCreate, admin: AdminUser, session: SessionDep):  # type: ignore[no-untyped-def]
    return service.create_site(session=session, data=body, actor_id=admin.id)


@router.patch("/sites/{site_id}", response_model=SitePublic, tags=["admin"])
def update_site(site_id: uuid.UUID, body: SiteUpdate, admin: AdminUser, session: SessionDep):  # type: ignore[no-untyped-def]
    return service.update_site(session=session, site_id=site_id, data=body, actor_id=admin.id)


@router.post("/assignments", response_model=AssignmentPublic, status_code=201, tags=["admin"])
def create_assignment(body: AssignmentCreate, admin: AdminUser, session: SessionDep):  # type: ignore[no-untyped-def]
    return service.create_assignment(session=session, data=body, actor_id=admin.id)


@router.get("/assignments", response_model=Page[AssignmentPublic], tags=["admin"])
def list_assignments(  # type: ignore[no-untyped-def]
    admin: AdminUser,
    session: SessionDep,
    officer_id: uuid.UUID | None = None,
    site_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
):
    items, next_cursor = service.page_assignments(
        session=session, officer_id=officer_id, site_id=site_id, cursor=cursor, limit=limit
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get("/assignments/{assignment_id}", response_model=AssignmentPublic, tags=["admin"])
def get_assignment(assignment_id: uuid.UUID, admin: AdminUser, session: SessionDep):  # type: ignore[no-untyped-def]
    return service.get_assignment(session=session, assignment_id=assignment_id)


@router.patch("/assignments/{assignment_id}", response_model=AssignmentPublic, tags=["admin"])
def update_assignment(
    assignment_id: uuid.UUID,
    body: AssignmentUpdate,
    admin: AdminUser,  # type: ignore[no-untyped-def]
    session: SessionDep,
):
    return service.update_assignment(session=session, assignment_id=assignment_id, data=body, actor_id=admin.id)


@router.delete("/assignments/{assignment_id}", status_code=204, tags=["admin"])
def delete_assignment(assignment_id: uuid.UUID, admin: AdminUser, session: SessionDep) -> Response:
    service.delete_assignment(session=session, assignment_id=assignment_id, actor_id=admin.id)
    return Response(status_code=204)
