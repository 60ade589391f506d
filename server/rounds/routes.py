"""GET /rounds?week=2026-W48."""

from __future__ import annotations

from fastapi import APIRouter, Request

from server.deps import FieldUser, SessionDep, SettingsDep
from server.rounds import service
from server.rounds.models import WeekRounds

router = APIRouter(tags=["rounds"])


@router.get("/rounds", response_model=WeekRounds)
def get_rounds(
    request: Request, user: FieldUser, session: SessionDep, settings: SettingsDep, week: str | None = None
) -> WeekRounds:
    return service.rounds_for_week(
        session=session, settings=settings, registry=request.app.state.checklists, user=user, week=week
    )
