"""A hazard's history: one hazard_transition row per accepted step, written in the step's unit of work.

Steps a client sends (PUT /hazards/{id}/transitions/{id}) keep the client's id. Steps the server takes
get ids derived from what caused them, so the same cause can never be recorded twice (escalation derives
its steps' ids in SQL from the hazard and its new place in the changes feed: server/hazards/escalation.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, select

from server.hazards.models import Hazard, HazardTransition, HistoryEntry
from server.users.models import User


def creation_step_id(hazard_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(hazard_id, "created")


def notice_step_id(notice_id: uuid.UUID, hazard_id: uuid.UUID, action: str) -> uuid.UUID:
    return uuid.uuid5(notice_id, f"{hazard_id}:{action}")


def record_step(
    session: Session,
    *,
    step_id: uuid.UUID,
    hazard: Hazard,
    action: str,
    from_status: str,
    to_status: str,
    actor_id: uuid.UUID | None,
    note: str | None = None,
    photo_ids: Iterable[uuid.UUID] = (),
    request_hash: str | None = None,
    result: dict[str, Any] | None = None,
) -> HazardTransition:
    """Add one history row (inside the caller's unit of work)."""
    step = HazardTransition(
        id=step_id,
        hazard_id=hazard.id,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor_id=actor_id,
        note=note,
        photo_ids=[str(p) for p in photo_ids],
        request_hash=request_hash,
        result=result or {},
    )
    session.add(step)
    return step


def hazard_history(*, session: Session, hazard_id: uuid.UUID) -> list[HistoryEntry]:
    steps = session.exec(
        select(HazardTransition)
        .where(HazardTransition.hazard_id == hazard_id)
        .order_by(HazardTransition.created_at, HazardTransition.id)
    ).all()
    actor_ids = {s.actor_id for s in steps if s.actor_id}
    names = (
        {u.id: (u.display_name or u.username) for u in session.exec(select(User).where(User.id.in_(actor_ids))).all()}
        if actor_ids
        else {}
    )
    return [
        HistoryEntry(
            at=s.created_at,
            actor_id=s.actor_id,
            actor_name=names.get(s.actor_id) if s.actor_id else None,
            action=s.action,
            from_state=s.from_status or None,
            to_state=s.to_status,
            note=s.note,
            photo_ids=s.photo_ids,
        )
        for s in steps
    ]
