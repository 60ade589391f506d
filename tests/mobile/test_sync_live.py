"""The phone against a real server: sign-in for offline use, push in order, pull changes, refusals,
conflicts, token refresh, background sync."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from mobile.i18n import explain_code
from mobile.services import ApiError, IncompleteRun, PendingWork, Phone, RuleViolation
from tests.mobile.helpers import answer_run


def server_get(field, path, **params):
    return field.admin.get(path, **params)


def test_sign_in_keeps_what_the_phone_needs_to_work_offline(field, proxy):
    phone = field.phone(proxy.url)
    me = phone.signed_in_user()
    assert me["username"] == field.officer.username and me["role"] == "officer"
    assert {s["id"] for s in phone.sites()} == {s["id"] for s in field.sites}
    assert {c["category"] for c in phone.checklists()} == {
        "gas",
        "electricity",
        "elevator",
        "falling_objects",
        "fire",
        "ebike",
        "structure",
    }
    week = phone.rounds()
    assert {s["site_id"] for s in week["sites"]} == {s["id"] for s in field.sites}
    phone.close()

    # The app restarts in a basement: the same data dir still knows the user, sites and checklists.
    proxy.default = "reset"
    offline = Phone(field.tmp / "phone")
    try:
        assert offline.signed_in_user()["id"] == me["id"]
        run = offline.start_run(field.sites[0]["id"], "gas")
        answer_run(offline, run)
        offline.finish_run(run)
        status = offline.sync_now()
        assert status["state"] == "offline" and status["pending"] == 1 and "cannot be reached" in status["last_error"]
        assert offline.rounds()["sites"][0]["done"] == ["gas"] or offline.rounds()["sites"][1]["done"] == ["gas"]
        proxy.default = "forward"
        assert offline.sync_now()["pending"] == 0
    finally:
        offline.close()


def test_reference_data_is_refreshed_when_asked_or_stale(field):
    phone = field.phone()
    new_site = field.admin.site(field.org, name="新建村", has_gas=False)
    field.admin.assign(field.officer, new_site)
    phone.sync_now()
    assert new_site["id"] not in {s["id"] for s in phone.sites()}  # fresh enough: not fetched again
    phone.sync_now(refresh_reference=True)
    assert phone.site(new_site["id"])["name"] == "新建村"
    assert new_site["id"] in {s["site_id"] for s in phone.rounds()["sites"]}
    assert new_site["id"] in phone.signed_in_user()["site_ids"]


def test_sign_out_forgets_the_user_but_remembers_where_to_sign_in(field):
    phone = field.phone()
    old_access = phone.api.tokens.access_token
    phone.sign_out()
    assert phone.signed_in_user() is None and phone.sites() == []
    # The server ended the session too: the old token no longer opens anything.
    assert (
        httpx.get(f"{field.server.url}/api/v1/me", headers={"Authorization": f"Bearer {old_access}"}).status_code == 401
    )
    assert phone.last_sign_in() == {"server_url": field.server.url, "username": field.officer.username}
    # Signing in again brings back a working phone: what is saved now is sent by the next sync.
    phone.sign_in(field.server.url, field.officer.username, field.officer.password)
    training_id = phone.log_training(
        site_id=field.sites[0]["id"],
        held_at="2026-11-20T10:00:00+08:00",
        topics=["gas"],
        trainer="张伟",
        attendee_count=20,
        duration_minutes=45,
    )
    assert phone.sync_now()["pending"] == 0
    assert phone.outbox.get(training_id).state == "done"


def test_wrong_password_says_so(field):
    phone = Phone(field.tmp / "p", field.server.url)
    with pytest.raises(ApiError) as refused:
        phone.sign_in(field.server.url, field.officer.username, "not-the-password")
    assert refused.value.status == 401 and not refused.value.retryable and refused.value.message
    phone.close()


def test_an_inspection_with_photos_arrives_once_with_its_hazards(field):
    phone = field.phone()
    run = phone.start_run(field.sites[0]["id"], "fire")
    failed = answer_run(phone, run, fail=2, photos=field)
    # Autosaved: a restart finds the draft with every answer.
    assert phone.resume_run(run.inspection_id).to_state() == run.to_state()
    inspection_id = phone.finish_run(run)
    hazard_ids = set(run.hazard_ids().values())
    assert {h["id"] for h in phone.hazards({"provisional": True})} == hazard_ids
    assert phone.pending_count() == 3  # two photos, then the inspection

    seen = []
    phone.add_sync_listener(lambda p: seen.append((p.done, p.total, p.bytes_done)))
    status = phone.sync_now()
    assert status["state"] == "idle" and status["pending"] == 0 and status["needs_attention"] == 0
    assert seen[-1][0] == seen[-1][1] == 3 and seen[-1][2] > 0

    stored = server_get(field, f"/inspections/{inspection_id}")
    assert set(stored["hazard_ids"]) == hazard_ids
    assert [a["item_id"] for a in stored["answers"] if a["result"] == "fail"] == failed
    # The pull replaced the phone's guesses with the server's hazards.
    assert {h["id"] for h in phone.hazards({"site_id": field.sites[0]["id"]})} == hazard_ids
    assert not phone.hazards({"provisional": True})
    assert all(h["deadline"] for h in phone.hazards())
    # Done rows are never sent again.
    assert phone.sync_now()["progress"]["total"] == 0


def test_finish_refuses_an_incomplete_run_and_saves_nothing(field):
    phone = field.phone()
    run = phone.start_run(field.sites[0]["id"], "gas")
    item = run.applicable_items()[0]
    phone.save_answer(run, item["id"], "fail")
    with pytest.raises(IncompleteRun) as refused:
        phone.finish_run(run)
    assert {p.code for p in refused.value.problems} >= {"unanswered", "photo_required"}
    assert phone.pending_count() == 0 and phone.drafts()[0]["id"] == run.inspection_id


def test_a_422_needs_attention_with_its_message_and_blocks_only_what_depends_on_it(field):
    phone = field.phone()
    lost_site, kept_site = field.sites
    # The coordinator takes one site away while the officer is out: the phone still has it cached.
    assignment = next(
        a for a in server_get(field, "/assignments", officer_id=field.officer.id) if a["site_id"] == lost_site["id"]
    )
    field.admin.client.delete(f"/assignments/{assignment['id']}").raise_for_status()

    refused_run = phone.start_run(lost_site["id"], "gas")
    answer_run(phone, refused_run, fail=1, photos=field)
    refused_id = phone.finish_run(refused_run)
    hazard_id = next(iter(refused_run.hazard_ids().values()))
    fixed_photo = field.photo(phone, "verification")
    fix_id = phone.record_transition(hazard_id, "fix_on_spot", note="当场更换软管", photo_ids=[fixed_photo])
    good_run = phone.start_run(kept_site["id"], "gas")
    answer_run(phone, good_run)
    good_id = phone.finish_run(good_run)
    training_id = phone.log_training(
        site_id=kept_site["id"],
        held_at="2026-11-20T10:00:00+08:00",
        topics=["gas", "fire"],
        trainer="王老师",
        attendee_count=30,
        duration_minutes=45,
    )

    status = phone.sync_now()
    assert status["needs_attention"] == 1 and status["pending"] == 1  # the fix waits
    items = {i["id"]: i for i in phone.needs_attention()}
    assert items[refused_id]["status"] == 422 and items[refused_id]["code"] == "unknown_site"
    assert items[refused_id]["params"] == {"site_id": lost_site["id"]}  # said in the phone's language
    assert lost_site["id"] in explain_code("unknown_site", items[refused_id]["params"], "zh_CN")
    assert items[fix_id]["state"] == "waiting" and items[fix_id]["waiting_on"] == refused_id
    assert items[fix_id]["waiting_on_label"] == items[refused_id]["label"]
    assert server_get(field, f"/inspections/{good_id}")["id"] == good_id
    assert any(t["id"] == training_id for t in server_get(field, "/trainings", site_id=kept_site["id"]))

    # The coordinator gives the site back; the officer retries: the inspection, then the fix, go through.
    field.admin.assign(field.officer, lost_site)
    phone.retry_item(refused_id)
    status = phone.sync_now()
    assert status["pending"] == 0 and status["needs_attention"] == 0, phone.needs_attention()
    assert server_get(field, f"/hazards/{hazard_id}")["status"] == "closed"


def test_a_stale_transition_becomes_a_conflict_the_officer_resolves(field):
    phone = field.phone()
    run = phone.start_run(field.sites[0]["id"], "gas")
    answer_run(phone, run, fail=1, photos=field)
    phone.finish_run(run)
    phone.sync_now()
    hazard_id = next(iter(run.hazard_ids().values()))
    assert phone.hazard(hazard_id)["version"] == 1

    # Meanwhile someone else notifies the company (version 2) through another device.
    other = field.phone(name="other-device")
    other.issue_notice(organization_id=field.org["id"], hazard_ids=[hazard_id], deadline="2099-01-01T00:00:00+08:00")
    other.sync_now()
    assert server_get(field, f"/hazards/{hazard_id}")["status"] == "notified"

    cancel_id = phone.record_transition(hazard_id, "cancel", note="重复上报")
    assert phone.hazard(hazard_id)["status"] == "cancelled"  # as it will be, shown at once
    status = phone.sync_now()
    assert status["conflicts"] == 1
    [conflict] = phone.conflicts()
    assert conflict["id"] == cancel_id and conflict["attempted"]["action"] == "cancel"
    assert conflict["server_hazard"]["status"] == "notified" and "已有变化" in conflict["detail"]
    assert phone.hazard(hazard_id)["status"] == "notified"  # refreshed from the 412

    new_id = phone.resolve_conflict(cancel_id, retry=True)
    assert new_id != cancel_id and phone.conflicts() == []
    assert phone.sync_now()["pending"] == 0
    assert server_get(field, f"/hazards/{hazard_id}")["status"] == "cancelled"


def test_impossible_transitions_are_refused_on_the_phone(field):
    phone = field.phone()
    run = phone.start_run(field.sites[0]["id"], "gas")
    answer_run(phone, run, fail=1, photos=field)
    phone.finish_run(run)
    hazard_id = next(iter(run.hazard_ids().values()))
    with pytest.raises(RuleViolation) as refused:
        phone.record_transition(hazard_id, "fix_on_spot", photo_ids=[field.photo(phone, "problem")])
    assert refused.value.code == "photo_required_for_action"
    with pytest.raises(RuleViolation) as refused:
        phone.record_transition(hazard_id, "verify")
    assert refused.value.code == "invalid_transition"
    assert phone.hazard(hazard_id)["allowed_actions"] == ["notify", "fix_on_spot", "cancel"]


def test_tokens_are_refreshed_before_expiry_and_after_a_401(field):
    phone = field.phone()
    tokens = phone.api.tokens
    tokens.expires_at = time.time() + 5  # inside the refresh margin
    before = tokens.access_token
    phone.sync_now()
    assert phone.api.tokens.access_token != before
    phone.api.tokens.access_token = "garbage"
    phone.api.tokens.expires_at = time.time() + 3600
    assert phone.sync_now()["state"] == "idle"
    assert phone.api.tokens.access_token != "garbage"
    # Kept in the store: a restart uses the refreshed tokens.
    assert phone.store.get("session")["tokens"]["access_token"] == phone.api.tokens.access_token
    # Refresh tokens rotate: the phone keeps the newest one, each time.
    assert phone.store.get("session")["tokens"]["refresh_token"] == phone.api.tokens.refresh_token

    phone.api.tokens.access_token = "garbage"
    phone.api.tokens.refresh_token = "also-garbage"
    run = phone.start_run(field.sites[0]["id"], "gas")
    answer_run(phone, run)
    phone.finish_run(run)
    status = phone.sync_now()
    assert status["state"] == "signed_out" and phone.session_expired()
    assert status["pending"] == 1 and status["needs_attention"] == 0  # the work waits for the password
    with pytest.raises(PendingWork):
        phone.sign_out()
    phone.sign_in(field.server.url, field.officer.username, field.officer.password)
    assert phone.sync_now()["pending"] == 0


def test_notices_issued_on_the_phone_reach_the_company_who_acknowledges_on_theirs(field):
    officer_phone = field.phone()
    run = officer_phone.start_run(field.sites[0]["id"], "gas")
    answer_run(officer_phone, run, fail=2, photos=field)
    officer_phone.finish_run(run)
    hazard_ids = list(run.hazard_ids().values())
    notice_id = officer_phone.issue_notice(
        organization_id=field.org["id"], hazard_ids=hazard_ids, basis="《城镇燃气管理条例》"
    )
    assert officer_phone.sync_now()["pending"] == 0, officer_phone.needs_attention()
    [notice] = [n for n in officer_phone.notices() if n["id"] == notice_id]
    assert notice["number"] and notice["acknowledged_at"] is None

    staff = field.admin.user("property", field.org)
    company_phone = Phone(field.tmp / "company", field.server.url, backoff_base=0.05)
    field.phones.append(company_phone)
    company_phone.sign_in(field.server.url, staff.username, staff.password)
    assert notice_id in {n["id"] for n in company_phone.notices()}
    assert {h["id"] for h in company_phone.hazards()} >= set(hazard_ids)
    company_phone.acknowledge_notice(notice_id)
    company_phone.acknowledge_notice(notice_id)  # a second tap changes nothing
    assert company_phone.notices()[0]["pending_acknowledgement"]
    assert company_phone.sync_now()["pending"] == 0
    assert server_get(field, f"/notices/{notice_id}")["acknowledged_at"]
    officer_phone.sync_now()
    assert {officer_phone.hazard(h)["status"] for h in hazard_ids} == {"rectifying"}


def test_the_company_acknowledges_from_the_hazard_screen_through_its_notice(field):
    officer_phone = field.phone()
    run = officer_phone.start_run(field.sites[0]["id"], "gas")
    answer_run(officer_phone, run, fail=1, photos=field)
    officer_phone.finish_run(run)
    hazard_id = next(iter(run.hazard_ids().values()))
    notice_id = officer_phone.issue_notice(organization_id=field.org["id"], hazard_ids=[hazard_id])
    assert officer_phone.sync_now()["pending"] == 0, officer_phone.needs_attention()

    staff = field.admin.user("property", field.org)
    company_phone = Phone(field.tmp / "company-screen", field.server.url, backoff_base=0.05)
    field.phones.append(company_phone)
    company_phone.sign_in(field.server.url, staff.username, staff.password)
    shown = company_phone.hazard_detail(hazard_id)
    assert shown["notice_id"] == notice_id and "acknowledge" in shown["allowed_actions"]

    assert company_phone.transition(hazard_id, "acknowledge") == notice_id
    assert company_phone.sync_now()["pending"] == 0, company_phone.needs_attention()
    assert server_get(field, f"/notices/{notice_id}")["acknowledged_at"]
    detail = server_get(field, f"/hazards/{hazard_id}")
    assert detail["status"] == "rectifying"
    assert [h["action"] for h in detail["history"]] == ["raise", "notify", "acknowledge"]


def test_background_sync_sends_work_as_it_is_saved(field):
    phone = field.phone()
    done = threading.Event()
    phone.add_sync_listener(
        lambda p: done.set() if p.phase == "done" and phone.pending_count() == 0 and p.done else None
    )
    phone.start_sync(interval=30)
    try:
        run = phone.start_run(field.sites[0]["id"], "gas")
        answer_run(phone, run, fail=1, photos=field)
        inspection_id = phone.finish_run(run)  # wakes the sync thread
        assert done.wait(20)
        assert server_get(field, f"/inspections/{inspection_id}")["id"] == inspection_id
    finally:
        phone.stop_sync()
    assert phone.sync_status()["state"] == "idle"


def test_the_server_gets_where_the_phone_was_at_start_and_finish_and_its_clock(field):
    phone = field.phone()
    site_id = field.sites[0]["id"]  # the site is at 41.74, 123.45
    opened = phone.open_run(site_id, "gas", {"lat": 41.7401, "lon": 123.4502, "accuracy": 9.0})
    run_id = opened["inspection_id"]
    for item in opened["items"]:
        phone.answer_item(run_id, item["id"], "pass")
    inspection_id = phone.submit_run(run_id, {"lat": 41.758, "lon": 123.45, "accuracy": 15.0})
    assert phone.sync_now()["pending"] == 0

    stored = server_get(field, f"/inspections/{inspection_id}")
    assert (stored["start_lat"], stored["start_lon"], stored["start_accuracy_m"]) == (41.7401, 123.4502, 9.0)
    assert (stored["lat"], stored["lon"], stored["accuracy_m"]) == (41.758, 123.45, 15.0)
    assert stored["presence_flags"] == ["far_from_site"]  # the finish was 2 km away
    assert abs(stored["device_clock_skew_s"]) < 60  # the phone sent its clock (X-Device-Time)


def test_the_site_history_comes_from_the_server_and_stays_for_offline_use(field, proxy):
    phone = field.phone(proxy.url)
    site_id = field.sites[0]["id"]
    for _ in range(2):  # two gas runs: the history shows the later one
        run = phone.start_run(site_id, "gas", resume=False)
        failed = answer_run(phone, run, fail=1, photos=field)
        phone.finish_run(run)
    fire = phone.start_run(site_id, "fire")
    answer_run(phone, fire)
    phone.finish_run(fire)
    assert phone.sync_now()["pending"] == 0

    other = Phone(field.tmp / "second-phone")  # another phone of the same officer sees it from the server
    try:
        other.sign_in(proxy.url, field.officer.username, field.officer.password)
        history = other.site_history(site_id)
        assert history["offline"] is False
        assert [r["category"] for r in history["runs"]] == ["gas", "fire"]
        gas = history["runs"][0]
        assert gas["id"] == run.inspection_id and [f["item_id"] for f in gas["failed"]] == failed
        assert gas["failed"][0]["prompt"]["zh"] and len(gas["failed"][0]["photos"]) == 1
        assert Path(gas["failed"][0]["photos"][0]).stat().st_size > 0
        assert history["runs"][1]["failed"] == [] and history["runs"][1]["passed"] > 0

        proxy.default = "reset"  # in a basement: the history saved last time, said to be so
        offline = other.site_history(site_id)
        assert offline["offline"] is True and offline["runs"] == history["runs"]
        assert Path(offline["runs"][0]["failed"][0]["photos"][0]).exists()
    finally:
        proxy.default = "forward"
        other.close()


def test_the_phone_follows_cursors_to_every_site(field):
    phone = field.phone()
    one_by_one = phone.api.get_all("/sites", page_size=1)
    assert len(one_by_one) == len(field.sites) >= 2
    assert {s["id"] for s in one_by_one} == {s["id"] for s in phone.sites()}
