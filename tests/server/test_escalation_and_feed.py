"""Deadlines, escalation levels kept current by the server, and the scoped changes feed."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import select

from server.common import utcnow
from server.hazards.escalation import refresh_escalations
from server.hazards.models import Hazard


def make_hazard(world, client, officer, site, severity="red"):
    hazard_id = uuid.uuid4()
    body = {
        "site_id": str(site.id),
        "category": "structure",
        "severity": severity,
        "description": "楼道堆放杂物堵塞疏散通道",
    }
    response = client.put(f"/api/v1/hazards/{hazard_id}", json=body, headers=world.headers(officer))
    assert response.status_code == 201, response.text
    return response.json()


def backdate_deadline(world, hazard_id, days):
    with world.session() as s:
        hazard = s.get(Hazard, uuid.UUID(hazard_id))
        hazard.deadline = utcnow() - timedelta(days=days)
        s.add(hazard)
        s.commit()


def test_overdue_hazards_escalate_to_level_1_then_2_and_show_in_the_filter(world, client, settings):
    site = world.site(world.org())
    officer = world.officer(site)
    late = make_hazard(world, client, officer, site)
    very_late = make_hazard(world, client, officer, site)
    on_time = make_hazard(world, client, officer, site)
    backdate_deadline(world, late["id"], 1)
    backdate_deadline(world, very_late["id"], 4)

    with world.session() as s:
        assert refresh_escalations(session=s, settings=settings) == 2
    with world.session() as s:  # a second round changes nothing
        assert refresh_escalations(session=s, settings=settings) == 0

    headers = world.headers(officer)
    levels = {
        h["id"]: (h["overdue"], h["escalation_level"])
        for h in client.get("/api/v1/hazards", headers=headers).json()["items"]
    }
    assert levels == {late["id"]: (True, 1), very_late["id"]: (True, 2), on_time["id"]: (False, 0)}
    overdue = client.get("/api/v1/hazards", params={"overdue": "true"}, headers=headers).json()["items"]
    assert {h["id"] for h in overdue} == {late["id"], very_late["id"]}
    history = client.get(f"/api/v1/hazards/{very_late['id']}", headers=headers).json()["history"]
    assert history[-1]["action"] == "escalate" and history[-1]["to_state"] == "2"


def test_the_server_escalates_on_its_own(world, settings, tmp_path):
    from fastapi.testclient import TestClient

    from server.main import create_app

    site = world.site(world.org())
    officer = world.officer(site)
    hazard = make_hazard(world, world.client, officer, site)
    backdate_deadline(world, hazard["id"], 1)
    import time

    with TestClient(create_app(settings.model_copy(update={"escalation_interval_seconds": 1}))) as client:
        for _ in range(100):
            current = client.get(f"/api/v1/hazards/{hazard['id']}", headers=world.headers(officer)).json()
            if current["escalation_level"] == 1:
                break
            time.sleep(0.05)
    assert current["escalation_level"] == 1


def test_changes_feed_pages_in_order_and_is_scoped(world, client):
    company_a, company_b = world.org(), world.org()
    site_a, site_b = world.site(company_a), world.site(company_b)
    officer = world.officer(site_a, site_b)
    staff_a = world.user("property", company_a)
    mine = [make_hazard(world, client, officer, site_a)["id"] for _ in range(5)]
    make_hazard(world, client, officer, site_b)

    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"since": cursor} if cursor else {})
        page = client.get("/api/v1/sync/changes", params=params, headers=world.headers(staff_a)).json()
        seen += [h["id"] for h in page["hazards"]]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert seen == mine
    empty = client.get("/api/v1/sync/changes", params={"since": cursor}, headers=world.headers(staff_a)).json()
    assert empty["hazards"] == [] and empty["notices"] == [] and empty["cursor"] == cursor

    notice = client.post(
        "/api/v1/notices",
        json={"organization_id": str(company_a.id), "hazard_ids": mine[:2]},
        headers=world.headers(officer),
    ).json()
    after = client.get("/api/v1/sync/changes", params={"since": cursor}, headers=world.headers(staff_a)).json()
    assert sorted(h["id"] for h in after["hazards"]) == sorted(mine[:2])
    assert [n["id"] for n in after["notices"]] == [notice["id"]]
    assert all(h["status"] == "notified" for h in after["hazards"])
    bad = client.get("/api/v1/sync/changes", params={"since": "yesterday"}, headers=world.headers(staff_a))
    assert bad.status_code == 422 and bad.json()["code"] == "bad_cursor"


def test_officer_feed_holds_only_assigned_sites(world, client):
    site_a, site_b = world.site(world.org()), world.site(world.org())
    officer_a, officer_b = world.officer(site_a), world.officer(site_b)
    make_hazard(world, client, officer_a, site_a)
    theirs = make_hazard(world, client, officer_b, site_b)
    feed = client.get("/api/v1/sync/changes", headers=world.headers(officer_a)).json()
    assert theirs["id"] not in {h["id"] for h in feed["hazards"]} and len(feed["hazards"]) == 1
    with world.session() as s:
        assert len(s.exec(select(Hazard)).all()) == 2
