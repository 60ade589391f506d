"""One way in for each state change, one table for a hazard's history, one relation for its photos."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import func, select

from server.audit.models import AuditEvent
from server.common import utcnow
from server.hazards.escalation import refresh_escalations
from server.hazards.models import Hazard, HazardTransition


def raise_hazard(world, client, officer, site):
    item = world.template("gas").items_for(site.profile)[0]
    body = world.inspection_body(site, "gas", fail=(item.id,), officer=officer)
    response = client.put(f"/api/v1/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer))
    assert response.status_code == 201, response.text
    return response.json()["hazard_ids"][0]


def written_for(world, hazard_id):
    """What the database holds about a hazard: (version, status, history rows, audit events)."""
    with world.session() as s:
        hazard = s.get(Hazard, uuid.UUID(hazard_id))
        steps = s.exec(
            select(func.count()).select_from(HazardTransition).where(HazardTransition.hazard_id == hazard.id)
        ).one()
        events = s.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.target_type == "hazard", AuditEvent.target_id == hazard_id)
        ).one()
        return hazard.version, hazard.status, steps, events


def test_notify_and_acknowledge_as_transitions_are_refused_pointing_to_notices_and_write_nothing(world, client):
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    staff = world.user("property", company)
    hazard_id = raise_hazard(world, client, officer, site)
    before = written_for(world, hazard_id)

    transition_id = uuid.uuid4()
    notify = client.put(
        f"/api/v1/hazards/{hazard_id}/transitions/{transition_id}",
        json={"action": "notify", "base_version": 1},
        headers=world.headers(officer),
    )
    assert notify.status_code == 409 and notify.json()["code"] == "use_notices"
    assert "POST /notices" in notify.json()["detail"]
    assert written_for(world, hazard_id) == before

    notice = client.post(
        "/api/v1/notices",
        json={"organization_id": str(company.id), "hazard_ids": [hazard_id]},
        headers=world.headers(officer),
    ).json()
    hazard = client.get(f"/api/v1/hazards/{hazard_id}", headers=world.headers(staff)).json()
    assert hazard["status"] == "notified" and hazard["notice_id"] == notice["id"]
    before = written_for(world, hazard_id)
    ack = client.put(
        f"/api/v1/hazards/{hazard_id}/transitions/{uuid.uuid4()}",
        json={"action": "acknowledge", "base_version": hazard["version"]},
        headers=world.headers(staff),
    )
    assert ack.status_code == 409 and ack.json()["code"] == "use_notices"
    assert "/acknowledge" in ack.json()["detail"] and "notice_id" in ack.json()["detail"]
    assert written_for(world, hazard_id) == before
    assert client.get(f"/api/v1/notices/{notice['id']}", headers=world.headers(staff)).json()["acknowledged_at"] is None

    # The refused id was not used up: the same transition id can carry a step that is taken here.
    cancel = client.put(
        f"/api/v1/hazards/{hazard_id}/transitions/{transition_id}",
        json={"action": "cancel", "base_version": hazard["version"], "note": "重复上报"},
        headers=world.headers(officer),
    )
    assert cancel.status_code == 201 and cancel.json()["status"] == "cancelled"


def test_history_is_every_step_from_one_table_including_those_notices_and_the_server_take(world, client, settings):
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    staff = world.user("property", company)
    hazard_id = raise_hazard(world, client, officer, site)
    hazard = client.get(f"/api/v1/hazards/{hazard_id}", headers=world.headers(officer)).json()
    assert hazard["notice_id"] is None

    notice = client.post(
        "/api/v1/notices",
        json={"organization_id": str(company.id), "hazard_ids": [hazard_id]},
        headers=world.headers(officer),
    ).json()
    acked = client.post(f"/api/v1/notices/{notice['id']}/acknowledge", headers=world.headers(staff))
    assert acked.status_code == 200
    again = client.post(f"/api/v1/notices/{notice['id']}/acknowledge", headers=world.headers(staff))
    assert again.status_code == 200 and again.json()["acknowledged_at"] == acked.json()["acknowledged_at"]
    with world.session() as s:  # the deadline passes
        row = s.get(Hazard, uuid.UUID(hazard_id))
        row.deadline = utcnow() - timedelta(hours=1)
        s.add(row)
        s.commit()
    with world.session() as s:
        assert refresh_escalations(session=s, settings=settings) == 1

    detail = client.get(f"/api/v1/hazards/{hazard_id}", headers=world.headers(staff)).json()
    assert detail["status"] == "rectifying" and detail["notice_id"] == notice["id"]
    steps = [(h["action"], h["from_state"], h["to_state"], h["actor_id"]) for h in detail["history"]]
    assert steps == [
        ("raise", None, "open", str(officer.id)),
        ("notify", "open", "notified", str(officer.id)),
        ("acknowledge", "notified", "rectifying", str(staff.id)),
        ("escalate", "0", "1", None),
    ]
    assert detail["history"][1]["note"] == notice["number"] == detail["history"][2]["note"]
    assert detail["history"][2]["actor_name"] == staff.username
    with world.session() as s:  # read from hazard_transition: one row per step, nothing else
        assert (
            s.exec(
                select(func.count())
                .select_from(HazardTransition)
                .where(HazardTransition.hazard_id == uuid.UUID(hazard_id))
            ).one()
            == 4
        )


def test_photo_ids_are_the_linked_before_photos_in_order_and_evidence_shows_by_kind(world, client):
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    problem, scene = world.photo(officer, kind="problem"), world.photo(officer, kind="scene")
    hazard_id = str(uuid.uuid4())
    reported = client.put(
        f"/api/v1/hazards/{hazard_id}",
        headers=world.headers(officer),
        json={
            "site_id": str(site.id),
            "category": "fire",
            "severity": "yellow",
            "description": "消防通道堆放杂物",
            "photo_ids": [scene, problem],
        },
    )
    assert reported.status_code == 201 and reported.json()["photo_ids"] == [scene, problem]
    notice = client.post(
        "/api/v1/notices",
        json={"organization_id": str(company.id), "hazard_ids": [hazard_id]},
        headers=world.headers(officer),
    )
    assert notice.status_code == 201
    evidence = world.photo(officer, kind="rectification")
    moved = client.put(
        f"/api/v1/hazards/{hazard_id}/transitions/{uuid.uuid4()}",
        headers=world.headers(officer),
        json={"action": "submit_evidence", "base_version": 2, "photo_ids": [evidence]},
    )
    assert moved.status_code == 201 and moved.json()["photo_ids"] == [scene, problem]
    listed = client.get("/api/v1/hazards", headers=world.headers(officer)).json()["items"]
    assert [h["photo_ids"] for h in listed if h["id"] == hazard_id] == [[scene, problem]]
    detail = client.get(f"/api/v1/hazards/{hazard_id}", headers=world.headers(officer)).json()
    assert detail["photos"] == {"scene": [scene], "problem": [problem], "rectification": [evidence]}
    assert detail["history"][-1]["photo_ids"] == [evidence]
