"""Checklist runs from the phone."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Request, Response

from server.deps import CurrentUser, OfficerUser, SessionDep, SettingsDep
from server.inputs import UTCTime
from server.inspections import service
from server.inspections.models import InspectionIn, InspectionPage, InspectionPublic

router = APIRouter(tags=["inspections"])


@router.put(
    "/inspections/{inspection_id}",
    response_model=InspectionPublic,
    status_code=201,
    responses={200: {"description": "A replay of the same submission"}},
)
def put_inspection(
    request: Request,
    response: Response,
    inspection_id: uuid.UUID,
    body: InspectionIn,
    user: OfficerUser,
    session: SessionDep,
    settings: SettingsDep,
) -> InspectionPublic:
    inspection, created = service.submit_inspection(
        session=session,
        settings=settings,
        registry=request.app.state.checklists,
        user=user,
        inspection_id=inspection_id,
        data=body,
    )
    response.status_code = 201 if created else 200
    return inspection


@router.get("/inspections", response_model=InspectionPage)
def list_inspections(
    user: CurrentUser,
    session: SessionDep,
    site_id: uuid.UUID | None = None,
    category: str | None = None,
    inspector_id: uuid.UUID | None = None,
    since: UTCTime | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    cursor: str | None = None,
) -> InspectionPage:
    return service.list_inspections(
        session=session,
        user=user,
        site_id=site_id,
        category=category,
        inspector_id=inspector_id,
        since=since,
        limit=limit,
        cursor=cursor,
    )


@router.get("/inspections/{inspection_id}", response_model=InspectionPublic)
def get_inspection(inspection_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> InspectionPublic:
    return service.get_inspection(session=session, user=user, inspection_id=inspection_id)
