"""A hazard's whole life through the API: notice, receipt, evidence, rejection, verification, audit."""

from __future__ import annotations

import io
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlmodel import select

from server.audit.models import AuditEvent

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def raise_hazard(world, client, officer, site, category="gas"):
    item = world.template(category).items_for(site.profile)[0]
    body = world.inspection_body(site, category, fail=(item.id,), officer=officer)
    inspection_id = uuid.uuid4()
    response = client.put(f"/api/v1/inspections/{inspection_id}", json=body, headers=world.headers(officer))
    assert response.status_code == 201, response.text
    return response.json()["hazard_ids"][0]


def step(world, client, user, hazard, action, **body):
    payload = {"action": action, "base_version": hazard["version"], **body}
    response = client.put(
        f"/api/v1/hazards/{hazard['id']}/transitions/{uuid.uuid4()}", json=payload, headers=world.headers(user)
    )
    assert response.status_code == 201, response.text
    return response.json()


def audit_actions(world, hazard_id):
    with world.session() as s:
        events = s.exec(
            select(AuditEvent)
            .where(AuditEvent.target_type == "hazard", AuditEvent.target_id == str(hazard_id))
            .order_by(AuditEvent.id)
        ).all()
        return [(e.action, e.from_state, e.to_state) for e in events]


def test_whole_life_from_failed_item_to_closed_with_one_audit_event_per_step(world, client):
    company = world.org("沈阳安居物业服务有限公司")
    site = world.site(company, name="富民社区")
    officer = world.officer(site)
    staff = world.user("property", company)
    hazard_id = raise_hazard(world, client, officer, site)

    notice = client.post(
        "/api/v1/notices",
        json={"organization_id": str(company.id), "hazard_ids": [hazard_id]},
        headers=world.headers(officer),
    )
    assert notice.status_code == 201, notice.text
    notice = notice.json()
    assert notice["number"].startswith("SR-20") and notice["hazard_ids"] == [hazard_id]
    hazard = client.get(f"/api/v1/hazards/{hazard_id}", headers=world.headers(staff)).json()
    assert hazard["status"] == "notified"
    assert hazard["allowed_actions"] == ["acknowledge", "submit_evidence"]

    acked = client.post(f"/api/v1/notices/{notice['id']}/acknowledge", headers=world.headers(staff))
    assert acked.status_code == 200 and acked.json()["acknowledged_at"]
    hazard = client.get(f"/api/v1/hazards/{hazard_id}", headers=world.headers(staff)).json()
    assert hazard["status"] == "rectifying"

    fix1 = world.photo(staff, kind="rectification")
    hazard = step(world, client, staff, hazard, "submit_evidence", note="已更换软管", photo_ids=[fix1])
    assert hazard["status"] == "awaiting_verification"
    hazard = step(world, client, officer, hazard, "reject", note="卡箍未紧固")
    assert hazard["status"] == "rectifying"
    fix2 = world.photo(staff, kind="rectification")
    hazard = step(world, client, staff, hazard, "submit_evidence", note="卡箍已紧固", photo_ids=[fix2])
    check = world.photo(officer, kind="verification")
    hazard = step(world, client, officer, hazard, "verify", photo_ids=[check])
    assert hazard["status"] == "closed" and hazard["closed_at"]

    detail = client.get(f"/api/v1/hazards/{hazard_id}", headers=world.headers(officer)).json()
    assert [h["action"] for h in detail["history"]] == [
        "raise",
        "notify",
        "acknowledge",
        "submit_evidence",
        "reject",
        "submit_evidence",
        "verify",
    ]
    assert detail["history"][4]["note"] == "卡箍未紧固"
    assert set(detail["photos"]["rectification"]) == {fix1, fix2}
    assert detail["photos"]["verification"] == [check]
    assert len(detail["photos"]["problem"]) == 1
    assert audit_actions(world, hazard_id) == [
        ("raise", None, "open"),
        ("notify", "open", "notified"),
        ("acknowledge", "notified", "rectifying"),
        ("submit_evidence", "rectifying", "awaiting_verification"),
        ("reject", "awaiting_verification", "rectifying"),
        ("submit_evidence", "rectifying", "awaiting_verification"),
        ("verify", "awaiting_verification", "closed"),
    ]


