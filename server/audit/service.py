"""Writing audit events; every state-changing service calls record() in its own transaction."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlmodel import Session

from server.audit.models import AuditEvent

# Set per request by middleware, so services need not thread it through.
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)
current_client_request_id: ContextVar[str | None] = ContextVar("current_client_request_id", default=None)


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
    event = AuditEvent(
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
    session.add(event)
    return event
