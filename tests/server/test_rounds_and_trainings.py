"""Weekly rounds counted in the deployment's time zone, and training sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from tests.factories import World


def submit(world: World, client, officer, site, category, finished_at):
    body = world.inspection_body(site, category, finished_at=finished_at)
    response = client.put(f"/api/v1/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer))
    assert response.status_code == 201, response.text


def test_a_monday_morning_in_shenyang_counts_for_that_monday_week(world, client):
    site = world.site(has_gas=True, has_elevators=False)
    officer = world.officer(site, visits_per_week=2)
    # 07:00 Monday 2026-11-23 in Shenyang is still Sunday in UTC (week 47 there).
    submit(world, client, officer, site, "gas", datetime.fromisoformat("2026-11-23T07:00:00+08:00"))
    submit(world, client, officer, site, "fire", datetime.fromisoformat("2026-11-25T15:00:00+08:00"))
    submit(world, client, officer, site, "electricity", datetime.fromisoformat("2026-11-22T20:00:00+08:00"))
    week = client.get("/api/v1/rounds", params={"week": "2026-W48"}, headers=world.headers(officer)).json()
    assert week["starts_on"] == "2026-11-23" and week["ends_on"] == "2026-11-29"
    (row,) = week["sites"]
    assert row["done"] == ["fire", "gas"]
    assert "elevator" not in row["due"] and "gas" in row["due"]
    assert set(row["remaining"]) == set(row["due"]) - {"fire", "gas"}
    assert (row["visits"], row["visits_target"]) == (2, 2)
    previous = client.get("/api/v1/rounds", params={"week": "2026-W47"}, headers=world.headers(officer)).json()
    assert previous["sites"][0]["done"] == ["electricity"]


def test_property_users_have_no_rounds(world, client):
    company = world.org()
    staff = world.user("property", company)
    assert client.get("/api/v1/rounds", headers=world.headers(staff)).status_code == 403


def test_training_sessions_are_idempotent_and_scoped(world, client):
    site, other = world.site(), world.site()
    officer = world.officer(site)
    training_id = uuid.uuid4()
    body = {
        "site_id": str(site.id),
        "held_at": "2026-11-24T19:00:00+08:00",
        "topics": ["fire", "ebike"],
        "trainer": "张伟",
        "attendee_count": 36,
        "duration_minutes": 90,
        "notes": "村委会议室，讲解电动车入户充电危害",
        "photo_ids": [],
    }
    first = client.put(f"/api/v1/trainings/{training_id}", json=body, headers=world.headers(officer))
    assert first.status_code == 201, first.text
    replay = client.put(f"/api/v1/trainings/{training_id}", json=body, headers=world.headers(officer))
    assert replay.status_code == 200 and replay.json() == first.json()
    changed = client.put(
        f"/api/v1/trainings/{training_id}", json=dict(body, attendee_count=40), headers=world.headers(officer)
    )
    assert changed.status_code == 409
    bad_topic = client.put(
        f"/api/v1/trainings/{uuid.uuid4()}", json=dict(body, topics=["cooking"]), headers=world.headers(officer)
    )
    assert bad_topic.status_code == 422 and "cooking" in bad_topic.json()["detail"]
    elsewhere = client.put(
        f"/api/v1/trainings/{uuid.uuid4()}", json=dict(body, site_id=str(other.id)), headers=world.headers(officer)
    )
    assert elsewhere.status_code == 422
    listed = client.get("/api/v1/trainings", headers=world.headers(officer)).json()["items"]
    assert [t["attendee_count"] for t in listed] == [36]
    colleague = world.officer(other)
    assert client.get("/api/v1/trainings", headers=world.headers(colleague)).json()["items"] == []
