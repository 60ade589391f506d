"""The changes feed's sequence: one counter row, bumped by every write to a hazard or notice.

The bump takes the counter row's lock until commit, so sequence numbers are handed out in
commit order: a reader that sees number N has also seen every number below it. That is what
lets a phone page through /sync/changes without ever missing a change under concurrent writes."""

from __future__ import annotations

from sqlalchemy import BigInteger, event, text
from sqlmodel import Field, Session, SQLModel

from server.hazards.models import Hazard
from server.notices.models import Notice

TRACKED = (Hazard, Notice)


class ChangeCounter(SQLModel, table=True):
    __tablename__ = "change_counter"
    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, sa_type=BigInteger)


def next_change_seq(session: Session) -> int:
    return session.connection().execute(
        text("UPDATE change_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq")).scalar_one()


def current_change_seq(session: Session) -> int:
    return session.connection().execute(text("SELECT seq FROM change_counter WHERE id = 1")).scalar_one()


@event.listens_for(Session, "before_flush")
def _stamp_changes(session: Session, _flush_context, _instances) -> None:  # type: ignore[no-untyped-def]
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, TRACKED) and (obj in session.new or session.is_modified(obj)):
            obj.change_seq = next_change_seq(session)

# Lock order, to keep PostgreSQL free of deadlocks: a transaction that changes existing hazards
# or notices locks those rows first (SELECT ... FOR UPDATE), and only then flushes (which takes
# the counter). Never the other way round.
