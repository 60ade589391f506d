"""The changes feed's sequence: one counter row, bumped for every write to a hazard or notice.

Each service that writes a hazard or notice calls stamp_change() inside its unit of work. The bump takes
the counter row's lock until commit, so sequence numbers are handed out in commit order: a reader that
sees number N has also seen every number below it. That is what lets a phone page through /sync/changes
without ever missing a change under concurrent writes.

Lock order, to keep PostgreSQL free of deadlocks: a unit of work that changes existing hazards or notices
locks those rows first (SELECT ... FOR UPDATE), and only then stamps them (which takes the counter).
Never the other way round."""

from __future__ import annotations

from sqlalchemy import BigInteger, text
from sqlmodel import Field, Session, SQLModel

from server.hazards.models import Hazard
from server.notices.models import Notice


class ChangeCounter(SQLModel, table=True):
    __tablename__ = "change_counter"
    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, sa_type=BigInteger)


def next_change_seq(session: Session) -> int:
    return (
        session.connection()
        .execute(text("UPDATE change_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq"))
        .scalar_one()
    )


def current_change_seq(session: Session) -> int:
    return session.connection().execute(text("SELECT seq FROM change_counter WHERE id = 1")).scalar_one()


def stamp_change(session: Session, record: Hazard | Notice) -> None:
    """Put a written hazard or notice at the end of the changes feed (call inside the unit of work)."""
    record.change_seq = next_change_seq(session)
    session.add(record)
