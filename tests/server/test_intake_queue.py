"""The one intake queue: grid workers report, the officer accepts / merges / declines, the reporter answers
"fixed / not fixed" after the hazard closes; every hazard says where it came from. Both databases."""

from __future__ import annotations

import uuid
from datetime import timedelta

from server.common import utcnow
from server.intake.models import IntakeReport
from tests.server.test_remediation import raise_hazard, step

API = "/api/v1"


def file_report(world, client, worker, site, photos=1, **extra):
    body = {
        "site_id": str(site.id),
        "category": "fire",
        "description": "3号楼楼道堆放杂物，堵塞疏散通道",
        "photo_ids": [world.photo(worker, "problem") for _ in range(photos)],
        "lat": 41.74,
        "lon": 123.45,
        **extra,
    }
    report_id = str(uuid.uuid4())
    response = client.put(f"{API}/intake/reports/{report_id}", json=body, headers=world.headers(worker))
    assert response.status_code == 201, response.text
    return response.json(), body


def close_through_notice(world, client, officer, staff, company, hazard_id):
    """Notice → acknowledge → evidence → verify: the hazard closes."""
    notice = client.post(
        f"{API}/notices",
        json={"organization_id": str(company.id), "hazard_ids": [hazard_id]},
        headers=world.headers(officer),
    ).json()
    assert client.post(f"{API}/notices/{notice['id']}/acknowledge", headers=world.headers(staff)).status_code == 200
    hazard = client.get(f"{API}/hazards/{hazard_id}", headers=world.headers(staff)).json()
    hazard = step(
        world,
        client,
        staff,
        hazard,
        "submit_evidence",
        note="杂物已清理",
        photo_ids=[world.photo(staff, "rectification")],
    )
    hazard = step(world, client, officer, hazard, "verify", photo_ids=[world.photo(officer, "verification")])
    assert hazard["status"] == "closed"
    return hazard


def test_grid_worker_report_becomes_a_hazard_closes_and_not_fixed_reopens_it(world, client):
    company = world.org()
    site = world.site(company, name="富民社区")
    officer = world.officer(site)
    staff = world.user("property", company)
    worker = world.gridworker(site)

    report, body = file_report(world, client, worker, site, photos=2)
    assert report["status"] == "pending" and report["kind"] == "report" and report["source"] == "gridworker"
    assert report["site_name"] == "富民社区" and len(report["photo_ids"]) == 2 and report["overdue"] is False
    url = f"{API}/intake/reports/{report['id']}"
    replay = client.put(url, json=body, headers=world.headers(worker))
    assert replay.status_code == 200 and replay.json()["id"] == report["id"]
    other = client.put(url, json={**body, "description": "别的内容"}, headers=world.headers(worker))
    assert other.status_code == 409

    queue = client.get(f"{API}/intake/reports?status=pending", headers=world.headers(officer)).json()
    assert [r["id"] for r in queue["items"]] == [report["id"]]
    # The officer sees the report's photos before accepting it.
    assert client.get(f"{API}/photos/{report['photo_ids'][0]}", headers=world.headers(officer)).status_code == 200

    accepted = client.post(f"{url}/accept", json={"severity": "yellow"}, headers=world.headers(officer))
    assert accepted.status_code == 200, accepted.text
    accepted = accepted.json()
    assert accepted["status"] == "accepted" and accepted["hazard_status"] == "open"
    hazard_id = accepted["hazard_id"]
    hazard = client.get(f"{API}/hazards/{hazard_id}", headers=world.headers(officer)).json()
    assert hazard["source"] == "gridworker" and hazard["severity"] == "yellow"
    assert sorted(hazard["photo_ids"]) == sorted(report["photo_ids"])
    assert hazard["description"] == body["description"]
    again = client.post(f"{url}/accept", json={"severity": "red"}, headers=world.headers(officer))
    assert again.status_code == 409 and again.json()["code"] == "intake_not_pending"
    assert "handled already" in again.json()["detail"]

    # Before it closes, the reporter cannot answer.
    early = client.post(f"{url}/revisit", json={"fixed": False}, headers=world.headers(worker))
    assert early.status_code == 409 and early.json()["code"] == "revisit_not_open"

    close_through_notice(world, client, officer, staff, company, hazard_id)
    mine = client.get(url, headers=world.headers(worker)).json()
    assert mine["hazard_status"] == "closed" and mine["revisit_until"] and mine["revisit_answer"] is None

    # Only the reporter answers; the officer of the site may not answer for them.
    assert client.post(f"{url}/revisit", json={"fixed": True}, headers=world.headers(officer)).status_code == 403
    answered = client.post(f"{url}/revisit", json={"fixed": False, "note": "又堆上了"}, headers=world.headers(worker))
    assert answered.status_code == 200, answered.text
    assert answered.json()["revisit_answer"] == "not_fixed"
    twice = client.post(f"{url}/revisit", json={"fixed": True}, headers=world.headers(worker))
    assert twice.status_code == 409

    reopen = client.get(f"{API}/intake/reports?kind=reopen_request", headers=world.headers(officer)).json()["items"]
    assert len(reopen) == 1 and reopen[0]["hazard_id"] == hazard_id and reopen[0]["status"] == "pending"
    assert reopen[0]["description"] == "又堆上了"
    done = client.post(
        f"{API}/intake/reports/{reopen[0]['id']}/accept", json={"severity": "yellow"}, headers=world.headers(officer)
    )
    assert done.status_code == 200, done.text
    hazard = client.get(f"{API}/hazards/{hazard_id}", headers=world.headers(officer)).json()
    assert hazard["status"] == "rectifying" and hazard["closed_at"] is None
    assert hazard["history"][-1]["action"] == "reopen" and "又堆上了" in hazard["history"][-1]["note"]


