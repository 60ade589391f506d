"""Revisits (回访) of closed red hazards: the due list and the officer's one-tap answer."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter

from server.deps import CurrentUser, OfficerUser, SessionDep, SettingsDep
from server.paging import Cursor, Limit
from server.revisits import service
from server.revisits.models import RevisitAnswerIn, RevisitPage, RevisitPublic

router = APIRouter(tags=["revisits"])


@router.get("/revisits", response_model=RevisitPage)
def list_revisits(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    status: Literal["due", "confirmed", "reopened"] | None = "due",
    site_id: uuid.UUID | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> RevisitPage:
    """Revisits at the caller's sites; `status=due` (the default): those whose day has come."""
    return service.list_revisits(
        session=session, settings=settings, user=user, status=status, site_id=site_id, limit=limit, cursor=cursor
    )


@router.post(
    "/revisits/{revisit_id}",
    response_model=RevisitPublic,
    responses={200: {"description": "The same answer given again"}},
)
def answer_revisit(
    revisit_id: uuid.UUID,
    body: RevisitAnswerIn,
    user: OfficerUser,
    session: SessionDep,
    settings: SettingsDep,
) -> RevisitPublic:
    """`confirmed` (still fixed) or `reopen` with `photo_id` (the hazard goes back to being fixed)."""
    revisit, _changed = service.answer_revisit(
        session=session, settings=settings, user=user, revisit_id=revisit_id, data=body
    )
    return revisit
