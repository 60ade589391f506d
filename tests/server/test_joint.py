"""Joint inspections (联查联检): participants from other units and the property company's on-site signature."""

from __future__ import annotations

import io
import shutil
import subprocess
import uuid
from pathlib import Path

from PIL import Image, ImageDraw
from pypdf import PdfReader
from sqlmodel import select

from server.inspections.models import Inspection
from server.inspections.service import is_joint
from server.photos.models import PhotoLink
from tests.server.test_console_pages import browser_sign_in

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PARTICIPANTS = [{"unit": "police", "name": "王建国"}, {"unit": "market", "name": "刘芳"}]


def signature_png() -> bytes:
    image = Image.new("RGB", (400, 160), "white")
    ImageDraw.Draw(image).line([(20, 120), (120, 30), (200, 110), (300, 40), (380, 100)], fill="black", width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def upload_signature(world, user, kind="signature"):
    photo_id = str(uuid.uuid4())
    response = world.client.put(
        f"/api/v1/photos/{photo_id}",
        headers=world.headers(user),
        files={"file": ("signature.png", signature_png(), "image/png")},
        data={"kind": kind},
    )
    assert response.status_code == 201, response.text
    return photo_id


def joint_body(world, site, officer, photo_id, **extra):
    return world.inspection_body(
        site,
        "gas",
        officer=officer,
        participants=PARTICIPANTS,
        signature={
            "photo_id": photo_id,
            "signer_name": "赵物业",
            "signed_at": "2026-11-25T10:30:00+08:00",
            "lat": 41.7401,
            "lon": 123.4502,
        },
        **extra,
    )


def inspections(world):
    with world.session() as s:
        return s.exec(select(Inspection)).all()


def test_joint_inspection_with_two_participants_and_a_signature_is_stored_and_read_back(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    photo_id = upload_signature(world, officer)
    inspection_id = str(uuid.uuid4())
    body = joint_body(world, site, officer, photo_id)
    created = client.put(f"/api/v1/inspections/{inspection_id}", json=body, headers=world.headers(officer))
    assert created.status_code == 201, created.text

    read = client.get(f"/api/v1/inspections/{inspection_id}", headers=world.headers(officer)).json()
    assert read["participants"] == PARTICIPANTS
    assert read["joint"] is True
    signature = read["signature"]
    assert signature["photo_id"] == photo_id and signature["signer_name"] == "赵物业"
    assert signature["lat"] == 41.7401 and signature["lon"] == 123.4502
    assert signature["signed_at"].startswith("2026-11-25T02:30:00")
    listed = client.get("/api/v1/inspections", headers=world.headers(officer)).json()["items"]
    assert listed[0]["participants"] == PARTICIPANTS
    (stored,) = inspections(world)
    assert is_joint(stored)
    with world.session() as s:
        link = s.exec(select(PhotoLink).where(PhotoLink.photo_id == uuid.UUID(photo_id))).one()
        assert link.inspection_id == uuid.UUID(inspection_id)
    # the same body again is a replay; without participants an inspection is not joint
    again = client.put(f"/api/v1/inspections/{inspection_id}", json=body, headers=world.headers(officer))
    assert again.status_code == 200 and again.json()["participants"] == PARTICIPANTS
    plain = client.put(
        f"/api/v1/inspections/{uuid.uuid4()}", json=world.inspection_body(site, "fire"), headers=world.headers(officer)
    )
    assert plain.status_code == 201 and plain.json()["joint"] is False and plain.json()["participants"] == []


def test_unknown_unit_foreign_or_missing_signature_photo_is_a_sentence_and_writes_nothing(world, client):
    site = world.site(world.org())
    officer = world.officer(site)
    other = world.officer(world.site())
    mine = upload_signature(world, officer)
    theirs = upload_signature(world, other)
    scene = world.photo(officer, kind="scene")

    body = joint_body(world, site, officer, mine)
    body["participants"] = [{"unit": "army", "name": "某人"}]
    response = client.put(f"/api/v1/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer))
    assert response.status_code == 422 and response.json()["code"] == "unknown_participant_unit"
    assert "army" in response.json()["detail"] and "police" in response.json()["detail"]
    zh = client.put(
        f"/api/v1/inspections/{uuid.uuid4()}", json=body, headers={**world.headers(officer), "Accept-Language": "zh"}
    )
    assert "公安" in zh.json()["detail"]

    for photo_id, code in (
        (theirs, "unknown_photos"),
        (str(uuid.uuid4()), "unknown_photos"),
        (scene, "signature_photo_kind"),
    ):
        response = client.put(
            f"/api/v1/inspections/{uuid.uuid4()}",
            json=joint_body(world, site, officer, photo_id),
            headers=world.headers(officer),
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == code
        assert response.json()["detail"]

    too_many = joint_body(world, site, officer, mine)
    too_many["participants"] = [{"unit": "other", "name": f"人{i}"} for i in range(21)]
    response = client.put(f"/api/v1/inspections/{uuid.uuid4()}", json=too_many, headers=world.headers(officer))
    assert response.status_code == 422
    assert inspections(world) == []


def test_the_notice_shows_the_participants_and_the_on_site_signature(world, client):
    company = world.org("盛京宜家物业管理有限公司")
    site = world.site(company, name="天坛社区")
    officer = world.officer(site)
    staff = world.user("property", company)
    signature = upload_signature(world, officer)
    item = world.template("gas").items_for(site.profile)[0]
    body = joint_body(world, site, officer, signature)
    body = {
        **world.inspection_body(site, "gas", fail=(item.id,), officer=officer),
        **{k: body[k] for k in ("participants", "signature")},
    }
    created = client.put(f"/api/v1/inspections/{uuid.uuid4()}", json=body, headers=world.headers(officer))
    assert created.status_code == 201, created.text
    hazard_id = created.json()["hazard_ids"][0]
    # Its hazard came from a joint inspection, and the ledger's source filter says so.
    hazard = client.get(f"/api/v1/hazards/{hazard_id}", headers=world.headers(officer)).json()
    assert hazard["source"] == "joint"
    joint_only = client.get("/api/v1/hazards", params={"source": "joint"}, headers=world.headers(officer)).json()
    assert [h["id"] for h in joint_only["items"]] == [hazard_id]
    assert (
        client.get("/api/v1/hazards", params={"source": "checklist"}, headers=world.headers(officer)).json()["items"]
        == []
    )
    notice = client.post(
        "/api/v1/notices",
        json={"organization_id": str(company.id), "hazard_ids": [hazard_id]},
        headers=world.headers(officer),
    ).json()
    pdfs = {}
    for who in (officer, staff):  # the company reads the signature though the photo is the officer's
        response = client.get(f"/api/v1/notices/{notice['id']}.pdf", headers=world.headers(who))
        assert response.status_code == 200, response.text
        pdfs[who.role] = response.content
    reader = PdfReader(io.BytesIO(pdfs["property"]))
    text_out = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    for expected in ("联查联检", "公安 王建国", "市场监管 刘芳", "物业现场签字：赵物业", "2026年11月25日 10:30"):
        assert expected in text_out, expected
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 2  # the problem photo and the signature
    assert any(abs(img.image.width / img.image.height - 400 / 160) < 0.05 for img in images)
    if shutil.which("pdftoppm"):
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "notice-joint.pdf").write_bytes(pdfs["property"])
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"]
            + [str(ARTIFACTS / "notice-joint.pdf"), str(ARTIFACTS / "notice-joint-page1")],
            check=True,
        )
        assert (ARTIFACTS / "notice-joint-page1.png").stat().st_size > 10_000
    browser_sign_in(client, staff.username)  # the console prints the same notice for the company
    console = client.get(f"/notices/{notice['id']}/pdf")
    assert console.status_code == 200 and console.headers["content-type"] == "application/pdf"
    console_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(console.content)).pages)
    assert "市场监管 刘芳" in console_text.replace("\n", "")
    assert len([i for p in PdfReader(io.BytesIO(console.content)).pages for i in p.images]) == 2
