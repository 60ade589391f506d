"""Joint inspections and revisits in the phone's services: the run's participants and signature, the
signature photo sent before the inspection that names it, and a revisit answered offline."""

from __future__ import annotations

import json
import uuid

import pytest
from PIL import Image, ImageDraw

from mobile.services.checklist_run import ChecklistRun
from rulebook.messages import RuleViolation
from server.inspections.models import InspectionIn
from tests.mobile.helpers import answer_run
from tests.mobile.test_checklist_run import WIRE, site


def signature_png(path):
    image = Image.new("RGB", (400, 160), "white")
    ImageDraw.Draw(image).line([(20, 120), (150, 30), (260, 120), (380, 40)], fill=(20, 25, 60), width=5)
    image.save(path, "PNG")
    return path


def test_a_run_names_participants_and_a_signature_the_server_accepts_and_keeps_them_across_restarts():
    run = ChecklistRun.new(site({"has_gas": True}), WIRE["gas"])
    for item in run.applicable_items():
        run.answer(item["id"], "pass")
    run.add_participant("police", " 王建国 ")
    run.add_participant("housing", "周科长")
    with pytest.raises(RuleViolation) as unknown:
        run.add_participant("army", "某人")
    assert "公安" in unknown.value.sentence("zh") and "army" in unknown.value.sentence("en")
    with pytest.raises(RuleViolation, match="name"):
        run.add_participant("other", "  ")
    photo_id = str(uuid.uuid4())
    run.sign(photo_id, "赵物业", signed_at="2026-11-25T10:30:00+08:00", lat=41.74, lon=123.45)
    body = run.to_body()
    assert body["participants"] == [{"unit": "police", "name": "王建国"}, {"unit": "housing", "name": "周科长"}]
    assert body["signature"]["photo_id"] == photo_id and body["signature"]["signer_name"] == "赵物业"
    InspectionIn.model_validate(body)  # the server's schema takes it as is
    assert photo_id in run.photo_ids()  # so the outbox sends the signature first
    again = ChecklistRun.from_state(run.to_state(), WIRE["gas"])
    assert again.to_body(body["finished_at"]) == body
    run.remove_participant(0)
    assert [p["name"] for p in run.participants] == ["周科长"]


def test_the_signed_joint_inspection_reaches_the_server_after_its_signature_photo(field):
    phone = field.phone()
    run = phone.start_run(field.sites[0]["id"], "gas")
    answer_run(phone, run)
    phone.add_participant(run.inspection_id, "market", "刘芳")
    snapshot = phone.sign_run(
        run.inspection_id, signature_png(field.tmp / "pad.png"), "赵物业", {"lat": 41.7401, "lon": 123.4502}
    )
    assert snapshot["participants"] == [{"unit": "market", "name": "刘芳"}]
    assert snapshot["signature"]["signer_name"] == "赵物业" and snapshot["signature"]["path"]
    with pytest.raises(RuleViolation):
        phone.sign_run(run.inspection_id, field.tmp / "pad.png", " ")
    inspection_id = phone.submit_run(run.inspection_id)
    rows = phone.outbox.rows("pending")
    assert [r.kind for r in rows] == ["photo", "inspection"]
    assert rows[0].id in rows[1].depends_on
    assert phone.sync_now()["pending"] == 0
    stored = field.admin.get(f"/inspections/{inspection_id}")
    assert stored["joint"] is True and stored["participants"] == [{"unit": "market", "name": "刘芳"}]
    assert stored["signature"]["signer_name"] == "赵物业" and stored["signature"]["lat"] == 41.7401


def test_a_revisit_answered_offline_leaves_the_week_and_waits_in_the_outbox(field):
    phone = field.phone()
    revisit = {
        "id": str(uuid.uuid4()),
        "hazard_id": str(uuid.uuid4()),
        "site_id": field.sites[0]["id"],
        "site_name": field.sites[0]["name"],
        "category": "gas",
        "item_id": "gas.hose_aged",
        "severity": "red",
        "description": "不符合：燃气软管",
        "closed_at": "2026-10-20T02:00:00+00:00",
        "due_on": "2026-11-19",
    }
    phone.store.put("revisits_due", [revisit])
    (shown,) = phone.week()["revisits"]
    assert shown["item_prompt"]["en"].startswith("The gas connection hose")
    with pytest.raises(RuleViolation):
        phone.answer_revisit(revisit["id"], "reopen")  # a reopen needs its photo
    phone.answer_revisit(revisit["id"], "confirmed")
    assert phone.week()["revisits"] == []
    (row,) = phone.outbox.rows("pending")
    assert row.kind == "revisit" and row.method == "POST" and row.path == f"/revisits/{revisit['id']}"
    assert json.loads(row.body) == {"outcome": "confirmed"}
