"""A checklist run on the phone: what applies, what is still missing, its state across restarts.

What is missing is judged by rulebook.checklists, which the server applies too (tests/rulebook)."""

from __future__ import annotations

import uuid

import pytest

from mobile.services.checklist_run import ChecklistRun, IncompleteRun
from rulebook.categories import PROFILE_FLAGS
from server.checklists.templates import default_checklists_dir, load_templates
from server.inspections.models import InspectionIn

TEMPLATES = load_templates(default_checklists_dir())
WIRE = {c: t.model_dump(mode="json") for c, t in TEMPLATES.items()}  # what GET /checklists/{c} sends


def site(profile: dict) -> dict:
    return {"id": str(uuid.uuid4()), "name": "测试社区", "profile": profile, "property_org_id": None}


def test_applicable_items_follow_the_site_profile():
    gas_site = site({"has_gas": True})
    no_gas = site({"has_gas": False})
    assert ChecklistRun.new(gas_site, WIRE["gas"]).applicable_items()
    only_unconditional = [i for i in WIRE["gas"]["items"] if not i.get("applies_if")]
    assert ChecklistRun.new(no_gas, WIRE["gas"]).applicable_items() == only_unconditional


def test_missing_names_unanswered_items_and_failed_items_without_their_photo():
    run = ChecklistRun.new(site({f: True for f in PROFILE_FLAGS}), WIRE["fire"])
    items = run.applicable_items()
    needs_photo = next(i for i in items if i["photo_required_on_fail"])
    run.answer(needs_photo["id"], "fail", note="  灭火器过期  ")
    assert run.answers[needs_photo["id"]].note == "灭火器过期"
    problems = {(p.item_id, p.code) for p in run.missing()}
    assert (needs_photo["id"], "photo_required") in problems
    assert {i["id"] for i in items if i["id"] != needs_photo["id"]} == {i for i, c in problems if c == "unanswered"}
    with pytest.raises(IncompleteRun) as refused:
        run.to_body()
    assert len(refused.value.problems) == len(items)

    run.add_photo(needs_photo["id"], str(uuid.uuid4()))
    for item in items[1:] if items[0] is needs_photo else items:
        if item is not needs_photo:
            run.answer(item["id"], "pass")
    assert run.missing() == [] and run.progress() == (len(items), len(items))
    body = run.to_body()
    InspectionIn.model_validate(body)  # the server's schema accepts it as is
    assert run.hazard_ids() == {needs_photo["id"]: str(uuid.uuid5(uuid.UUID(run.inspection_id), needs_photo["id"]))}


def test_an_item_that_does_not_apply_or_a_bad_result_is_refused_at_once():
    run = ChecklistRun.new(site({"has_gas": False}), WIRE["gas"])
    conditional = next(i for i in WIRE["gas"]["items"] if i.get("applies_if"))
    with pytest.raises(ValueError, match="does not apply"):
        run.answer(conditional["id"], "pass")
    with pytest.raises(ValueError, match="pass, fail or na"):
        ChecklistRun.new(site({"has_gas": True}), WIRE["gas"]).answer(conditional["id"], "maybe")


def test_draft_state_round_trips():
    run = ChecklistRun.new(site({"has_gas": True}), WIRE["gas"], lat=41.7, lon=123.4)
    first = run.applicable_items()[0]["id"]
    run.answer(first, "fail", note="软管老化", photo_ids=["p1", "p2"])
    again = ChecklistRun.from_state(run.to_state(), WIRE["gas"])
    assert again.to_state() == run.to_state()


def test_a_form_photo_carries_where_the_phone_was_when_it_was_taken(tmp_path):
    from mobile.services import Phone
    from tests.mobile.helpers import camera_jpeg

    phone = Phone(tmp_path / "phone")
    try:
        source = camera_jpeg(tmp_path / "form.jpg", (64, 48), seed=1)
        phone.note_photo_fix(source, {"lat": 41.7, "lon": 123.4, "accuracy": 5.0})
        photo_id = phone.add_photo(source, "verification")
        stored = phone.store.photo(photo_id)
        assert (stored["lat"], stored["lon"]) == (41.7, 123.4)
    finally:
        phone.close()
