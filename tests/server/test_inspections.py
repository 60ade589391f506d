"""Submitting checklist runs: idempotency, validation that names items, hazards raised."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from sqlmodel import select

from server.hazards.models import Hazard
from server.inspections.models import Inspection


def put(client, world, user, body, inspection_id=None):
    inspection_id = inspection_id or uuid.uuid4()
    return client.put(f"/api/v1/inspections/{inspection_id}", json=body, headers=world.headers(user))


def count(world, model):
    with world.session() as s:
        return len(s.exec(select(model)).all())


def test_first_write_201_replay_200_same_body_different_body_409_changes_nothing(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    body = world.inspection_body(site, "gas", fail=(world.template("gas").items_for(site.profile)[0].id,))
    inspection_id = uuid.uuid4()

    first = put(client, world, officer, body, inspection_id)
    assert first.status_code == 201, first.text
    replay = put(client, world, officer, body, inspection_id)
    assert replay.status_code == 200
    assert replay.json() == first.json()

    changed = dict(body, lat=40.0)
    conflict = put(client, world, officer, changed, inspection_id)
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "id_conflict"
    stored = client.get(f"/api/v1/inspections/{inspection_id}", headers=world.headers(officer)).json()
    assert stored["lat"] == body["lat"]
    assert count(world, Inspection) == 1 and count(world, Hazard) == 1


def test_each_failed_item_raises_one_hazard_with_template_severity_and_deadline(world, client):
    org = world.org()
    site = world.site(org)
    officer = world.officer(site)
    template = world.template("fire")
    by_severity = {}
    for item in template.items_for(site.profile):
        by_severity.setdefault(item.severity_on_fail.value, item)
    failing = tuple(item.id for item in by_severity.values())
    # An hour ago in Shenyang: recent enough that no deadline (the nearest is 3 days on) has passed.
    shenyang = timezone(timedelta(hours=8))
    finished = (datetime.now(shenyang) - timedelta(hours=1)).replace(microsecond=0)
    body = world.inspection_body(site, "fire", fail=failing, finished_at=finished)
    inspection_id = uuid.uuid4()
    response = put(client, world, officer, body, inspection_id)
    assert response.status_code == 201, response.text
    expected_ids = {str(uuid.uuid5(inspection_id, item_id)) for item_id in failing}
    assert set(response.json()["hazard_ids"]) == expected_ids

    days = {"red": 3, "yellow": 7, "blue": 15}
    for severity, item in by_severity.items():
        hazard = client.get(
            f"/api/v1/hazards/{uuid.uuid5(inspection_id, item.id)}", headers=world.headers(officer)
        ).json()
        assert hazard["severity"] == severity
        assert hazard["status"] == "open" and hazard["version"] == 1
        assert hazard["organization_id"] == str(org.id)
        assert hazard["item_id"] == item.id
        assert item.prompt.zh in hazard["description"]
        deadline = datetime.fromisoformat(hazard["deadline"]).astimezone(finished.tzinfo)
        assert deadline.date() == finished.date() + timedelta(days=days[severity])
        assert hazard["overdue"] is False


def test_unknown_item_ids_are_named_in_a_422(world, client):
    site = world.site()
    officer = world.officer(site)
    body = world.inspection_body(site, "gas")
    body["answers"].append({"item_id": "gas.flux_capacitor", "result": "pass", "photo_ids": []})
    response = put(client, world, officer, body)
    assert response.status_code == 422
    assert "gas.flux_capacitor" in response.json()["detail"]
    assert response.json()["params"]["items"] == ["gas.flux_capacitor"]
    assert count(world, Inspection) == 0


def test_missing_answers_for_applicable_items_are_named(world, client):
    site = world.site()
    officer = world.officer(site)
    body = world.inspection_body(site, "electricity")
    dropped = [body["answers"].pop(0)["item_id"], body["answers"].pop(0)["item_id"]]
    response = put(client, world, officer, body)
    assert response.status_code == 422
    assert response.json()["code"] == "missing_answers"
    for item_id in dropped:
        assert item_id in response.json()["detail"]


def test_items_that_do_not_apply_to_the_site_need_no_answer(world, client):
    site = world.site(has_gas=False)
    officer = world.officer(site)
    template = world.template("gas")
    conditional = [i for i in template.items if i.applies_if.get("has_gas")]
    assert conditional, "the gas checklist has items only for sites with gas"
    body = world.inspection_body(site, "gas")
    assert not {a["item_id"] for a in body["answers"]} & {i.id for i in conditional}
    if not body["answers"]:  # every gas item is conditional: answer one unconditional-looking item as n.a.
        body["answers"] = [{"item_id": conditional[0].id, "result": "na", "photo_ids": []}]
    assert put(client, world, officer, body).status_code == 201


def test_failed_item_without_required_photo_is_refused_naming_it(world, client):
    site = world.site()
    officer = world.officer(site)
    item = next(i for i in world.template("ebike").items_for(site.profile) if i.photo_required_on_fail)
    body = world.inspection_body(site, "ebike", fail=(item.id,), photo=False)
    response = put(client, world, officer, body)
    assert response.status_code == 422
    assert response.json()["code"] == "photo_required"
    assert item.id in response.json()["detail"]
    assert count(world, Hazard) == 0


def test_unknown_template_version_and_bad_result_are_clear_422s(world, client):
    site = world.site()
    officer = world.officer(site)
    body = world.inspection_body(site, "gas", template_version=99)
    response = put(client, world, officer, body)
    assert response.status_code == 422 and "version 99" in response.json()["detail"]

    body = world.inspection_body(site, "gas")
    body["answers"][0]["result"] = "maybe"
    response = put(client, world, officer, body)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert "answers.0.result" in response.json()["detail"]


def test_officer_cannot_submit_for_a_site_not_assigned(world, client):
    mine, theirs = world.site(), world.site()
    officer = world.officer(mine)
    response = put(client, world, officer, world.inspection_body(theirs, "gas"))
    assert response.status_code == 422 and response.json()["code"] == "unknown_site"


def test_property_user_cannot_submit_inspections(world, client):
    org = world.org()
    site = world.site(org)
    staff = world.user("property", org)
    response = put(client, world, staff, world.inspection_body(site, "gas"))
    assert response.status_code == 403
    assert "officer" in response.json()["detail"]


def test_list_inspections_filters_and_pages(world, client):
    site_a, site_b = world.site(), world.site()
    officer = world.officer(site_a, site_b)
    for site, category in ((site_a, "gas"), (site_a, "fire"), (site_b, "gas")):
        assert put(client, world, officer, world.inspection_body(site, category)).status_code == 201
    headers = world.headers(officer)
    only_gas = client.get("/api/v1/inspections", params={"category": "gas"}, headers=headers).json()
    assert {i["site_id"] for i in only_gas["items"]} == {str(site_a.id), str(site_b.id)}
    page1 = client.get("/api/v1/inspections", params={"limit": 2}, headers=headers).json()
    assert len(page1["items"]) == 2 and page1["next_cursor"]
    page2 = client.get(
        "/api/v1/inspections", params={"limit": 2, "cursor": page1["next_cursor"]}, headers=headers
    ).json()
    assert len(page2["items"]) == 1 and page2["next_cursor"] is None
    seen = {i["id"] for i in page1["items"] + page2["items"]}
    assert len(seen) == 3
