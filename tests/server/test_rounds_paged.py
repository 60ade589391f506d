"""An admin's rounds: a district's or street's sites a page at a time, each row as an officer sees it."""

from __future__ import annotations

from datetime import datetime

from server.sites.models import Site
from tests.server.test_rounds_and_trainings import submit


def move(world, site, district):
    with world.session() as s:
        row = s.get(Site, site.id)
        row.district = district
        s.add(row)
        s.commit()


def all_pages(client, world, user, **params):
    rows, cursor, pages = [], None, 0
    while True:
        query = {"week": "2026-W48", **params} | ({"cursor": cursor} if cursor else {})
        response = client.get("/api/v1/rounds", params=query, headers=world.headers(user))
        assert response.status_code == 200, response.text
        page = response.json()
        rows += page["sites"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return rows, pages


def test_an_admin_pages_through_a_district_or_street_and_sees_what_officers_see(world, client):
    admin = world.admin()
    north = [world.site(name=f"北{i}", street="北陵街道", has_gas=True) for i in range(3)]
    south = [world.site(name=f"南{i}", street="五三街道", has_gas=False) for i in range(2)]
    for site in south:
        move(world, site, "和平区")
    officer = world.officer(*north, visits_per_week=2)
    other = world.officer(north[0])
    # Two inspections on one Shenyang day (different UTC days) are one visit; a third day another.
    submit(world, client, officer, north[0], "gas", datetime.fromisoformat("2026-11-24T07:00:00+08:00"))
    submit(world, client, officer, north[0], "fire", datetime.fromisoformat("2026-11-24T20:00:00+08:00"))
    submit(world, client, other, north[0], "fire", datetime.fromisoformat("2026-11-26T09:00:00+08:00"))
    submit(world, client, officer, north[1], "gas", datetime.fromisoformat("2026-11-22T20:00:00+08:00"))  # W47

    everything, pages = all_pages(client, world, admin, limit=2)
    assert pages == 3
    # (district, name) order: 和平区 sorts before 浑南区 by code point.
    assert [r["site_name"] for r in everything] == ["南0", "南1", "北0", "北1", "北2"]
    first = everything[2]
    assert first["done"] == ["fire", "gas"]
    assert (first["visits"], first["visits_target"]) == (2, 3)  # both officers' days; both officers' targets
    assert everything[3]["done"] == [] and everything[3]["visits"] == 0
    assert "gas" not in everything[0]["due"] and "gas" in first["due"]

    # The officer's own view is unchanged: all their sites, their own visits, no cursor.
    mine = client.get("/api/v1/rounds", params={"week": "2026-W48"}, headers=world.headers(officer)).json()
    assert [r["site_name"] for r in mine["sites"]] == ["北0", "北1", "北2"] and mine["next_cursor"] is None
    assert set(mine["sites"][0]) == set(first)
    assert (mine["sites"][0]["visits"], mine["sites"][0]["visits_target"]) == (1, 2)
    assert mine["sites"][0]["done"] == first["done"] and mine["sites"][0]["due"] == first["due"]

    district, _ = all_pages(client, world, admin, district="和平区")
    assert [r["site_name"] for r in district] == ["南0", "南1"]
    street, _ = all_pages(client, world, admin, street="北陵街道", limit=500)
    assert [r["site_name"] for r in street] == ["北0", "北1", "北2"]


def test_a_broken_rounds_cursor_is_a_sentence_not_a_crash(world, client):
    admin = world.admin()
    response = client.get("/api/v1/rounds", params={"cursor": "not-a-cursor"}, headers=world.headers(admin))
    assert response.status_code == 422 and response.json()["code"] == "bad_cursor"
    assert client.get("/api/v1/rounds", params={"limit": 501}, headers=world.headers(admin)).status_code == 422
