"""Revisits (回访): a closed red hazard is due for a look N days after its close — still fixed, or reopened."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import select

from server.audit.models import AuditEvent
from server.common import utcnow
from server.hazards.models import Hazard
from server.revisits.models import Revisit
from tests.server.test_console_pages import browser_sign_in


def red_item(world, site, category="gas"):
    return next(i for i in world.template(category).items_for(site.profile) if i.severity_on_fail.value == "red")


def closed_red_hazard(world, client, officer, site):
    item = red_item(world, site)
    body = world.inspection_body(site, "gas", fail=(item.id,), officer=officer)
    response = client.put(f"/api/v1/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer))
    assert response.status_code == 201, response.text
    hazard_id = response.json()["hazard_ids"][0]
    fixed = client.put(
        f"/api/v1/hazards/{hazard_id}/transitions/{uuid.uuid4()}",
        json={"action": "fix_on_spot", "base_version": 1, "photo_ids": [world.photo(officer, "verification")]},
        headers=world.headers(officer),
    )
    assert fixed.status_code == 201 and fixed.json()["status"] == "closed", fixed.text
    return hazard_id


def days_pass(world, days):
    """As if `days` had passed: every revisit's close and due day move that far back."""
    with world.session() as s:
        for row in s.exec(select(Revisit)).all():
            row.closed_at -= timedelta(days=days)
            row.due_on -= timedelta(days=days)
            s.add(row)
        s.commit()


def due(client, world, user):
    response = client.get("/api/v1/revisits?status=due", headers=world.headers(user))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_closed_red_hazard_is_due_for_revisit_after_n_days_not_before_and_confirmed_is_done(world, client, settings):
    site = world.site(world.org(), name="富民社区")
    officer = world.officer(site)
    hazard_id = closed_red_hazard(world, client, officer, site)
    with world.session() as s:
        (row,) = s.exec(select(Revisit)).all()
        hazard = s.get(Hazard, uuid.UUID(hazard_id))
        assert row.hazard_id == hazard.id and row.status == "due"
        assert row.due_on == hazard.closed_at.astimezone(settings.tz).date() + timedelta(days=30)
    assert due(client, world, officer) == []
    early = client.post(f"/api/v1/revisits/{row.id}", json={"outcome": "confirmed"}, headers=world.headers(officer))
    assert early.status_code == 409 and early.json()["code"] == "revisit_not_due"

    days_pass(world, 29)
    assert due(client, world, officer) == []
    days_pass(world, 1)
    (item,) = due(client, world, officer)
    assert item["hazard_id"] == hazard_id and item["site_name"] == "富民社区" and item["severity"] == "red"

    answer = client.post(
        f"/api/v1/revisits/{item['id']}",
        json={"outcome": "confirmed", "note": "仍然完好"},
        headers=world.headers(officer),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "confirmed" and answer.json()["answered_by"] == str(officer.id)
    assert due(client, world, officer) == []
    done = client.get("/api/v1/revisits?status=confirmed", headers=world.headers(officer)).json()["items"]
    assert [d["id"] for d in done] == [item["id"]]
    again = client.post(f"/api/v1/revisits/{item['id']}", json={"outcome": "confirmed"}, headers=world.headers(officer))
    assert again.status_code == 200 and again.json()["note"] == "仍然完好"  # the outbox retrying changes nothing
    other = client.post(
        f"/api/v1/revisits/{item['id']}",
        json={"outcome": "reopen", "photo_id": world.photo(officer, "problem")},
        headers=world.headers(officer),
    )
    assert other.status_code == 409 and other.json()["code"] == "revisit_answered"
    hazard = client.get(f"/api/v1/hazards/{hazard_id}", headers=world.headers(officer)).json()
    assert hazard["status"] == "closed"


def test_reopen_needs_a_photo_and_puts_the_hazard_back_to_rectifying_with_history(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    hazard_id = closed_red_hazard(world, client, officer, site)
    days_pass(world, 30)
    (item,) = due(client, world, officer)

    no_photo = client.post(f"/api/v1/revisits/{item['id']}", json={"outcome": "reopen"}, headers=world.headers(officer))
    assert no_photo.status_code == 422 and no_photo.json()["code"] == "revisit_photo_required"
    assert "photo" in no_photo.json()["detail"]
    assert client.get(f"/api/v1/hazards/{hazard_id}", headers=world.headers(officer)).json()["status"] == "closed"

    photo = world.photo(officer, "problem")
    reopened = client.post(
        f"/api/v1/revisits/{item['id']}",
        json={"outcome": "reopen", "photo_id": photo, "note": "软管又老化了"},
        headers=world.headers(officer),
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "reopened" and reopened.json()["hazard_status"] == "rectifying"
    detail = client.get(f"/api/v1/hazards/{hazard_id}", headers=world.headers(officer)).json()
    assert detail["status"] == "rectifying"
    assert [h["action"] for h in detail["history"]] == ["raise", "fix_on_spot", "reopen"]
    assert detail["history"][-1]["note"] == "软管又老化了"
    assert photo in [p for kind in detail["photos"].values() for p in kind]
    assert due(client, world, officer) == []
    with world.session() as s:
        actions = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.target_id == hazard_id)).all()]
    assert actions[-2:] == ["reopen", "revisit"]


