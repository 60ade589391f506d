"""The changes feed on PostgreSQL: numbers from a sequence (no row every write queues on) and a horizon, so a
transaction that took a smaller number and commits late is never skipped (server/sync/changes.py)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlmodel import Session

from server.hazards.models import Hazard
from server.sync.changes import stamp_change
from tests.server.test_escalation_and_feed import make_hazard

ON_POSTGRES = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def read_feed(client, world, user, cursor):
    """Pages until caught up; the hazards handed out (id, description) and the cursor to go on from."""
    seen = []
    while True:
        params = {"limit": 2} | ({"since": cursor} if cursor else {})
        page = client.get("/api/v1/sync/changes", params=params, headers=world.headers(user)).json()
        seen += [(h["id"], h["description"]) for h in page["hazards"]]
        cursor = page["cursor"]
        if not page["has_more"]:
            return seen, cursor


def begin_edit(world, hazard_id: str, description: str) -> tuple[Session, int]:
    """A unit of work that rewrote and stamped a hazard and has not committed; its change_seq."""
    session = world.session()
    hazard = session.get(Hazard, uuid.UUID(hazard_id), with_for_update=True)
    hazard.description = description
    stamp_change(session, hazard)
    session.flush()
    return session, hazard.change_seq


@ON_POSTGRES
@pytest.mark.parametrize("late_started_first", [True, False], ids=["late-has-older-xid", "late-has-newer-xid"])
def test_a_reader_does_not_pass_a_smaller_number_still_in_flight(world, client, late_started_first):
    site = world.site(world.org())
    officer = world.officer(site)
    first = make_hazard(world, client, officer, site)["id"]
    second = make_hazard(world, client, officer, site)["id"]
    seen, cursor = read_feed(client, world, officer, None)
    assert {hazard_id for hazard_id, _ in seen} == {first, second}

    early = world.session()
    if not late_started_first:  # the transaction that commits first is the older one
        early.connection().execute(text("SELECT pg_current_xact_id()"))
    late, late_seq = begin_edit(world, first, "晚提交的修改")
    early_hazard = early.get(Hazard, uuid.UUID(second), with_for_update=True)
    early_hazard.description = "先提交的修改"
    stamp_change(early, early_hazard)
    early.commit()
    assert early_hazard.change_seq > late_seq  # the higher number is committed, the lower one in flight

    meanwhile, cursor = read_feed(client, world, officer, cursor)
    if late_started_first:  # the horizon holds everything back from the late transaction on
        assert meanwhile == []
    else:  # older than the late one: handed out, and the late one still sorts after it
        assert meanwhile == [(second, "先提交的修改")]

    late.commit()
    late.close()
    early.close()
    after, _ = read_feed(client, world, officer, cursor)
    handed_out = meanwhile + after
    assert sorted(handed_out) == sorted([(first, "晚提交的修改"), (second, "先提交的修改")])


@ON_POSTGRES
def test_a_hazard_write_does_not_wait_for_another_ones_commit(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    first = make_hazard(world, client, officer, site)["id"]
    second = make_hazard(world, client, officer, site)["id"]
    holding, held_seq = begin_edit(world, first, "未提交")
    other = world.session()
    # With one counter row this stamp queued behind the open transaction: here it must not wait at all.
    other.connection().execute(text("SET LOCAL lock_timeout = '1s'"))
    hazard = other.get(Hazard, uuid.UUID(second), with_for_update=True)
    stamp_change(other, hazard)
    other.commit()
    assert hazard.change_seq != held_seq
    holding.rollback()
    holding.close()
    other.close()
    # The rolled-back number leaves a gap; the feed does not mind: the first as created, the second rewritten.
    seen, _ = read_feed(client, world, officer, None)
    assert [hazard_id for hazard_id, _ in seen] == [first, second]
