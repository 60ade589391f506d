"""Writing audit events; every state-changing service calls record() in its own transaction."""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from server.audit.models import AuditEvent

# Set per request by middleware, so services need not thread it through.
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)
current_client_request_id: ContextVar[str | None] = ContextVar("current_client_request_id", default=None)


def event(
    *,
    actor_id: Any,
    action: str,
    target_type: str,
    target_id: Any,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """An event of this request, not yet written (record() or record_all() writes it)."""
    return AuditEvent(
        actor_id=str(actor_id) if actor_id else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        from_state=from_state,
        to_state=to_state,
        request_id=current_request_id.get(),
        client_request_id=current_client_request_id.get(),
        detail=detail or {},
    )


def record(
    *,
    session: Session,
    actor_id: Any,
    action: str,
    target_type: str,
    target_id: Any,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    recorded = event(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        from_state=from_state,
        to_state=to_state,
        detail=detail,
    )
    session.add(recorded)
    return recorded


def record_all(session: Session, events: Sequence[AuditEvent]) -> None:
    """Write several events, in their order, with one INSERT (inside the caller's unit of work). Their ids are
    not read back: nothing refers to an audit event."""
    if events:
        session.connection().execute(insert(AuditEvent.__table__), [e.model_dump(exclude={"id"}) for e in events])