def test_other_officers_revisits_are_404_and_not_listed(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    stranger = world.officer(world.site())
    closed_red_hazard(world, client, officer, site)
    days_pass(world, 30)
    (item,) = due(client, world, officer)
    assert due(client, world, stranger) == []
    response = client.post(
        f"/api/v1/revisits/{item['id']}", json={"outcome": "confirmed"}, headers=world.headers(stranger)
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    missing = client.post(
        f"/api/v1/revisits/{uuid.uuid4()}", json={"outcome": "confirmed"}, headers=world.headers(stranger)
    )
    assert missing.status_code == 404 and missing.json() == response.json()
    assert due(client, world, officer)[0]["status"] == "due"


def test_only_red_hazards_are_revisited(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    item = next(i for i in world.template("gas").items_for(site.profile) if i.severity_on_fail.value != "red")
    body = world.inspection_body(site, "gas", fail=(item.id,), officer=officer)
    hazard_id = client.put(f"/api/v1/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer)).json()[
        "hazard_ids"
    ][0]
    fixed = client.put(
        f"/api/v1/hazards/{hazard_id}/transitions/{uuid.uuid4()}",
        json={"action": "fix_on_spot", "base_version": 1, "photo_ids": [world.photo(officer, "verification")]},
        headers=world.headers(officer),
    )
    assert fixed.json()["status"] == "closed"
    with world.session() as s:
        assert s.exec(select(Revisit)).all() == []


def test_the_board_counts_joint_inspections_and_revisits_due_and_done(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    admin = world.admin()
    body = world.inspection_body(site, "fire", participants=[{"unit": "building", "name": "孙工"}])
    assert (
        client.put(f"/api/v1/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer)).status_code == 201
    )
    closed_red_hazard(world, client, officer, site)
    board = client.get("/api/v1/board", headers=world.headers(admin)).json()
    assert board["joint_inspections_week"] == 1  # the red hazard's own inspection names nobody
    assert board["revisits"] == {"due": 0, "done_week": 0}
    days_pass(world, 30)
    assert client.get("/api/v1/board", headers=world.headers(admin)).json()["revisits"] == {"due": 1, "done_week": 0}
    (item,) = due(client, world, officer)
    client.post(f"/api/v1/revisits/{item['id']}", json={"outcome": "confirmed"}, headers=world.headers(officer))
    assert client.get("/api/v1/board", headers=world.headers(admin)).json()["revisits"] == {"due": 0, "done_week": 1}
    elsewhere = world.officer(world.site())
    assert client.get("/api/v1/board", headers=world.headers(elsewhere)).json()["revisits"] == {
        "due": 0,
        "done_week": 0,
    }
    browser_sign_in(client, admin.username)
    html = client.get("/board/fragment").text
    assert 'data-figure="joint">1<' in html and 'data-figure="revisits-done">1<' in html


def test_the_report_counts_revisits_done_and_due_and_joint_inspections(world, client, settings):
    site = world.site(world.org())
    officer = world.officer(site)
    admin = world.admin()
    closed_red_hazard(world, client, officer, site)
    body = world.inspection_body(site, "fire", participants=[{"unit": "housing", "name": "周科长"}])
    assert (
        client.put(f"/api/v1/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer)).status_code == 201
    )
    days_pass(world, 30)
    (item,) = due(client, world, officer)
    assert (
        client.post(
            f"/api/v1/revisits/{item['id']}", json={"outcome": "confirmed"}, headers=world.headers(officer)
        ).status_code
        == 200
    )
    today = utcnow().astimezone(settings.tz).date()
    month = f"{today.year}-{today.month:02d}"
    figures = client.get(f"/api/v1/reports/{month}", headers=world.headers(admin)).json()["figures"]
    assert figures["joint_inspections"]["value"] == 1
    assert figures["revisits_done"]["value"] == 1 and figures["revisits_confirmed"]["value"] == 1
    assert figures["revisits_due"]["value"] == 1  # it fell due today, in this month
