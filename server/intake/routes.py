"""The hotline platform's door into the intake queue, and its registration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from server.deps import AdminUser, SessionDep, SettingsDep
from server.intake import external
from server.intake.models import ExternalOrderIn, IntakePublic, IntegrationCreated, IntegrationIn

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
