"""The hotline platform's door into the intake queue, and its registration."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from server.db import end_read
from server.deps import AdminUser, OfficerUser, SessionDep, SettingsDep, require_role
from server.intake import external, poster, service
from server.intake.models import (
    AcceptIn,
    DeclineIn,
    ExternalOrderIn,
    IntakeKind,
    IntakePublic,
    IntakeReportIn,
    IntakeReportPage,
    IntakeReportPublic,
    IntakeStatus,
    IntegrationCreated,
    IntegrationIn,
    MergeIn,
    PublicCode,
    RevisitIn,
)
from server.paging import Cursor
from server.users.models import Role, User

router = APIRouter(tags=["intake"])


async def raw_body(request: Request) -> bytes:
    return await request.body()  # the signature covers the bytes as sent


@router.post(
    "/intake/external",
    response_model=IntakePublic,
    status_code=201,
    responses={200: {"description": "The same order again: the first result"}},
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": ExternalOrderIn.model_json_schema()}}}},
)
def receive_external_order(
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    body: Annotated[bytes, Depends(raw_body)],
    x_saferound_integration: Annotated[str | None, Header()] = None,
    x_saferound_timestamp: Annotated[str | None, Header()] = None,
    x_saferound_signature: Annotated[str | None, Header()] = None,
) -> IntakePublic:
    integration = external.authenticate(
        session=session,
        settings=settings,
        name=x_saferound_integration,
        timestamp=x_saferound_timestamp,
        signature=x_saferound_signature,
        body=body,
    )
    try:
        data = ExternalOrderIn.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None
    report, created = external.receive_order(session=session, settings=settings, integration=integration, data=data)
    response.status_code = 201 if created else 200
    return report


@router.post("/intake/integrations", response_model=IntegrationCreated, status_code=201)
def create_integration(body: IntegrationIn, user: AdminUser, session: SessionDep) -> IntegrationCreated:
    return external.create_integration(session=session, user=user, data=body)


# ---- the intake queue: grid workers' reports, the officer's handling, reporters' revisits ----------------------

Reporter = Annotated[User, Depends(require_role(Role.gridworker, Role.officer))]
QueueReader = Annotated[User, Depends(require_role(Role.gridworker, Role.officer, Role.admin))]
PosterReader = Annotated[User, Depends(require_role(Role.officer, Role.admin))]


@router.put(
    "/intake/reports/{report_id}",
    response_model=IntakeReportPublic,
    status_code=201,
    responses={200: {"description": "The same report again: the stored one"}, 409: {"description": "Another body"}},
)
def put_report(
    report_id: uuid.UUID,
    body: IntakeReportIn,
    response: Response,
    user: Reporter,
    session: SessionDep,
    settings: SettingsDep,
) -> IntakeReportPublic:
    report, created = service.file_report(session=session, settings=settings, user=user, report_id=report_id, data=body)
    response.status_code = 201 if created else 200
    return report


@router.get("/intake/reports", response_model=IntakeReportPage)
def list_reports(
    user: QueueReader,
    session: SessionDep,
    status: IntakeStatus | None = None,
    site_id: uuid.UUID | None = None,
    kind: IntakeKind | None = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> IntakeReportPage:
    return service.list_reports(
        session=session,
        user=user,
        status=status.value if status else None,
        site_id=site_id,
        kind=kind.value if kind else None,
        cursor=cursor,
        limit=limit,
    )


@router.get("/intake/reports/{report_id}", response_model=IntakeReportPublic)
def get_report(report_id: uuid.UUID, user: QueueReader, session: SessionDep) -> IntakeReportPublic:
    return service.get_report(session=session, user=user, report_id=report_id)


@router.post("/intake/reports/{report_id}/accept", response_model=IntakeReportPublic)
def accept_report(
    report_id: uuid.UUID, body: AcceptIn, user: OfficerUser, session: SessionDep, settings: SettingsDep
) -> IntakeReportPublic:
    return service.accept(session=session, settings=settings, user=user, report_id=report_id, data=body)


@router.post("/intake/reports/{report_id}/merge", response_model=IntakeReportPublic)
def merge_report(
    report_id: uuid.UUID, body: MergeIn, user: OfficerUser, session: SessionDep, settings: SettingsDep
) -> IntakeReportPublic:
    return service.merge(session=session, settings=settings, user=user, report_id=report_id, data=body)


@router.post("/intake/reports/{report_id}/decline", response_model=IntakeReportPublic)
def decline_report(
    report_id: uuid.UUID, body: DeclineIn, user: OfficerUser, session: SessionDep, settings: SettingsDep
) -> IntakeReportPublic:
    return service.decline(session=session, settings=settings, user=user, report_id=report_id, data=body)


@router.post("/intake/reports/{report_id}/revisit", response_model=IntakeReportPublic)
def revisit_report(
    report_id: uuid.UUID, body: RevisitIn, user: Reporter, session: SessionDep, settings: SettingsDep
) -> IntakeReportPublic:
    return service.revisit(session=session, settings=settings, user=user, report_id=report_id, data=body)


@router.put("/sites/{site_id}/gridworkers/{user_id}", status_code=204, tags=["admin"])
def assign_gridworker(site_id: uuid.UUID, user_id: uuid.UUID, admin: AdminUser, session: SessionDep) -> None:
    service.assign_gridworker(session=session, site_id=site_id, user_id=user_id, actor_id=admin.id)


@router.delete("/sites/{site_id}/gridworkers/{user_id}", status_code=204, tags=["admin"])
def unassign_gridworker(site_id: uuid.UUID, user_id: uuid.UUID, admin: AdminUser, session: SessionDep) -> None:
    service.unassign_gridworker(session=session, site_id=site_id, user_id=user_id, actor_id=admin.id)


@router.post("/sites/{site_id}/public-code", response_model=PublicCode, tags=["admin"])
def renew_public_code(site_id: uuid.UUID, admin: AdminUser, session: SessionDep, settings: SettingsDep) -> PublicCode:
    code = service.renew_public_code(session=session, site_id=site_id, actor_id=admin.id)
    return PublicCode(public_code=code, url=service.public_url(settings, code))


@router.get(
    "/sites/{site_id}/poster.pdf",
    tags=["sites"],
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The site's A4 public poster (公示牌)"}},
)
def site_poster(site_id: uuid.UUID, user: PosterReader, session: SessionDep, settings: SettingsDep) -> Response:
    doc = poster.poster_document(session=session, settings=settings, user=user, site_id=site_id)
    end_read(session)
    content = poster.render_poster_pdf(doc)
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''poster-{site_id}.pdf"},
    )
