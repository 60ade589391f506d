"""Checklist runs from the phone."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from server.deps import CurrentUser, OfficerUser, SessionDep, SettingsDep
from server.inputs import UTCTime
from server.inspections import service
from server.inspections.models import InspectionIn, InspectionPage, InspectionPublic, OfficerPresence
from server.inspections.presence import PresenceFlag, parse_device_time

router = APIRouter(tags=["inspections"])


@router.put(
    "/inspections/{inspection_id}",
    response_model=InspectionPublic,
    status_code=201,
    responses={200: {"description": "A replay of the same submission"}},
)
def put_inspection(
    request: Request,
    inspection_id: uuid.UUID,
    body: InspectionIn,
    user: OfficerUser,
    session: SessionDep,
    settings: SettingsDep,
    x_device_time: Annotated[str | None, Header()] = None,
) -> Response:
    inspection, created = service.submit_inspection(
        session=session,
        settings=settings,
        registry=request.app.state.checklists,
        user=user,
        inspection_id=inspection_id,
        data=body,
        device_time=parse_device_time(x_device_time),
    )
    # The bytes FastAPI would write for response_model, without it checking again (on a worker thread) the
    # InspectionPublic that to_public has just built.
    return Response(inspection.model_dump_json(by_alias=True), 201 if created else 200, media_type="application/json")


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
    presence_flag: PresenceFlag | None = None,
) -> Response:
    body = service.list_inspections(
        session=session,
        user=user,
        site_id=site_id,
        category=category,
        inspector_id=inspector_id,
        since=since,
        limit=limit,
        cursor=cursor,
        presence_flag=presence_flag,
    )
    return Response(body, media_type="application/json")  # InspectionPage, written once (server/wire_json.py)


@router.get("/inspections/presence", response_model=list[OfficerPresence])
def presence_by_officer(
    user: CurrentUser, session: SessionDep, since: datetime | None = None, until: datetime | None = None
) -> list[OfficerPresence]:
    """Per officer, how many inspections were flagged far_from_site, no_fix or clock_skew (for the reports)."""
    return service.presence_by_officer(session=session, user=user, since=since, until=until)


@router.get("/inspections/{inspection_id}", response_model=InspectionPublic)
def get_inspection(inspection_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> InspectionPublic:
    return service.get_inspection(session=session, user=user, inspection_id=inspection_id)
