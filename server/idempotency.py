"""Idempotent writes under client-chosen ids: the primary key decides, a stored request hash tells
a replay (answer what was stored) from a conflict (409, nothing changed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from server.db import write_unit
from server.errors import Conflict, not_found

T = TypeVar("T")


def check_same_request(stored_hash: str | None, request_hash: str, noun: str) -> None:
    if stored_hash != request_hash:
        raise Conflict("id_conflict", record=noun)


def stored_in_scope(session: Session, model: Any, record_id: Any, condition: Any, noun: str) -> Any:
    """The record already stored under this id, or None. An id taken by a record the caller may not see
    answers 404, as a missing one would: a replay never shows another's record, nor says it exists (409).
    One statement: the record, and whether `condition` holds for it."""
    row = session.exec(select(model, condition.label("in_scope")).where(model.id == record_id)).first()
    if row is None:
        return None
    stored, in_scope = row
    if not in_scope:
        raise not_found(noun)
    return stored


def write_once(
    session: Session,
    model: type,
    record_id: Any,
    write: Callable[[], T],
    replay: Callable[[Any], T],
    other_conflict: Callable[[], None] | None = None,
) -> tuple[T, bool]:
    """Run `write` (which adds the record under `record_id`) as one unit of work: (its result, True).
    If another request committed the same id first, nothing of ours is kept: (replay(that record), False).
    If another row it writes is taken, nothing is kept either: `other_conflict` may raise a Conflict that names
    the row, else Conflict("write_conflict")."""
    try:
        with write_unit(session):
            result = write()
        return result, True
    except IntegrityError:
        existing = session.get(model, record_id)
        if existing is None:  # another row it writes (say a hazard id) is taken: nothing of ours was kept
            if other_conflict is not None:
                other_conflict()
            raise Conflict("write_conflict") from None
        return replay(existing), False
