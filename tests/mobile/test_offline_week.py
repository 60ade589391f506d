"""A week without signal: seven days of rounds, photos, a training session and a notice recorded offline (the
app restarted once), then one sync when the server is reachable. Every record arrives exactly once, photos
before the records that name them, in under a minute; the server then holds exactly what the phone did."""

from __future__ import annotations

import time
import uuid

import pytest

from mobile.services import Phone
from tests.live_server import LiveServer
from tests.mobile.helpers import Field
from tests.mobile.week import work_a_week_offline

CAMERA = (1600, 1200)  # the size the phone downscales camera photos to


@pytest.fixture
def own_server(tmp_path):
    """A server of this test's own, so its tables hold only what this phone sends."""
    server = LiveServer.start(tmp_path / "server")
    yield server
    server.stop()


def hexes(ids):
    return {str(uuid.UUID(i)) for i in ids}


def test_a_week_offline_then_one_sync_delivers_everything_once_photos_first(own_server, tmp_path):
    admin = own_server.admin()
    field = Field.build(own_server, admin, tmp_path)
    phones = [field.phone()]
    own_server.stop()  # no signal all week

    def phone_of_day(day: int) -> Phone:
        if day == 3:  # the app is killed and started again mid-week: nothing is lost
            phones[-1].close()
            phones.append(Phone(tmp_path / "phone", backoff_base=0.05))
            field.phones.append(phones[-1])
        return phones[-1]

    week = work_a_week_offline(
        phone_of_day,
        [s["id"] for s in field.sites],
        field.org["id"],
        lambda phone, kind: field.photo(phone, kind, CAMERA),
    )
    phone = phones[-1]
    assert (len(week.inspections), len(week.hazards), len(week.photos)) == (14, 14, 28 + 2 + 1)
    assert phone.pending_count() == week.records + len(week.photos)

    own_server.serve()  # back in signal: one sync
    started = time.monotonic()
    status = phone.sync_now()
    elapsed = time.monotonic() - started
    assert status["state"] == "idle" and status["pending"] == 0 and status["needs_attention"] == 0, status
    assert status["progress"]["done"] == week.records + len(week.photos)
    assert elapsed < 60, f"a week took {elapsed:.1f} s to sync"

    # Exactly once: the server holds each record once and wrote one audit event per record.
    assert own_server.ids("inspection") == hexes(week.inspections)
    assert own_server.ids("hazard") == hexes(week.hazards)
    assert own_server.ids("photo") == hexes(week.photos)
    assert own_server.ids("training_session") == hexes(week.trainings)
    assert own_server.ids("notice") == hexes(week.notices)
    assert own_server.ids("hazard_transition", "request_hash IS NOT NULL") == hexes(week.transitions)
    for action, target, ids in (
        ("upload", "photo", week.photos),
        ("submit", "inspection", week.inspections),
    ):
        assert own_server.count("audit_event", "action = ? AND target_type = ?", (action, target)) == len(ids)
    # Photos before the records that name them: no link to a photo stored after its record.
    assert (
        own_server.count(
            "photo_link l JOIN photo p ON p.id = l.photo_id JOIN inspection i ON i.id = l.inspection_id",
            "p.created_at > i.created_at",
        )
        == 0
    )
    assert own_server.count("photo_link", "inspection_id IS NOT NULL") == 28
    assert (
        own_server.count(
            "photo_link l JOIN photo p ON p.id = l.photo_id JOIN training_session t ON t.id = l.training_id",
            "p.created_at > t.created_at",
        )
        == 0
    )
    # A run finished days ago on a true clock is not a clock problem; the sites are where the phone was not.
    assert own_server.count("inspection", "presence_flags LIKE '%clock_skew%'") == 0

    # The server's truth is now the phone's: the notice is numbered, the fixed hazard closed.
    notice = admin.get(f"/notices/{week.notices[0]}")
    assert notice["number"] and sorted(notice["hazard_ids"]) == sorted(week.noticed)
    assert admin.get(f"/hazards/{week.hazards_by_site[1][0]}")["status"] == "closed"
    assert not phone.hazards({"provisional": True})
    field.close()
    admin.close()