def test_merge_keeps_the_link_and_decline_shows_the_reason(world, client):
    company = world.org()
    site, elsewhere = world.site(company), world.site(company)
    officer = world.officer(site, elsewhere)
    worker = world.gridworker(site)
    existing = raise_hazard(world, client, officer, site)
    other_site_hazard = raise_hazard(world, client, officer, elsewhere)

    duplicate, _ = file_report(world, client, worker, site, photos=1)
    url = f"{API}/intake/reports/{duplicate['id']}"
    wrong = client.post(f"{url}/merge", json={"hazard_id": other_site_hazard}, headers=world.headers(officer))
    assert wrong.status_code == 422 and wrong.json()["code"] == "merge_target_invalid"
    merged = client.post(f"{url}/merge", json={"hazard_id": existing}, headers=world.headers(officer))
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "merged" and merged.json()["hazard_id"] == existing
    # The reporter now follows that hazard, and its photo joined the hazard's.
    seen = client.get(f"{API}/hazards/{existing}", headers=world.headers(worker))
    assert seen.status_code == 200 and duplicate["photo_ids"][0] in seen.json()["photo_ids"]

    declined_report, _ = file_report(world, client, worker, site, photos=0)
    url = f"{API}/intake/reports/{declined_report['id']}"
    assert client.post(f"{url}/decline", json={"reason": ""}, headers=world.headers(officer)).status_code == 422
    reason = {"reason": "非安全隐患，已转物业报修"}
    declined = client.post(f"{url}/decline", json=reason, headers=world.headers(officer))
    assert declined.status_code == 200
    mine = client.get(url, headers=world.headers(worker)).json()
    assert mine["status"] == "declined" and mine["decline_reason"] == "非安全隐患，已转物业报修"
    assert client.post(f"{url}/merge", json={"hazard_id": existing}, headers=world.headers(officer)).status_code == 409