def test_replayed_transition_answers_the_stored_result_and_writes_nothing(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    hazard = client.get(
        f"/api/v1/hazards/{raise_hazard(world, client, officer, site)}", headers=world.headers(officer)
    ).json()
    photo = world.photo(officer, kind="verification")
    url = f"/api/v1/hazards/{hazard['id']}/transitions/{uuid.uuid4()}"
    body = {"action": "fix_on_spot", "base_version": 1, "note": "当场更换", "photo_ids": [photo]}
    first = client.put(url, json=body, headers=world.headers(officer))
    assert first.status_code == 201
    events = len(audit_actions(world, hazard["id"]))
    again = client.put(url, json=body, headers=world.headers(officer))
    assert again.status_code == 200 and again.json() == first.json()
    assert len(audit_actions(world, hazard["id"])) == events
    other = client.put(url, json=dict(body, note="不同"), headers=world.headers(officer))
    assert other.status_code == 409 and other.json()["code"] == "id_conflict"


def test_stale_version_is_412_with_the_current_hazard(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    hazard_id = raise_hazard(world, client, officer, site)
    issued = client.post(
        "/api/v1/notices",
        json={"organization_id": str(site.property_org_id), "hazard_ids": [hazard_id]},
        headers=world.headers(officer),
    )
    assert issued.status_code == 201, issued.text
    stale = client.put(
        f"/api/v1/hazards/{hazard_id}/transitions/{uuid.uuid4()}",
        json={"action": "cancel", "base_version": 1, "note": "重复"},
        headers=world.headers(officer),
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"
    assert stale.json()["hazard"]["status"] == "notified" and stale.json()["hazard"]["version"] == 2


def test_wrong_state_409_wrong_role_403_missing_evidence_422(world, client):
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    staff = world.user("property", company)
    hazard_id = raise_hazard(world, client, officer, site)
    url = f"/api/v1/hazards/{hazard_id}/transitions/"
    verify = client.put(
        url + str(uuid.uuid4()), json={"action": "verify", "base_version": 1}, headers=world.headers(officer)
    )
    assert verify.status_code == 409 and "cannot verify" in verify.json()["detail"]
    cancel = client.put(
        url + str(uuid.uuid4()), json={"action": "cancel", "base_version": 1, "note": "x"}, headers=world.headers(staff)
    )
    assert cancel.status_code == 403
    no_photo = client.put(
        url + str(uuid.uuid4()), json={"action": "fix_on_spot", "base_version": 1}, headers=world.headers(officer)
    )
    assert no_photo.status_code == 422 and no_photo.json()["code"] == "photo_required_for_action"
    nonsense = client.put(
        url + str(uuid.uuid4()), json={"action": "teleport", "base_version": 1}, headers=world.headers(officer)
    )
    assert nonsense.status_code == 422 and "teleport" in nonsense.json()["detail"]
    assert [a for a, _, _ in audit_actions(world, hazard_id)] == ["raise"]


def test_property_user_cannot_see_or_move_another_companys_hazard(world, client):
    company_a, company_b = world.org(), world.org()
    site = world.site(company_a)
    officer = world.officer(site)
    outsider = world.user("property", company_b)
    hazard_id = raise_hazard(world, client, officer, site)
    evidence = world.photo(outsider, kind="rectification")
    body = {"action": "submit_evidence", "base_version": 1, "note": "已整改", "photo_ids": [evidence]}
    response = client.put(
        f"/api/v1/hazards/{hazard_id}/transitions/{uuid.uuid4()}", json=body, headers=world.headers(outsider)
    )
    assert response.status_code == 404
    missing = client.put(
        f"/api/v1/hazards/{uuid.uuid4()}/transitions/{uuid.uuid4()}", json=body, headers=world.headers(outsider)
    )
    assert response.json() == missing.json()


def test_notice_needs_open_hazards_of_that_one_company(world, client):
    company_a, company_b = world.org(), world.org()
    site_a, site_b = world.site(company_a), world.site(company_b)
    officer = world.officer(site_a, site_b)
    ha = raise_hazard(world, client, officer, site_a)
    hb = raise_hazard(world, client, officer, site_b)
    mixed = client.post(
        "/api/v1/notices",
        json={"organization_id": str(company_a.id), "hazard_ids": [ha, hb]},
        headers=world.headers(officer),
    )
    assert mixed.status_code == 422 and hb in mixed.json()["detail"]
    ok = client.post(
        "/api/v1/notices",
        json={"organization_id": str(company_a.id), "hazard_ids": [ha]},
        headers=world.headers(officer),
    )
    assert ok.status_code == 201
    again = client.post(
        "/api/v1/notices",
        json={"organization_id": str(company_a.id), "hazard_ids": [ha]},
        headers=world.headers(officer),
    )
    assert again.status_code == 409 and "not open" in again.json()["detail"]


def test_property_user_lists_only_its_own_notices_and_acknowledge_is_idempotent(world, client):
    company_a, company_b = world.org(), world.org()
    site_a, site_b = world.site(company_a), world.site(company_b)
    officer = world.officer(site_a, site_b)
    for company, site in ((company_a, site_a), (company_b, site_b)):
        hazard_id = raise_hazard(world, client, officer, site)
        assert (
            client.post(
                "/api/v1/notices",
                json={"organization_id": str(company.id), "hazard_ids": [hazard_id]},
                headers=world.headers(officer),
            ).status_code
            == 201
        )
    staff_a = world.user("property", company_a)
    mine = client.get("/api/v1/notices", headers=world.headers(staff_a)).json()["items"]
    assert [n["organization_id"] for n in mine] == [str(company_a.id)]
    by_officer = client.post(f"/api/v1/notices/{mine[0]['id']}/acknowledge", headers=world.headers(officer))
    assert by_officer.status_code == 403 and "property company" in by_officer.json()["detail"]
    first = client.post(f"/api/v1/notices/{mine[0]['id']}/acknowledge", headers=world.headers(staff_a)).json()
    second = client.post(f"/api/v1/notices/{mine[0]['id']}/acknowledge", headers=world.headers(staff_a))
    assert second.status_code == 200 and second.json()["acknowledged_at"] == first["acknowledged_at"]
    all_notices = client.get("/api/v1/notices", headers=world.headers(officer)).json()["items"]
    theirs = next(n for n in all_notices if n["organization_id"] == str(company_b.id))
    assert client.post(f"/api/v1/notices/{theirs['id']}/acknowledge", headers=world.headers(staff_a)).status_code == 404
    assert client.get(f"/api/v1/notices/{theirs['id']}.pdf", headers=world.headers(staff_a)).status_code == 404


def test_audit_table_refuses_update_and_delete(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    raise_hazard(world, client, officer, site)
    for statement in ("UPDATE audit_event SET action = 'forged'", "DELETE FROM audit_event"):
        with world.session() as s:
            with pytest.raises(Exception) as err:
                s.exec(text(statement))
                s.commit()
            assert "append-only" in str(err.value)
    with world.session() as s:
        assert "forged" not in [e.action for e in s.exec(select(AuditEvent)).all()]


def test_notice_pdf_is_chinese_with_company_and_hazards(world, client):
    company = world.org("盛京宜家物业管理有限公司")
    site = world.site(company, name="天坛社区")
    officer = world.officer(site)
    first_hazard = raise_hazard(world, client, officer, site, "gas")
    second_hazard = raise_hazard(world, client, officer, site, "fire")
    notice = client.post(
        "/api/v1/notices",
        json={"organization_id": str(company.id), "hazard_ids": [first_hazard, second_hazard]},
        headers=world.headers(officer),
    ).json()
    response = client.get(f"/api/v1/notices/{notice['id']}.pdf", headers=world.headers(officer))
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text_out = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "盛京宜家物业管理有限公司" in text_out
    assert "天坛社区" in text_out
    assert notice["number"] in text_out
    for hazard_id in (first_hazard, second_hazard):
        hazard = client.get(f"/api/v1/hazards/{hazard_id}", headers=world.headers(officer)).json()
        assert hazard["description"].splitlines()[0][:12] in text_out.replace("\n", "")
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "notice.pdf").write_bytes(response.content)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(ARTIFACTS / "notice.pdf"),
                str(ARTIFACTS / "notice-page1"),
            ],
            check=True,
        )
        assert (ARTIFACTS / "notice-page1.png").stat().st_size > 10_000
