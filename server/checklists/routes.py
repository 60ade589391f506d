"""Checklist templates for the phone."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from server.checklists import service
from server.checklists.models import ChecklistSummary
from server.deps import CurrentUser, SessionDep

router = APIRouter(tags=["checklists"])


@router.get("/checklists", response_model=list[ChecklistSummary])
def list_checklists(request: Request, user: CurrentUser) -> list[ChecklistSummary]:
    return service.summaries(request.app.state.checklists)


@router.get("/checklists/{category}")
def get_checklist(
    request: Request,
    category: str,
    user: CurrentUser,
    session: SessionDep,
    version: int | None = Query(default=None, ge=1, le=2**31 - 1),
) -> dict[str, Any]:
    template = service.get_template(
        session=session, registry=request.app.state.checklists, category=category, version=version
    )
    return template.model_dump(mode="json")
