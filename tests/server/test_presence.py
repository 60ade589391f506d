"""Proof of presence: far from the site, no fix, a wrong phone clock are flagged (never refused); a run
finished offline hours ago on a correct clock is not."""

from __future__ import annotations

import uuid
from datetime import timedelta

from server.common import utcnow


def put(client, world, officer, body, device_time=None):
    headers = dict(world.headers(officer))
    if device_time is not None:
        headers["X-Device-Time"] = device_time.isoformat()
    inspection_id = uuid.uuid4()
    response = client.put(f"/api/v1/inspections/{inspection_id}", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_far_no_fix_and_skewed_clock_are_flagged_an_offline_run_on_a_true_clock_is_not(world, client):
    site = world.site(world.org())  # at 41.74, 123.45
    officer = world.officer(site)
    now = utcnow()

    far = put(client, world, officer, world.inspection_body(site, "gas", lat=41.758, lon=123.45), now)  # ~2 km
    no_fix = put(client, world, officer, world.inspection_body(site, "gas", lat=None, lon=None), now)
    skewed = put(client, world, officer, world.inspection_body(site, "gas"), now + timedelta(hours=3))
    offline = put(client, world, officer, world.inspection_body(site, "gas", finished_at=now - timedelta(hours=3)), now)
    near = put(client, world, officer, world.inspection_body(site, "gas", lat=41.7410, lon=123.4505), now)

    assert far["presence_flags"] == ["far_from_site"] and 1900 < far["distance_m"] < 2100
    assert no_fix["presence_flags"] == ["no_fix"] and no_fix["distance_m"] is None
    assert skewed["presence_flags"] == ["clock_skew"] and abs(skewed["device_clock_skew_s"] - 3 * 3600) < 60
    assert offline["presence_flags"] == [] and abs(offline["device_clock_skew_s"]) < 60
    assert near["presence_flags"] == [] and near["distance_m"] < 500

    stored = client.get(f"/api/v1/inspections/{far['id']}", headers=world.headers(officer)).json()
    assert stored["presence_flags"] == ["far_from_site"]
    for flag, expected in (("far_from_site", far), ("no_fix", no_fix), ("clock_skew", skewed)):
        page = client.get(f"/api/v1/inspections?presence_flag={flag}", headers=world.headers(officer)).json()
        assert [i["id"] for i in page["items"]] == [expected["id"]]
    bad = client.get("/api/v1/inspections?presence_flag=teleported", headers=world.headers(officer))
    assert bad.status_code == 422

    figures = client.get("/api/v1/inspections/presence", headers=world.headers(officer)).json()
    assert figures == [
        {"inspector_id": str(officer.id), "inspections": 5, "far_from_site": 1, "no_fix": 1, "clock_skew": 1}
    ]


def test_the_distance_setting_decides_far(world, client, settings):
    site = world.site(world.org())
    officer = world.officer(site)
    settings.presence_far_m = 3000
    body = world.inspection_body(site, "gas", lat=41.758, lon=123.45)
    assert put(client, world, officer, body, utcnow())["presence_flags"] == []


def test_a_replay_with_a_later_device_time_is_the_same_submission(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    body = world.inspection_body(site, "gas")
    inspection_id = uuid.uuid4()
    headers = dict(world.headers(officer))
    first = client.put(
        f"/api/v1/inspections/{inspection_id}", json=body, headers=headers | {"X-Device-Time": utcnow().isoformat()}
    )
    later = (utcnow() + timedelta(hours=5)).isoformat()
    replay = client.put(f"/api/v1/inspections/{inspection_id}", json=body, headers=headers | {"X-Device-Time": later})
    assert first.status_code == 201 and replay.status_code == 200 and replay.json() == first.json()


def test_a_start_far_from_the_site_is_flagged_though_the_finish_was_near(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    body = world.inspection_body(site, "gas", start_lat=41.758, start_lon=123.45, start_accuracy_m=12.0, accuracy_m=6.5)
    got = put(client, world, officer, body, utcnow())
    assert got["presence_flags"] == ["far_from_site"]
    assert got["start_accuracy_m"] == 12.0 and got["accuracy_m"] == 6.5


def test_hazards_show_and_filter_by_the_flags_of_the_inspection_that_raised_them(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    item = world.template("gas").items_for(site.profile)[0].id
    far = put(
        client, world, officer, world.inspection_body(site, "gas", fail=(item,), lat=41.758, lon=123.45), utcnow()
    )
    near = put(client, world, officer, world.inspection_body(site, "gas", fail=(item,)), utcnow())
    hazard = client.get(f"/api/v1/hazards/{far['hazard_ids'][0]}", headers=world.headers(officer)).json()
    assert hazard["presence_flags"] == ["far_from_site"]
    page = client.get("/api/v1/hazards?presence_flag=far_from_site", headers=world.headers(officer)).json()
    assert [h["id"] for h in page["items"]] == far["hazard_ids"]
    everything = client.get("/api/v1/hazards", headers=world.headers(officer)).json()["items"]
    assert {h["id"]: h["presence_flags"] for h in everything}[near["hazard_ids"][0]] == []
