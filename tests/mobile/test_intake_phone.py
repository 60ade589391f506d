"""Intake on the phone: a grid worker's report saved offline and sent after its photos; the officer's queue
and decisions through the outbox; the reporter's answer on the repair. Against a real server on loopback."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from mobile.services import Phone, RuleViolation
from tests.live_server import Admin, Officer
from tests.mobile.helpers import camera_jpeg

AT_THE_SITE = {"lat": 41.7452, "lon": 123.4489, "accuracy": 8.0}


def offline_phone(tmp_path, name: str = "phone") -> Phone:
    """A phone whose server address is a closed port: every call fails as in a basement."""
    return Phone(tmp_path / name, "http://127.0.0.1:9", backoff_base=0.05)


def test_a_report_saved_offline_waits_for_its_photos_and_shows_as_pending(tmp_path):
    phone = offline_phone(tmp_path)
    try:
        photos = [camera_jpeg(tmp_path / f"cam-{i}.jpg", (2400, 1800), seed=i) for i in range(4)]
        with pytest.raises(RuleViolation) as four:
            phone.report_problem(site_id="s", category="fire", description="消防通道堆放杂物", photo_paths=photos)
        assert four.value.code == "too_many_report_photos" and "最多 3 张" in four.value.sentence("zh")
        assert phone.outbox.rows() == []  # refused before any photo was kept
        photos = photos[:3]
        report_id = phone.report_problem(
            site_id="7d7c4c3a-0000-4000-8000-000000000001",
            category="fire",
            description="  3号楼消防通道堆放杂物  ",
            photo_paths=photos,
            fix=AT_THE_SITE,
        )
        rows = phone.outbox.rows("pending")
        # Photos downscaled on the phone, each queued before the report that names them.
        assert [r.kind for r in rows] == ["photo", "photo", "photo", "intake_report"]
        report_row = rows[-1]
        assert report_row.path == f"/intake/reports/{report_id}" and report_row.method == "PUT"
        assert sorted(report_row.depends_on) == sorted(r.id for r in rows[:3])
        body = json.loads(report_row.body)
        assert body["description"] == "3号楼消防通道堆放杂物" and body["photo_ids"] == [r.id for r in rows[:3]]
        assert (body["lat"], body["lon"]) == (41.7452, 123.4489)
        assert all(phone.store.photo(p)["width"] <= 1600 for p in body["photo_ids"])
        assert all(phone.store.photo(p)["kind"] == "problem" for p in body["photo_ids"])

        shown = phone.my_reports()
        assert [(r["id"], r["status"], r["pending"], r["can_revisit"]) for r in shown] == [
            (report_id, "pending", True, False)
        ]
        assert phone.pending_count() == 4 and phone.store.scalar("SELECT COUNT(*) FROM photo") == 3
    finally:
        phone.close()


def test_a_report_needs_a_category_and_a_description(tmp_path):
    phone = offline_phone(tmp_path)
    try:
        with pytest.raises(RuleViolation) as no_category:
            phone.report_problem(site_id="s", category="noise", description="楼道太吵")
        assert no_category.value.code == "unknown_category"
        with pytest.raises(RuleViolation) as no_words:
            phone.report_problem(site_id="s", category="gas", description="   ")
        assert no_words.value.code == "description_required"
        assert phone.outbox.rows() == [] and phone.my_reports() == []
    finally:
        phone.close()


# ---- against the server ------------------------------------------------------------------------------------


@pytest.fixture
def intake_world(live_server, admin, tmp_path):
    """A site with a grid worker and an officer assigned, and a phone signed in as each."""
    org = admin.org()
    site = admin.site(org, name="富民社区")
    officer = admin.officer([site])
    gridworker = admin.user("gridworker")
    assigned = admin.client.put(f"/sites/{site['id']}/gridworkers/{gridworker.id}")
    assert assigned.status_code == 204, assigned.text
    phones: list[Phone] = []

    def phone(user: Officer, name: str, url: str | None = None) -> Phone:
        p = Phone(tmp_path / name, url or live_server.url, backoff_base=0.05)
        p.sign_in(url or live_server.url, user.username, user.password)
        phones.append(p)
        return p

    yield {"site": site, "officer": officer, "gridworker": gridworker, "phone": phone, "tmp": tmp_path}
    for p in phones:
        p.close()


def report_on_server(admin, report_id: str) -> dict:
    return next(r for r in admin.get("/intake/reports") if r["id"] == report_id)


def test_a_report_made_offline_reaches_the_officer_who_accepts_it(intake_world, admin, proxy):
    w = intake_world
    worker = w["phone"](w["gridworker"], "worker", proxy.url)
    assert worker.signed_in_user()["role"] == "gridworker"
    assert [s["id"] for s in worker.sites()] == [w["site"]["id"]]

    proxy.default = "reset"  # the grid worker is in a basement
    photo = camera_jpeg(w["tmp"] / "cam.jpg", (1200, 900), seed=3)
    report_id = worker.report_problem(
        site_id=w["site"]["id"],
        category="fire",
        description="地下车库消火栓箱被遮挡",
        photo_paths=[photo],
        fix=AT_THE_SITE,
    )
    assert worker.sync_now()["state"] == "offline"
    assert worker.my_reports()[0]["status"] == "pending" and worker.my_reports()[0]["pending"]

    proxy.default = "forward"
    status = worker.sync_now()
    assert status["state"] == "idle" and status["pending"] == 0 and status["needs_attention"] == 0
    stored = report_on_server(admin, report_id)
    assert stored["status"] == "pending" and stored["description"] == "地下车库消火栓箱被遮挡"
    assert len(stored["photo_ids"]) == 1 and (stored["lat"], stored["lon"]) == (41.7452, 123.4489)
    mine = worker.my_reports()
    assert [(r["id"], r["status"], r["pending"]) for r in mine] == [(report_id, "pending", False)]
    assert mine[0]["site_name"] == "富民社区"

    officer = w["phone"](w["officer"], "officer")
    queue = officer.intake_queue()
    assert [r["id"] for r in queue] == [report_id]
    officer.accept_report(report_id, "red")
    # Decided on the phone: it leaves the queue at once and shows as accepted, to send.
    assert officer.intake_queue() == []
    decided = officer.decided_reports()
    assert [(r["status"], r["pending"]) for r in decided] == [("accepted", True)]
    assert officer.sync_now()["needs_attention"] == 0

    stored = report_on_server(admin, report_id)
    assert stored["status"] == "accepted" and stored["hazard_id"]
    hazard = admin.get(f"/hazards/{stored['hazard_id']}")
    assert hazard["severity"] == "red" and hazard["site_id"] == w["site"]["id"] and hazard["category"] == "fire"
    assert [(r["status"], r["pending"]) for r in officer.decided_reports()] == [("accepted", False)]

    worker.sync_now()
    mine = worker.my_reports()
    assert [(r["status"], r["hazard_id"], r["pending"]) for r in mine] == [("accepted", stored["hazard_id"], False)]


def test_the_officer_merges_one_report_and_declines_another_with_a_reason(intake_world, admin):
    w = intake_world
    worker = w["phone"](w["gridworker"], "worker")
    first = worker.report_problem(site_id=w["site"]["id"], category="ebike", description="电动车在楼道充电")
    second = worker.report_problem(site_id=w["site"]["id"], category="gas", description="闻到燃气味，已打119")
    worker.sync_now()

    officer = w["phone"](w["officer"], "officer")
    known = officer.report_hazard(
        site_id=w["site"]["id"], category="ebike", severity="yellow", description="5号楼楼道飞线充电"
    )
    officer.sync_now()
    queue = officer.intake_queue()
    assert {r["id"] for r in queue} == {first, second}
    assert [h["id"] for h in next(r for r in queue if r["id"] == first)["hazards"]] == [known]

    officer.merge_report(first, known)
    officer.decline_report(second, "已由燃气公司现场处置，非本社区隐患")
    assert officer.sync_now()["needs_attention"] == 0
    assert report_on_server(admin, first)["status"] == "merged"
    assert report_on_server(admin, first)["hazard_id"] == known
    declined = report_on_server(admin, second)
    assert declined["status"] == "declined" and declined["decline_reason"] == "已由燃气公司现场处置，非本社区隐患"

    worker.sync_now()
    mine = {r["id"]: r for r in worker.my_reports()}
    assert mine[first]["status"] == "merged"
    assert (mine[second]["status"], mine[second]["decline_reason"]) == (
        "declined",
        "已由燃气公司现场处置，非本社区隐患",
    )


def test_the_reporter_answers_fixed_after_the_hazard_is_closed(intake_world, admin):
    w = intake_world
    worker = w["phone"](w["gridworker"], "worker")
    report_id = worker.report_problem(site_id=w["site"]["id"], category="structure", description="单元门口堆放建筑垃圾")
    worker.sync_now()
    officer = w["phone"](w["officer"], "officer")
    officer.accept_report(report_id, "blue")
    officer.sync_now()
    hazard_id = report_on_server(admin, report_id)["hazard_id"]
    assert officer.hazard(hazard_id) is not None  # the accepted hazard reached the officer's phone
    assert not worker.sync_now()["needs_attention"]
    assert not worker.my_reports()[0]["can_revisit"]  # not before the hazard is closed

    photo = camera_jpeg(w["tmp"] / "fixed.jpg", seed=9)
    officer.record_transition(
        hazard_id, "fix_on_spot", note="已清运", photo_ids=[officer.add_photo(photo, "verification")]
    )
    assert officer.sync_now()["needs_attention"] == 0

    worker.sync_now()
    shown = worker.my_reports()[0]
    assert shown["hazard_status"] == "closed" and shown["can_revisit"]
    until = datetime.fromisoformat(shown["revisit_until"].replace("Z", "+00:00"))
    assert until - datetime.now(UTC) > timedelta(days=13)
    worker.answer_report_revisit(report_id, fixed=True)
    shown = worker.my_reports()[0]
    assert (shown["revisit_answer"], shown["pending"], shown["can_revisit"]) == ("fixed", True, False)
    assert worker.sync_now()["needs_attention"] == 0
    assert report_on_server(admin, report_id)["revisit_answer"] == "fixed"
    assert worker.my_reports()[0]["revisit_answer"] == "fixed"


def test_a_decision_whose_answer_was_lost_is_done_when_sent_again(intake_world, admin, proxy):
    """The server declined the report but its answer never reached the phone; the phone sends the decline
    again, the server refuses it as already handled, and the phone sees that it was its own decision."""
    w = intake_world
    worker = w["phone"](w["gridworker"], "worker")
    report_id = worker.report_problem(site_id=w["site"]["id"], category="elevator", description="2号楼电梯异响")
    worker.sync_now()
    officer = w["phone"](w["officer"], "officer", proxy.url)
    officer.decline_report(report_id, "电梯已由维保单位检修")
    proxy.fault_next("lose_response", match="POST /api/v1/intake/reports")
    assert officer.sync_now()["pending"] == 1 and proxy.injected["lose_response"] == 1
    assert report_on_server(admin, report_id)["status"] == "declined"  # done on the server meanwhile

    status = officer.sync_now()
    assert (status["pending"], status["needs_attention"]) == (0, 0), officer.needs_attention()
    assert [(r["status"], r["decline_reason"], r["pending"]) for r in officer.decided_reports()] == [
        ("declined", "电梯已由维保单位检修", False)
    ]


def test_a_decision_someone_else_made_first_needs_attention(intake_world, admin, live_server):
    w = intake_world
    worker = w["phone"](w["gridworker"], "worker")
    report_id = worker.report_problem(site_id=w["site"]["id"], category="gas", description="燃气表箱门损坏")
    worker.sync_now()
    officer = w["phone"](w["officer"], "officer")
    officer.accept_report(report_id, "yellow")
    # Meanwhile the site's other officer declined it.
    colleague = admin.officer([w["site"]])
    other = Admin.sign_in(live_server.url, colleague.username, colleague.password)
    declined = other.client.post(f"/intake/reports/{report_id}/decline", json={"reason": "重复上报"})
    other.close()
    assert declined.status_code == 200, declined.text
    status = officer.sync_now()
    assert status["needs_attention"] == 1
    refused = officer.needs_attention()[0]
    assert refused["code"] == "intake_not_pending" and refused["status"] == 409
    assert officer.decided_reports()[0]["status"] == "declined"  # the server's decision, after the pull


def test_not_fixed_comes_back_to_the_officer_who_reopens_the_hazard(intake_world, admin):
    w = intake_world
    worker = w["phone"](w["gridworker"], "worker")
    report_id = worker.report_problem(site_id=w["site"]["id"], category="fire", description="灭火器过期未更换")
    worker.sync_now()
    officer = w["phone"](w["officer"], "officer")
    officer.accept_report(report_id, "yellow")
    officer.sync_now()
    hazard_id = report_on_server(admin, report_id)["hazard_id"]
    photo = camera_jpeg(w["tmp"] / "fixed.jpg", seed=11)
    officer.record_transition(hazard_id, "fix_on_spot", photo_ids=[officer.add_photo(photo, "verification")])
    officer.sync_now()

    worker.sync_now()
    worker.answer_report_revisit(report_id, fixed=False, note="灭火器还是过期的")
    assert worker.sync_now()["needs_attention"] == 0
    assert report_on_server(admin, report_id)["revisit_answer"] == "not_fixed"

    officer.sync_now()
    queue = officer.intake_queue()
    assert [(r["kind"], r["hazard_id"], r["description"]) for r in queue] == [
        ("reopen_request", hazard_id, "灭火器还是过期的")
    ]
    officer.accept_report(queue[0]["id"])  # reopening keeps the hazard's severity: none to choose
    assert officer.sync_now()["needs_attention"] == 0
    hazard = admin.get(f"/hazards/{hazard_id}")
    assert hazard["status"] not in ("closed", "cancelled") and hazard["severity"] == "yellow"
