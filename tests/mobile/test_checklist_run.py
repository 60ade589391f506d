"""A checklist run on the phone says what is missing exactly as the server would refuse it."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings, strategies as st

from mobile.services.checklist_run import ChecklistRun, IncompleteRun, hazard_id_for
from server.checklists.templates import CATEGORIES, PROFILE_FLAGS, default_checklists_dir, load_templates
from server.errors import Invalid
from server.inspections.models import InspectionIn
from server.inspections.service import check_answers
from server.inspections.service import hazard_id_for as server_hazard_id_for
from server.sites.models import Site

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


def test_hazard_ids_match_the_servers():
    inspection_id = uuid.uuid4()
    for item in WIRE["gas"]["items"]:
        assert hazard_id_for(inspection_id, item["id"]) == str(server_hazard_id_for(inspection_id, item["id"]))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_the_phone_refuses_exactly_what_the_server_refuses(data):
    category = data.draw(st.sampled_from(CATEGORIES))
    profile = {flag: data.draw(st.booleans(), label=flag) for flag in PROFILE_FLAGS}
    run = ChecklistRun.new(site(profile), WIRE[category])
    if not run.applicable_items():  # the server would refuse an empty answer list
        assert [p.code for p in run.missing()] == ["nothing_applies"]
        return
    answers = []
    for item in run.applicable_items():
        result = data.draw(st.sampled_from(["pass", "fail", "na", None]), label=item["id"])
        if result is None:
            continue
        photos = [str(uuid.uuid4())] if data.draw(st.booleans(), label=f"{item['id']} photo") else []
        run.answer(item["id"], result, photo_ids=photos)
        answers.append({"item_id": item["id"], "result": result, "photo_ids": photos})
    now = datetime.now(timezone.utc).isoformat()
    body = InspectionIn.model_validate({"site_id": run.site_id, "category": category,
                                        "template_version": run.template_version, "started_at": now,
                                        "finished_at": now, "answers": answers or [{"item_id": "x.y",
                                                                                    "result": "pass"}]})
    server_site = Site(name="测试社区", kind="community", profile=profile)
    problems = run.missing()
    try:
        check_answers(TEMPLATES[category], server_site, body)
        server = None
    except Invalid as exc:
        server = (exc.code, exc.extra.get("items"))
    if not answers:
        assert server[0] == "unknown_items"  # (the placeholder answer); the phone names every item unanswered
        assert problems and all(p.code == "unanswered" for p in problems)
        return
    unanswered = [p.item_id for p in problems if p.code == "unanswered"]
    no_photo = [p.item_id for p in problems if p.code == "photo_required"]
    if unanswered:
        assert server == ("missing_answers", unanswered)
    elif no_photo:
        assert server == ("photo_required", no_photo)
    else:
        assert server is None
        InspectionIn.model_validate(run.to_body())
