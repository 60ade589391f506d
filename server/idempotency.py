"""Idempotent writes under client-chosen ids: the primary key decides, a stored request hash tells
a replay (answer what was stored) from a conflict (409, nothing changed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from server.errors import Conflict

T = TypeVar("T")


def check_same_request(stored_hash: str | None, request_hash: str, noun: str) -> None:
    if stored_hash != request_hash:
        raise Conflict("id_conflict", record=noun)


def commit_or_replay(session: Session, model: type, record_id: Any, replay: Callable[[Any], T],
                     before_commit: Callable[[], None] | None = None) -> T | None:
    """Commit a new record (after `before_commit`, e.g. a flush and its links). If another request
    committed the same id first, roll back and return `replay(that record)`; None when ours went through."""
    try:
        if before_commit:
            before_commit()
        session.commit()
        return None
    except IntegrityError:
        session.rollback()
        existing = session.get(model, record_id)
        if existing is None:
            raise
        return replay(existing)