def test_grid_worker_sees_only_own_reports_and_their_hazards(world, client):
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    worker, colleague = world.gridworker(site), world.gridworker(site)
    unrelated_hazard = raise_hazard(world, client, officer, site)
    mine, _ = file_report(world, client, worker, site)
    theirs, _ = file_report(world, client, colleague, site)
    accepted = client.post(
        f"{API}/intake/reports/{mine['id']}/accept", json={"severity": "blue"}, headers=world.headers(officer)
    ).json()

    h = world.headers(worker)
    listed = client.get(f"{API}/intake/reports", headers=h).json()["items"]
    assert [r["id"] for r in listed] == [mine["id"]]
    assert client.get(f"{API}/intake/reports/{theirs['id']}", headers=h).status_code == 404
    assert client.get(f"{API}/hazards/{unrelated_hazard}", headers=h).status_code == 404
    assert [x["id"] for x in client.get(f"{API}/hazards", headers=h).json()["items"]] == [accepted["hazard_id"]]
    for path in ("/inspections", "/notices", "/rounds", "/trainings", "/reports/archive", "/board"):
        refused = client.get(API + path, headers=h)
        assert refused.status_code == 403, (path, refused.text)
        assert refused.json()["code"] == "gridworker_reports_only"
    # Their sites are the ones they report at; another site is not there.
    assert [s["id"] for s in client.get(f"{API}/sites", headers=h).json()["items"]] == [str(site.id)]
    elsewhere = world.site(company)
    body = {"site_id": str(elsewhere.id), "category": "gas", "description": "燃气味"}
    assert client.put(f"{API}/intake/reports/{uuid.uuid4()}", json=body, headers=h).status_code == 422
    # A property company has no queue.
    staff = world.user("property", company)
    assert client.get(f"{API}/intake/reports", headers=world.headers(staff)).status_code == 403


def test_source_is_on_every_hazard_and_filters_the_list(world, client):
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    worker = world.gridworker(site)
    from_checklist = raise_hazard(world, client, officer, site)
    by_officer = str(uuid.uuid4())
    assert (
        client.put(
            f"{API}/hazards/{by_officer}",
            json={"site_id": str(site.id), "category": "gas", "severity": "red", "description": "燃气管锈蚀"},
            headers=world.headers(officer),
        ).status_code
        == 201
    )
    report, _ = file_report(world, client, worker, site, photos=0)
    from_worker = client.post(
        f"{API}/intake/reports/{report['id']}/accept", json={"severity": "red"}, headers=world.headers(officer)
    ).json()["hazard_id"]

    h = world.headers(officer)
    for source, expected in (("checklist", from_checklist), ("officer", by_officer), ("gridworker", from_worker)):
        items = client.get(f"{API}/hazards?source={source}", headers=h).json()["items"]
        assert [x["id"] for x in items] == [expected] and items[0]["source"] == source
    assert client.get(f"{API}/hazards?source=joint", headers=h).json()["items"] == []
    assert client.get(f"{API}/hazards?source=rumour", headers=h).status_code == 422


def test_a_report_pending_over_a_day_is_overdue_and_photos_must_be_problem_photos(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    worker = world.gridworker(site)
    report, _ = file_report(world, client, worker, site, photos=0)
    with world.session() as s:
        row = s.get(IntakeReport, uuid.UUID(report["id"]))
        row.created_at = utcnow() - timedelta(hours=25)
        s.add(row)
        s.commit()
    assert client.get(f"{API}/intake/reports/{report['id']}", headers=world.headers(officer)).json()["overdue"] is True

    scene = world.photo(worker, "scene")
    body = {"site_id": str(site.id), "category": "gas", "description": "燃气味", "photo_ids": [scene]}
    wrong = client.put(f"{API}/intake/reports/{uuid.uuid4()}", json=body, headers=world.headers(worker))
    assert wrong.status_code == 422 and wrong.json()["code"] == "report_photo_kind"
    four = [world.photo(worker) for _ in range(4)]
    too_many = client.put(
        f"{API}/intake/reports/{uuid.uuid4()}", json={**body, "photo_ids": four}, headers=world.headers(worker)
    )
    assert too_many.status_code == 422
