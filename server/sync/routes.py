"""The phone's changes feed."""

from __future__ import annotations

from fastapi import APIRouter, Query

from server.deps import CurrentUser, SessionDep
from server.sync import service
from server.sync.service import Changes

router = APIRouter(tags=["sync"])


@router.get("/sync/changes", response_model=Changes)
def get_changes(
    user: CurrentUser, session: SessionDep, since: str | None = None, limit: int = Query(default=500, ge=1, le=2000)
) -> Changes:
    return service.changes_since(session=session, user=user, since=since, limit=limit)
