"""The changes feed's positions, without one row every write has to queue on.

Every unit of work that writes a hazard or notice stamps it (stamp_change(), stamp_changes() for several
records, or feed_stamps() for a set-based UPDATE): `change_seq`, a number no other write gets, and
`change_xid`, the writing transaction. The feed (server/sync/service.py) hands rows out in
(change_xid, change_seq) order; a cursor is the last position handed out.

PostgreSQL. change_seq comes from the sequence change_feed_seq: nextval() never waits for another
transaction (the old counter row was locked by each write until its commit, so every hazard and notice
write in the city queued on it). Sequence numbers are not handed out in commit order, though: T1 may take
10, T2 take 11 and commit first. A reader that handed out 11 and moved its cursor past would never see 10.
Hence change_xid = pg_current_xact_id() of the writer, and the reader's horizon:

    the feed hands out only rows with change_xid < xmin, xmin = pg_snapshot_xmin(pg_current_snapshot()),
    the oldest transaction still in flight, read before the rows are.

Why a reader then misses nothing. Every transaction with an id below xmin has ended: committed (its rows
are visible to the reader's later statements) or rolled back (its rows never exist). So the set of rows
with change_xid < xmin is complete and final when it is read; the reader pages through it in
(change_xid, change_seq) order. Any row written afterwards, or by a transaction still in flight, carries a
transaction id >= xmin (ids only grow; a transaction without an id yet gets one above every id handed out),
so it sorts after every position already handed out, whatever its change_seq. A transaction that took a
sequence number and commits late (T1 above) holds xmin at or below its own id until it ends, and so holds
back every row at or after its id, including T2's: the reader does not advance past it until it commits.
Rewriting a row gives it a new (xid, seq), so a changed row comes round again. Only transactions that
write hold the horizon back (readers get no xid); a long writer delays the feed by its own duration.

SQLite has one writer at a time (BEGIN IMMEDIATE): change_seq is the counter row bumped under that lock,
so numbers are handed out in commit order, change_xid is always 0 and there is no horizon. The counter
costs nothing there: the writers queue on the database lock anyway.

Rows written before migration 0013 have change_xid 0 and their old change_seq: an old cursor "N" is the
position (0, N) and still works."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, String, cast, func, literal, text
from sqlmodel import Field, Session, SQLModel

from server.db import on_postgresql
from server.hazards.models import Hazard
from server.notices.models import Notice

FEED_SEQUENCE = "change_feed_seq"  # PostgreSQL only (migration 0013)


class ChangeCounter(SQLModel, table=True):
    """SQLite's feed counter (PostgreSQL uses the sequence change_feed_seq)."""

    __tablename__ = "change_counter"
    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, sa_type=BigInteger)


def _bump_counter(session: Session, count: int) -> int:
    return (
        session.connection()
        .execute(text("UPDATE change_counter SET seq = seq + :n WHERE id = 1 RETURNING seq"), {"n": count})
        .scalar_one()
    )


def next_stamps(session: Session, count: int) -> list[tuple[int, int]]:
    """(change_seq, change_xid) for `count` writes of one unit of work, in one statement (inside the unit of
    work): SQLite takes a block of the counter, PostgreSQL `count` nextval()s."""
    if count <= 0:
        return []
    if on_postgresql(session):
        rows = (
            session.connection()
            .execute(
                text(
                    f"SELECT nextval('{FEED_SEQUENCE}'), pg_current_xact_id()::text::bigint FROM generate_series(1, :n)"
                ),
                {"n": count},
            )
            .all()
        )
        return sorted((int(seq), int(xid)) for seq, xid in rows)
    end = _bump_counter(session, count)
    return [(seq, 0) for seq in range(end - count + 1, end + 1)]


def next_stamp(session: Session) -> tuple[int, int]:
    """(change_seq, change_xid) for one write (inside the unit of work)."""
    return next_stamps(session, 1)[0]


def feed_stamps(session: Session, *, count: int, position: ColumnElement[int]) -> tuple[Any, Any]:
    """SQL values of change_seq and change_xid for a set-based UPDATE of `count` rows; `position` numbers
    them 1..count (SQLite takes a block of the counter; PostgreSQL one nextval per row)."""
    if on_postgresql(session):
        return func.nextval(FEED_SEQUENCE), cast(cast(func.pg_current_xact_id(), String), BigInteger)
    end = _bump_counter(session, count)
    return literal(end - count, BigInteger) + position, literal(0, BigInteger)


def stamp_change(session: Session, record: Hazard | Notice) -> None:
    """Put a written hazard or notice at the end of the changes feed (call inside the unit of work)."""
    stamp_changes(session, [record])


def stamp_changes(session: Session, records: Sequence[Hazard | Notice]) -> None:
    """stamp_change() for several records of one unit of work, in their order, with one statement. Stamp new
    rows before they are flushed: the stamp goes into their INSERT, no UPDATE follows."""
    for record, (seq, xid) in zip(records, next_stamps(session, len(records)), strict=True):
        record.change_seq, record.change_xid = seq, xid
        session.add(record)


def feed_horizon(session: Session) -> int | None:
    """PostgreSQL: the oldest transaction id still in flight; rows it or later ones wrote wait. SQLite: None."""
    if not on_postgresql(session):
        return None
    return int(
        session.connection().execute(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")).scalar_one()
    )


def current_change_seq(session: Session) -> int:
    """SQLite: the last number handed out (all committed, in the reader's snapshot)."""
    return session.connection().execute(text("SELECT seq FROM change_counter WHERE id = 1")).scalar_one()
