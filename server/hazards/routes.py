"""Hazards: report outside a checklist, list, read."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from server.checklists.templates import Severity
from server.deps import CurrentUser, OfficerUser, SessionDep, SettingsDep
from server.errors import Invalid
from server.hazards import detail, service, transitions
from server.hazards.models import (
    HazardDetail,
    HazardIn,
    HazardPage,
    HazardPublic,
    HazardSource,
    HazardStatus,
    TransitionIn,
)
from server.inspections.presence import PresenceFlag

router = APIRouter(tags=["hazards"])


@router.put(
    "/hazards/{hazard_id}",
    response_model=HazardPublic,
    status_code=201,
    responses={200: {"description": "A replay of the same report"}},
)
def put_hazard(
    response: Response,
    hazard_id: uuid.UUID,
    body: HazardIn,
    user: OfficerUser,
    session: SessionDep,
    settings: SettingsDep,
) -> HazardPublic:
    hazard, created = service.report_hazard(
        session=session, settings=settings, user=user, hazard_id=hazard_id, data=body
    )
    response.status_code = 201 if created else 200
    return hazard


@router.get("/hazards", response_model=HazardPage)
def list_hazards(
    user: CurrentUser,
    session: SessionDep,
    status: Annotated[list[HazardStatus] | None, Query()] = None,
    site_id: uuid.UUID | None = None,
    category: str | None = None,
    severity: Severity | None = None,
    organization_id: uuid.UUID | None = None,
    overdue: bool | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    cursor: str | None = None,
    presence_flag: PresenceFlag | None = None,
    source: HazardSource | None = None,
) -> Response:
    body = service.list_hazards(
        session=session,
        user=user,
        status=[s.value for s in status] if status else None,
        site_id=site_id,
        category=category,
        severity=severity.value if severity else None,
        organization_id=organization_id,
        overdue=overdue,
        limit=limit,
        cursor=cursor,
        presence_flag=presence_flag,
        source=source.value if source else None,
    )
    return Response(body, media_type="application/json")  # HazardPage, written once (server/wire_json.py)


@router.get("/hazards/{hazard_id}", response_model=HazardDetail)
def get_hazard(hazard_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> HazardDetail:
    return detail.hazard_detail(session=session, user=user, hazard_id=hazard_id)


@router.put(
    "/hazards/{hazard_id}/transitions/{transition_id}",
    response_model=HazardPublic,
    status_code=201,
    responses={
        200: {"description": "A replay: the stored result"},
        409: {
            "description": "Not allowed from this state; or code use_notices: notify and "
            "acknowledge go through POST /notices and "
            "POST /notices/{id}/acknowledge"
        },
        412: {"description": "base_version is stale; the body carries the current hazard"},
    },
)
def put_transition(
    response: Response,
    hazard_id: uuid.UUID,
    transition_id: uuid.UUID,
    body: TransitionIn,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    if_match: Annotated[str | None, Header()] = None,
) -> HazardPublic:
    if if_match and if_match.strip('"W/ ') != str(body.base_version):
        raise Invalid("version_mismatch")
    hazard, created = transitions.apply_transition(
        session=session, settings=settings, user=user, hazard_id=hazard_id, transition_id=transition_id, data=body
    )
    response.status_code = 201 if created else 200
    return hazard
