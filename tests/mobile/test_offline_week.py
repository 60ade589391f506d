"""A week in basements and villages: everything done offline reaches the server when it comes up,
exactly once, and the server then holds exactly what the phone did."""

from __future__ import annotations

import uuid

import pytest

from mobile.services import Phone
from tests.live_server import LiveServer
from tests.mobile.helpers import Field, answer_run

PLAN = [
    (0, "gas"),
    (0, "fire"),
    (0, "electricity"),
    (0, "elevator"),
    (1, "ebike"),
    (1, "structure"),
    (1, "falling_objects"),
]


@pytest.fixture
def own_server(tmp_path):
    """A server of this test's own, so its tables hold only what this phone sends."""
    server = LiveServer.start(tmp_path / "server")
    yield server
    server.stop()


def hexes(ids):
    return {str(uuid.UUID(i)) for i in ids}


def test_a_week_offline_syncs_when_the_server_comes_up(own_server, tmp_path):
    admin = own_server.admin()
    field = Field.build(own_server, admin, tmp_path)
    phone = field.phone()
    own_server.stop()  # the link goes down for the week

    inspections, hazards, photos = [], [], []
    for n, (site_index, category) in enumerate(PLAN):
        if n == 3:  # the app is killed and started again mid-week: nothing is lost
            phone.close()
            phone = Phone(tmp_path / "phone", backoff_base=0.05)
            field.phones.append(phone)
        run = phone.start_run(field.sites[site_index]["id"], category)
        answer_run(phone, run, fail=2, photos=field)
        last = run.applicable_items()[-1]["id"]
        if n < 3:  # a scene photo on a passed item
            phone.save_answer(run, last, "pass", photo_ids=[field.photo(phone, "scene")])
        inspections.append(phone.finish_run(run))
        hazards += run.hazard_ids().values()
        photos += run.photo_ids()
    training_photos = [field.photo(phone, "training"), field.photo(phone, "training")]
    training_id = phone.log_training(
        site_id=field.sites[0]["id"],
        held_at="2026-11-20T10:00:00+08:00",
        topics=["gas", "fire"],
        trainer="社区民警",
        attendee_count=42,
        duration_minutes=60,
        notes="签到表见照片",
        photo_ids=training_photos,
    )
    fixed = hazards[0]
    verification = field.photo(phone, "verification")
    fix_id = phone.record_transition(fixed, "fix_on_spot", note="当场更换软管", photo_ids=[verification])
    photos += training_photos + [verification]
    assert len(inspections) == 7 and len(photos) == 20 and len(hazards) == 14
    assert phone.hazard(fixed)["status"] == "closed" and phone.hazard(fixed)["pending_actions"] == ["fix_on_spot"]

    status = phone.sync_now()
    assert status["state"] == "offline" and status["pending"] == 7 + 20 + 1 + 1

    own_server.serve()  # the server comes up (same port, same database)
    status = phone.sync_now()
    assert status["state"] == "idle" and status["pending"] == 0 and status["needs_attention"] == 0
    assert status["progress"]["done"] == 29

    officer = field.officer.id.replace("-", "")
    assert own_server.ids("inspection") == hexes(inspections)
    assert own_server.ids("hazard") == hexes(hazards)
    assert own_server.ids("photo") == hexes(photos)
    assert own_server.ids("training_session") == hexes([training_id])
    # The history: each hazard's creation, and the one step the phone sent (with its request hash).
    assert own_server.ids("hazard_transition", "request_hash IS NOT NULL") == hexes([fix_id])
    assert own_server.count("hazard_transition", "action = 'raise'") == len(hazards)
    assert own_server.count("photo", "uploaded_by = ?", (officer,)) == 20
    for photo_id in photos:
        assert (
            own_server.count(
                "photo", "id = ? AND sha256 = ?", (uuid.UUID(photo_id).hex, phone.store.photo(photo_id)["sha256"])
            )
            == 1
        )
    assert admin.get(f"/hazards/{fixed}")["status"] == "closed"
    assert admin.get("/trainings", site_id=field.sites[0]["id"])[0]["photo_ids"] == training_photos
    # The phone's cache now shows the server's truth.
    assert phone.hazard(fixed)["status"] == "closed" and phone.hazard(fixed)["pending_actions"] == []
    assert not phone.hazards({"provisional": True})
    assert len(phone.hazards({"status": "open"})) == 13
    field.close()
    admin.close()
