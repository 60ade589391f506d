"""Every input answers 4xx or 2xx, never 500, and a refused write leaves nothing behind."""

from __future__ import annotations

import uuid

import pytest

API = "/api/v1"


def test_null_profile_in_site_patch_is_refused_and_saves_nothing(world):
    admin = world.admin()
    site = world.site(name="原名社区")
    h = world.headers(admin)
    r = world.client.patch(f"{API}/sites/{site.id}", json={"name": "新名", "profile": None}, headers=h)
    assert r.status_code == 422
    assert r.json()["params"]["errors"][0]["type"] == "null_not_allowed"
    assert "profile" in r.json()["detail"]
    assert world.client.get(f"{API}/sites/{site.id}", headers=h).json()["name"] == "原名社区"
    assert world.client.get(f"{API}/sites", headers=h).status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/me", {"display_name": None}),
        ("/me", {"language": None}),
        ("/users/{user}", {"role": None}),
        ("/users/{user}", {"password": None}),
        ("/users/{user}", {"is_active": None}),
        ("/sites/{site}", {"kind": None}),
        ("/sites/{site}", {"street": None}),
        ("/organizations/{org}", {"name": None}),
    ],
)
def test_explicit_null_on_a_required_field_is_422(world, path, body):
    admin = world.admin()
    org = world.org()
    site = world.site(org)
    officer = world.officer(site)
    url = API + path.format(user=officer.id, site=site.id, org=org.id)
    r = world.client.patch(url, json=body, headers=world.headers(admin))
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid_request"
    assert "null" in r.json()["detail"]


def test_null_clears_a_field_that_may_be_empty(world):
    admin = world.admin()
    site = world.site()
    r = world.client.patch(f"{API}/sites/{site.id}", json={"lat": None, "lon": None}, headers=world.headers(admin))
    assert r.status_code == 200, r.text
    assert r.json()["lat"] is None


@pytest.mark.parametrize("since", ["2024-01-01", "2024-01-01T00:00:00"])
@pytest.mark.parametrize("path", ["/inspections", "/notices", "/trainings"])
def test_naive_datetime_in_query_is_422_saying_it_needs_an_offset(world, path, since):
    admin = world.admin()
    r = world.client.get(f"{API}{path}", params={"since": since}, headers=world.headers(admin))
    assert r.status_code == 422, r.text
    assert "offset" in r.json()["detail"]


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00"])
def test_dates_at_the_calendar_edges_are_422(world, since):
    r = world.client.get(f"{API}/inspections", params={"since": since}, headers=world.headers(world.admin()))
    assert r.status_code == 422
    assert "2000" in r.json()["detail"]


def test_notice_deadline_far_in_the_future_is_422(world):
    org = world.org()
    site = world.site(org)
    officer = world.officer(site)
    body = {"organization_id": str(org.id), "hazard_ids": [str(uuid.uuid4())], "deadline": "9999-12-31T00:00:00+00:00"}
    r = world.client.post(f"{API}/notices", json=body, headers=world.headers(officer))
    assert r.status_code == 422


@pytest.mark.parametrize("value", [2**31, 2**63, 10**30, -(2**40)])
def test_integers_that_do_not_fit_a_column_are_422(world, value):
    site = world.site()
    officer = world.officer(site)
    body = world.inspection_body(site, template_version=value)
    r = world.client.put(f"{API}/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer))
    assert r.status_code == 422, r.text


def test_huge_sync_cursor_is_422(world):
    r = world.client.get(f"{API}/sync/changes", params={"since": str(10**30)}, headers=world.headers(world.admin()))
    assert r.status_code == 422


@pytest.mark.parametrize("text", ["a\x00b", "bell\x07", "esc\x1b[0m", "del\x7f"])
def test_control_characters_in_text_fields_are_422(world, text):
    admin = world.admin()
    r = world.client.post(f"{API}/organizations", json={"name": text, "kind": "property"}, headers=world.headers(admin))
    assert r.status_code == 422, r.text
    assert "control character" in r.json()["detail"]


def test_control_characters_deep_in_a_body_name_their_field(world):
    site = world.site()
    officer = world.officer(site)
    body = world.inspection_body(site)
    body["answers"][0]["note"] = "坏\x00字符"
    r = world.client.put(f"{API}/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer))
    assert r.status_code == 422
    assert r.json()["params"]["errors"][0]["field"] == "answers.0.note"


def test_newlines_and_tabs_are_kept_in_notes(world):
    site = world.site()
    officer = world.officer(site)
    body = world.inspection_body(site)
    body["answers"][0]["note"] = "第一行\n第二行\t完"
    r = world.client.put(f"{API}/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer))
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("query", ["category=gas%00", "status=open%01"])
def test_control_characters_in_query_strings_are_422(world, query):
    r = world.client.get(f"{API}/hazards?{query}", headers=world.headers(world.admin()))
    assert r.status_code == 422
    assert r.json()["code"] == "control_character_in_query"


@pytest.mark.parametrize("username", ["adm\x00in", "x" * 5000])
def test_hostile_sign_in_usernames_answer_4xx(world, username):
    r = world.client.post(f"{API}/auth/token", data={"username": username, "password": "whatever-123"})
    assert 400 <= r.status_code < 500, r.text


def test_hazard_id_already_taken_when_an_inspection_raises_it_is_409(world):
    from rulebook.hazards import hazard_id_for

    site = world.site()
    officer = world.officer(site)
    inspection_id = uuid.uuid4()
    item = world.template("gas").items_for(site.profile)[0].id
    taken = hazard_id_for(inspection_id, item)
    r = world.client.put(
        f"{API}/hazards/{taken}",
        json={"site_id": str(site.id), "category": "gas", "severity": "red", "description": "先报的隐患"},
        headers=world.headers(officer),
    )
    assert r.status_code == 201, r.text
    body = world.inspection_body(site, fail=(item,))
    r = world.client.put(f"{API}/inspections/{inspection_id}", json=body, headers=world.headers(officer))
    assert r.status_code == 409, r.text
    assert world.client.get(f"{API}/inspections/{inspection_id}", headers=world.headers(officer)).status_code == 404


@pytest.mark.parametrize("taken_at", ["0001-01-01T00:00:00", "9999-12-31T23:59:59+00:00"])
def test_photo_times_at_the_calendar_edges_are_422(world, taken_at):
    from tests.factories import small_jpeg

    officer = world.officer(world.site())
    r = world.client.put(
        f"{API}/photos/{uuid.uuid4()}",
        headers=world.headers(officer),
        files={"file": ("p.jpg", small_jpeg(), "image/jpeg")},
        data={"kind": "scene", "taken_at": taken_at},
    )
    assert r.status_code == 422, r.text
