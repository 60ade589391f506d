"""GET /rounds?week=2026-W48[&district=&street=&cursor=&limit=]."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from server.deps import FieldUser, SessionDep, SettingsDep
from server.rounds import service
from server.rounds.models import WeekRounds

router = APIRouter(tags=["rounds"])


@router.get("/rounds", response_model=WeekRounds)
def get_rounds(
    request: Request,
    user: FieldUser,
    session: SessionDep,
    settings: SettingsDep,
    week: str | None = None,
    district: str | None = Query(default=None, max_length=100),
    street: str | None = Query(default=None, max_length=100),
    cursor: str | None = Query(default=None, max_length=1000),
    limit: int = Query(default=service.ROUNDS_DEFAULT_LIMIT, ge=1, le=service.ROUNDS_MAX_LIMIT),
) -> WeekRounds:
    """The week's due and done per site: an officer's own sites; for an admin a page of the district's or
    street's sites (next_cursor for the next)."""
    return service.rounds_for_week(
        session=session,
        settings=settings,
        registry=request.app.state.checklists,
        user=user,
        week=week,
        district=district,
        street=street,
        cursor=cursor,
        limit=limit,
    )
