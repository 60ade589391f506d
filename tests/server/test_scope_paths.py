"""Scope on every path: notices never span sites, replays look missing outside one's scope."""

from __future__ import annotations

import uuid

from sqlmodel import select

from server.hazards.models import Hazard
from server.notices.models import NoticeHazard
from tests.server.test_remediation import raise_hazard

API = "/api/v1"


def test_a_notice_never_spans_two_sites(world, client):
    company = world.org()
    site_a, site_b = world.site(company), world.site(company)
    officer = world.officer(site_a, site_b)
    ha, hb = raise_hazard(world, client, officer, site_a), raise_hazard(world, client, officer, site_b)
    r = client.post(
        f"{API}/notices",
        json={"organization_id": str(company.id), "hazard_ids": [ha, hb]},
        headers=world.headers(officer),
    )
    assert r.status_code == 422
    assert r.json()["code"] == "notice_one_site"


def test_an_old_notice_spanning_sites_is_hidden_from_an_officer_of_only_one(world, client):
    company = world.org()
    site_a, site_b = world.site(company), world.site(company)
    both = world.officer(site_a, site_b)
    only_a = world.officer(site_a)
    ha, hb = raise_hazard(world, client, both, site_a), raise_hazard(world, client, both, site_b)
    r = client.post(
        f"{API}/notices", json={"organization_id": str(company.id), "hazard_ids": [ha]}, headers=world.headers(both)
    )
    notice_id = r.json()["id"]
    with world.session() as s:  # a notice written before the one-site rule: add the other site's hazard
        s.add(NoticeHazard(notice_id=uuid.UUID(notice_id), hazard_id=uuid.UUID(hb)))
        s.commit()
    for path in (f"/notices/{notice_id}", f"/notices/{notice_id}.pdf"):
        assert client.get(API + path, headers=world.headers(only_a)).status_code == 404
    listed = client.get(f"{API}/notices", headers=world.headers(only_a)).json()
    items = listed["items"] if isinstance(listed, dict) else listed
    assert notice_id not in {n["id"] for n in items}
    feed = client.get(f"{API}/sync/changes", headers=world.headers(only_a)).json()
    assert notice_id not in {n["id"] for n in feed["notices"]}
    assert client.get(f"{API}/notices/{notice_id}", headers=world.headers(both)).status_code == 200


def test_replaying_another_officers_inspection_looks_missing(world, client):
    site_a, site_b = world.site(), world.site()
    mine, other = world.officer(site_a), world.officer(site_b)
    inspection_id = uuid.uuid4()
    body = world.inspection_body(site_a, officer=mine)
    assert client.put(f"{API}/inspections/{inspection_id}", json=body, headers=world.headers(mine)).status_code == 201
    replay = client.put(f"{API}/inspections/{inspection_id}", json=body, headers=world.headers(other))
    assert replay.status_code == 404
    different = client.put(
        f"{API}/inspections/{inspection_id}", json={**body, "lat": 1.0}, headers=world.headers(other)
    )
    assert different.status_code == 404  # not 409: that would say the id exists


def test_replaying_another_sites_transition_looks_missing(world, client):
    site_a, site_b = world.site(world.org()), world.site()
    mine, other = world.officer(site_a), world.officer(site_b)
    hazard_id = raise_hazard(world, client, mine, site_a)
    with world.session() as s:
        version = s.exec(select(Hazard.version).where(Hazard.id == uuid.UUID(hazard_id))).one()
    transition_id = uuid.uuid4()
    body = {"action": "cancel", "base_version": version, "note": "重复上报"}
    url = f"{API}/hazards/{hazard_id}/transitions/{transition_id}"
    assert client.put(url, json=body, headers=world.headers(mine)).status_code == 201
    assert client.put(url, json=body, headers=world.headers(other)).status_code == 404


def test_replaying_another_sites_hazard_and_training_looks_missing(world, client):
    site_a, site_b = world.site(), world.site()
    mine, other = world.officer(site_a), world.officer(site_b)
    hazard = {"site_id": str(site_a.id), "category": "gas", "severity": "red", "description": "燃气管老化"}
    hazard_id = uuid.uuid4()
    assert client.put(f"{API}/hazards/{hazard_id}", json=hazard, headers=world.headers(mine)).status_code == 201
    assert client.put(f"{API}/hazards/{hazard_id}", json=hazard, headers=world.headers(other)).status_code == 404
    training = {
        "site_id": str(site_a.id),
        "held_at": "2026-11-20T10:00:00+08:00",
        "topics": ["gas"],
        "trainer": "张伟",
        "attendee_count": 20,
        "duration_minutes": 45,
    }
    training_id = uuid.uuid4()
    assert client.put(f"{API}/trainings/{training_id}", json=training, headers=world.headers(mine)).status_code == 201
    assert client.put(f"{API}/trainings/{training_id}", json=training, headers=world.headers(other)).status_code == 404


def walk(client, path, headers, limit):
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        r = client.get(f"{API}{path}", params=params, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"items", "next_cursor"}
        assert len(body["items"]) <= limit
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            return seen, pages


def test_every_list_pages_with_limit_and_cursor_and_reaches_every_item(world, client):
    company = world.org()
    sites = [world.site(company) for _ in range(5)]
    officer = world.officer(*sites)
    admin = world.admin()
    for site in sites:
        body = {
            "site_id": str(site.id),
            "held_at": "2026-11-20T10:00:00+08:00",
            "topics": ["gas"],
            "trainer": "张伟",
            "attendee_count": 10,
            "duration_minutes": 30,
        }
        assert (
            client.put(f"{API}/trainings/{uuid.uuid4()}", json=body, headers=world.headers(officer)).status_code == 201
        )
        hazard_id = raise_hazard(world, client, officer, site)
        notice = {"organization_id": str(company.id), "hazard_ids": [hazard_id]}
        assert client.post(f"{API}/notices", json=notice, headers=world.headers(officer)).status_code == 201
    for path, who, expected in [
        ("/sites", officer, 5),
        ("/trainings", officer, 5),
        ("/notices", officer, 5),
        ("/users", admin, None),
        ("/organizations", admin, None),
        ("/assignments", admin, 5),
    ]:
        everything, _ = walk(client, path, world.headers(who), 500)
        paged, pages = walk(client, path, world.headers(who), 2)
        assert paged == everything and len(set(paged)) == len(paged), path
        if expected is not None:
            assert len(everything) == expected, path
        assert pages == max(1, -(-len(everything) // 2)), path  # no empty last page


def test_limits_over_500_and_foreign_cursors_are_422(world, client):
    h = world.headers(world.admin())
    assert client.get(f"{API}/sites", params={"limit": 501}, headers=h).status_code == 422
    r = client.get(f"{API}/notices", params={"cursor": "not-a-cursor"}, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "bad_cursor"
