"""The phone's changes feed."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from server.deps import CurrentUser, SessionDep
from server.sync import service
from server.sync.service import Changes

router = APIRouter(tags=["sync"])


# The body is `Changes`, written by the service straight from the rows (a page is up to 2,000 records:
# building and validating models for them cost more than the queries); response_model documents it.
@router.get("/sync/changes", response_model=Changes)
def get_changes(
    user: CurrentUser, session: SessionDep, since: str | None = None, limit: int = Query(default=500, ge=1, le=2000)
) -> Response:
    body = service.changes_json(session=session, user=user, since=since, limit=limit)
    return Response(content=body, media_type="application/json")
