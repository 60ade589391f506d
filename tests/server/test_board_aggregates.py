"""The board's coverage and the map, counted by the database, narrowed to a street."""

from __future__ import annotations

import uuid
from datetime import timedelta

from rulebook import weeks
from server.common import utcnow
from server.hazards.models import Hazard
from tests.server.test_console_pages import raise_hazards
from tests.server.test_rounds_and_trainings import submit


def test_the_map_of_one_street_counts_its_sites_open_and_overdue_hazards(world):
    org = world.org()
    north, south = world.site(org, street="北陵街道"), world.site(org, street="五三街道")
    officer = world.officer(north, south)
    admin = world.admin()
    two = tuple(i.id for i in world.template("gas").items_for(north.profile))[:2]
    late, _on_time = raise_hazards(world, north, officer, fail=two)
    raise_hazards(world, south, officer)
    with world.session() as s:
        hazard = s.get(Hazard, uuid.UUID(late))
        hazard.deadline = utcnow() - timedelta(days=1)
        s.add(hazard)
        s.commit()

    street = world.client.get("/api/v1/map.geojson", params={"street": "北陵街道"}, headers=world.headers(admin)).json()
    [feature] = street["features"]
    props = feature["properties"]
    assert props["site_id"] == str(north.id) and props["street"] == "北陵街道"
    assert (props["open_count"], props["overdue_count"]) == (2, 1)
    late_only = world.client.get("/api/v1/map.geojson", params={"overdue": True}, headers=world.headers(admin)).json()
    assert [f["properties"]["site_id"] for f in late_only["features"]] == [str(north.id)]


def test_the_boards_coverage_for_a_street_counts_complete_sites_and_local_visit_days(world):
    done = world.site(street="北陵街道", has_gas=False, has_elevators=False)
    behind = world.site(street="北陵街道")
    elsewhere = world.site(street="五三街道")
    officer = world.officer(done, behind, elsewhere, visits_per_week=2)
    admin = world.admin()
    settings = world.app.state.settings
    week_start, _ = weeks.week_bounds(weeks.parse_week(weeks.week_of(utcnow(), settings.tz)), settings.tz)
    this_week = max(week_start, utcnow() - timedelta(minutes=1))  # the board's week, whenever the test runs
    due = {
        r["site_id"]: r["due"]
        for r in world.client.get("/api/v1/rounds", headers=world.headers(officer)).json()["sites"]
    }
    for category in due[str(done.id)]:
        submit(world, world.client, officer, done, category, this_week)
    submit(world, world.client, officer, behind, "fire", this_week)

    board = world.client.get("/api/v1/board", params={"street": "北陵街道"}, headers=world.headers(admin)).json()
    assert board["rounds"] == {"sites_complete": 1, "sites": 2, "visits": 2, "visits_target": 4}
    assert board["rounds_by_street"] == {"北陵街道": {"sites_complete": 1, "sites": 2}}
    by_site = {row["site_id"]: row for row in board["rounds_by_site"]}
    assert by_site[str(done.id)]["complete"] and by_site[str(done.id)]["remaining"] == []
    assert not by_site[str(behind.id)]["complete"] and "fire" not in by_site[str(behind.id)]["remaining"]
