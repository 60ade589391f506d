"""Training sessions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from server.deps import CurrentUser, OfficerUser, SessionDep
from server.inputs import UTCTime
from server.paging import DEFAULT_LIMIT, Cursor, Limit, Page
from server.trainings import service
from server.trainings.models import TrainingIn, TrainingPublic

router = APIRouter(tags=["trainings"])


@router.put("/trainings/{training_id}", response_model=TrainingPublic, status_code=201)
def put_training(
    response: Response, training_id: uuid.UUID, body: TrainingIn, user: OfficerUser, session: SessionDep
) -> TrainingPublic:
    training, created = service.log_training(session=session, user=user, training_id=training_id, data=body)
    response.status_code = 201 if created else 200
    return training


@router.get("/trainings", response_model=Page[TrainingPublic])
def list_trainings(  # type: ignore[no-untyped-def]
    user: CurrentUser,
    session: SessionDep,
    site_id: uuid.UUID | None = None,
    since: UTCTime | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
):
    items, next_cursor = service.page_trainings(
        session=session, user=user, site_id=site_id, since=since, cursor=cursor, limit=limit
    )
    return Page(items=items, next_cursor=next_cursor)
