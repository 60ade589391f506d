"""Notifications through the outbox, against a real SMTP server (aiosmtpd) and an HTTP receiver on loopback."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from server.db import write_unit
from server.hazards.escalation import refresh_escalations
from server.hazards.models import Hazard
from server.notices.models import Notice, NoticeIn
from server.notices.service import issue_notice
from server.notify import events
from server.notify.channels import sign_webhook, webhook_body
from server.notify.delivery import backoff_seconds, deliver_due, warn_deadlines_soon
from server.notify.models import OutboxMessage
from tests.server.notify_receivers import HttpReceiver, SmtpRecorder, self_signed_tls


@pytest.fixture
def smtp():
    recorder = SmtpRecorder().start()
    yield recorder
    recorder.stop()


@pytest.fixture
def receiver():
    r = HttpReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def fast(settings, smtp):
    """Delivery settings for a test: this SMTP server, retries within a fraction of a second."""
    return settings.model_copy(
        update={"smtp_url": smtp.url, "notify_backoff_base_seconds": 0.05, "notify_backoff_max_seconds": 0.2}
    )


def raise_hazard(world, officer, site, severity="yellow", description="消防通道被占用") -> str:
    hazard_id = str(uuid.uuid4())
    response = world.client.put(
        f"/api/v1/hazards/{hazard_id}",
        headers=world.headers(officer),
        json={"site_id": str(site.id), "category": "fire", "severity": severity, "description": description},
    )
    assert response.status_code == 201, response.text
    return hazard_id


def subscribe(world, user, **body) -> dict:
    response = world.client.post("/api/v1/subscriptions", headers=world.headers(user), json=body)
    assert response.status_code == 201, response.text
    return response.json()


def outbox(world) -> list[OutboxMessage]:
    with world.session() as s:
        return list(s.exec(select(OutboxMessage).order_by(OutboxMessage.created_at)).all())


def deliver_until(world, settings, done, timeout=10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deliver_due(world.app.state.engine, settings)
        if done():
            return
        time.sleep(0.05)
    raise AssertionError("not delivered in time")


def test_a_notice_issued_sends_one_mail_and_one_robot_message(world, client, fast, smtp, receiver):
    company = world.org("幸福里物业")
    site = world.site(company, name="幸福里社区")
    officer = world.officer(site)
    admin = world.admin()
    subscribe(
        world,
        admin,
        channel="email",
        target="manager@xingfuli.cn",
        events=["notice_issued"],
        organization_id=str(company.id),
    )
    subscribe(
        world,
        admin,
        channel="wecom",
        target=receiver.url("/wecom"),
        events=["notice_issued"],
        organization_id=str(company.id),
    )
    dingtalk = subscribe(
        world,
        admin,
        channel="dingtalk",
        target=receiver.url("/dingtalk?access_token=t"),
        events=["notice_issued"],
        organization_id=str(company.id),
        secret="SECdingtalk-secret",
    )
    receiver.secrets["/dingtalk"] = "SECdingtalk-secret"
    subscribe(
        world,
        admin,
        channel="email",
        target="other@elsewhere.cn",
        events=["notice_issued"],
        organization_id=str(world.org().id),
    )  # another company hears nothing of this notice
    hazard_id = raise_hazard(world, officer, site)

    notice = client.post(
        "/api/v1/notices",
        headers=world.headers(officer),
        json={"organization_id": str(company.id), "hazard_ids": [hazard_id]},
    )
    assert notice.status_code == 201, notice.text
    number = notice.json()["number"]
    assert [m.status for m in outbox(world)] == ["pending"] * 3  # written with the notice, not yet sent

    assert deliver_due(world.app.state.engine, fast) == 3
    assert deliver_due(world.app.state.engine, fast) == 0  # nothing twice
    [mail] = smtp.mails
    assert mail["To"] == "manager@xingfuli.cn"
    due = datetime.fromisoformat(notice.json()["deadline"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert mail["Subject"] == f"【整改通知书】{number}：1 项隐患，请于 {due:%Y-%m-%d %H:%M} 前整改"
    assert mail["Subject"].startswith(f"【整改通知书】{number}：1 项隐患，请于 ")
    assert "=?utf-8?" in mail.as_string().lower()  # the Chinese subject travelled RFC 2047-encoded
    text = mail.get_content()
    assert "幸福里物业" in text and "幸福里社区" in text and "消防通道被占用" in text
    assert f"/notices/{notice.json()['id']}" in text
    [robot] = receiver.bodies("/wecom")
    assert robot["msgtype"] == "markdown" and number in robot["markdown"]["content"]
    [ding] = receiver.bodies("/dingtalk")
    assert ding["msgtype"] == "markdown" and number in ding["markdown"]["title"]
    assert receiver.refused == []  # the DingTalk signature checked out
    assert "secret" not in client.get("/api/v1/subscriptions", headers=world.headers(admin)).json()["items"][0]
    sent = client.get("/api/v1/deliveries", params={"status": "sent"}, headers=world.headers(admin)).json()
    assert len(sent["items"]) == 3 and {d["event"] for d in sent["items"]} == {"notice_issued"}
    assert dingtalk["id"] in {d["subscription_id"] for d in sent["items"]}


def test_a_rolled_back_change_sends_nothing(world, client, fast, smtp, receiver):
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    subscribe(
        world,
        world.admin(),
        channel="webhook",
        target=receiver.url("/hook"),
        events=["notice_issued"],
        organization_id=str(company.id),
    )
    hazard_id = raise_hazard(world, officer, site)

    class Boom(Exception):
        pass

    with world.session() as session, pytest.raises(Boom), write_unit(session):
        issue_notice(
            session=session,
            settings=fast,
            registry=world.app.state.checklists,
            user=officer,
            notice_id=uuid.uuid4(),
            data=NoticeIn(organization_id=company.id, hazard_ids=[uuid.UUID(hazard_id)]),
        )
        assert len(session.exec(select(OutboxMessage)).all()) == 1  # written inside the unit of work…
        raise Boom  # …which then fails
    with world.session() as session:
        assert session.exec(select(Notice)).all() == []
    assert outbox(world) == []
    assert deliver_due(world.app.state.engine, fast) == 0
    assert receiver.received == [] and smtp.mails == []


def test_a_receiver_failing_three_times_then_succeeding_gets_exactly_one_delivery(world, client, fast, receiver):
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    admin = world.admin()
    hook = subscribe(
        world,
        admin,
        channel="webhook",
        target=receiver.url("/hook"),
        events=["notice_issued"],
        organization_id=str(company.id),
    )
    receiver.secrets["/hook"] = hook["secret"]  # generated and shown once
    receiver.fail_next = 3
    hazard_id = raise_hazard(world, officer, site)
    notice = client.post(
        "/api/v1/notices",
        headers=world.headers(officer),
        json={"organization_id": str(company.id), "hazard_ids": [hazard_id]},
    ).json()

    deliver_until(world, fast, lambda: len(receiver.accepted) == 1)
    [message] = outbox(world)
    assert message.status == "sent" and message.attempts == 4 and message.last_error is None
    assert len(receiver.received) == 4 and receiver.refused == []
    assert list(receiver.accepted) == [str(message.id)]  # the idempotency key is the message id
    body = receiver.received[-1].json()
    assert body["event"] == "notice_issued" and body["id"] == str(message.id)
    assert body["data"]["notice_id"] == notice["id"] and body["data"]["hazard_ids"] == [hazard_id]
    assert datetime.fromisoformat(body["occurred_at"]).tzinfo is not None
    headers = {k.lower(): v for k, v in receiver.received[-1].headers.items()}
    assert headers["x-saferound-timestamp"].isdigit() and len(headers["x-saferound-signature"]) == 64


def test_a_message_dies_after_its_window_and_an_admin_retries_it(world, client, fast, receiver):
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    admin = world.admin()
    subscribe(
        world,
        admin,
        channel="webhook",
        target=receiver.url("/hook"),
        events=["notice_issued"],
        organization_id=str(company.id),
    )
    receiver.fail_next = 10_000
    hazard_id = raise_hazard(world, officer, site)
    client.post(
        "/api/v1/notices",
        headers=world.headers(officer),
        json={"organization_id": str(company.id), "hazard_ids": [hazard_id]},
    )
    brief = fast.model_copy(update={"notify_give_up_seconds": 0.3})

    deliver_until(world, brief, lambda: outbox(world)[0].status == "dead")
    dead = client.get("/api/v1/deliveries", params={"status": "dead"}, headers=world.headers(admin)).json()
    [item] = dead["items"]
    assert item["last_error"].startswith("HTTP 500") and item["attempts"] >= 2 and dead["next_cursor"] is None
    staff = world.user("property", company)
    assert client.get("/api/v1/deliveries", headers=world.headers(staff)).status_code == 403

    receiver.fail_next = 0
    retried = client.post(f"/api/v1/deliveries/{item['id']}/retry", headers=world.headers(admin))
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    assert deliver_due(world.app.state.engine, brief) == 1
    assert len(receiver.accepted) == 1
    again = client.post(f"/api/v1/deliveries/{item['id']}/retry", headers=world.headers(admin))
    assert again.status_code == 409 and again.json()["code"] == "delivery_already_sent"
    missing = client.post(f"/api/v1/deliveries/{uuid.uuid4()}/retry", headers=world.headers(admin))
    assert missing.status_code == 404


def test_subscriptions_a_company_manages_only_its_own(world, client):
    company, other = world.org(), world.org()
    staff, stranger = world.user("property", company), world.user("property", other)
    mine = subscribe(world, staff, channel="email", target="ops@company.cn", events=["notice_issued", "deadline_soon"])
    assert mine["organization_id"] == str(company.id) and mine["secret"] is None
    refused = client.post(
        "/api/v1/subscriptions",
        headers=world.headers(staff),
        json={"channel": "email", "target": "x@y.cn", "events": ["notice_issued"], "organization_id": str(other.id)},
    )
    assert refused.status_code == 422 and refused.json()["code"] == "subscription_own_only"
    bad = client.post(
        "/api/v1/subscriptions",
        headers=world.headers(staff),
        json={"channel": "wecom", "target": "not-a-url", "events": ["notice_issued"]},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "bad_subscription_target"
    zh = client.post(
        "/api/v1/subscriptions",
        headers={**world.headers(staff), "Accept-Language": "zh"},
        json={"channel": "wecom", "target": "not-a-url", "events": ["notice_issued"]},
    )
    assert "群机器人" in zh.json()["detail"]
    assert client.get("/api/v1/subscriptions", headers=world.headers(stranger)).json()["items"] == []
    assert client.delete(f"/api/v1/subscriptions/{mine['id']}", headers=world.headers(stranger)).status_code == 404
    assert client.delete(f"/api/v1/subscriptions/{mine['id']}", headers=world.headers(staff)).status_code == 204
    assert client.get("/api/v1/subscriptions", headers=world.headers(staff)).json()["items"] == []


def test_escalation_evidence_and_deadlines_reach_the_right_people(world, client, fast, receiver):
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    admin, staff = world.admin(), world.user("property", company)
    every = ["notice_issued", "deadline_soon", "escalated", "evidence_submitted", "weekly_report"]
    subscribe(world, admin, channel="webhook", target=receiver.url("/officer"), events=every, user_id=str(officer.id))
    subscribe(
        world, admin, channel="webhook", target=receiver.url("/company"), events=every, organization_id=str(company.id)
    )
    subscribe(world, admin, channel="webhook", target=receiver.url("/street"), events=every, street=site.street)
    subscribe(world, admin, channel="webhook", target=receiver.url("/district"), events=every)
    hazard_id = raise_hazard(world, officer, site, severity="red")
    notice = client.post(
        "/api/v1/notices",
        headers=world.headers(officer),
        json={"organization_id": str(company.id), "hazard_ids": [hazard_id]},
    ).json()
    client.post(f"/api/v1/notices/{notice['id']}/acknowledge", headers=world.headers(staff))
    hazard = client.get(f"/api/v1/hazards/{hazard_id}", headers=world.headers(staff)).json()
    step = client.put(
        f"/api/v1/hazards/{hazard_id}/transitions/{uuid.uuid4()}",
        headers=world.headers(staff),
        json={
            "action": "submit_evidence",
            "base_version": hazard["version"],
            "note": "已清理",
            "photo_ids": [world.photo(staff, kind="rectification")],
        },
    )
    assert step.status_code in (200, 201), step.text

    with world.session() as s:  # due in 10 hours, then overdue by 1 day, then by 4
        h = s.get(Hazard, uuid.UUID(hazard_id))
        h.deadline = datetime.now(UTC) + timedelta(hours=10)
        s.add(h)
        s.commit()
    assert warn_deadlines_soon(world.app.state.engine, fast) == 2  # company and officer
    assert warn_deadlines_soon(world.app.state.engine, fast) == 0  # once per deadline
    for days in (1, 4):
        with world.session() as s:
            h = s.get(Hazard, uuid.UUID(hazard_id))
            h.deadline = datetime.now(UTC) - timedelta(days=days)
            s.add(h)
            s.commit()
            refresh_escalations(session=s, settings=fast)
    with world.session() as s:
        events.weekly_report_ready(session=s, settings=fast, week="2026-W48")
        s.commit()
    deliver_until(world, fast, lambda: all(m.status == "sent" for m in outbox(world)))

    def heard(path):
        return sorted((b["event"], b["data"].get("escalation_level")) for b in receiver.bodies(path))

    assert heard("/company") == [("deadline_soon", 0), ("notice_issued", None)]
    assert heard("/officer") == [("deadline_soon", 0), ("escalated", 1), ("evidence_submitted", 0)]
    assert heard("/street") == [("escalated", 1), ("weekly_report", None)]
    assert heard("/district") == [("escalated", 2), ("weekly_report", None)]


def test_quiet_hours_hold_messages_to_people_except_for_red_hazards(world, fast):
    night = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    quiet = fast.model_copy(update={"quiet_hours": "22:00-07:00"})
    assert events.quiet_hours_end(night, quiet) == datetime(2026, 11, 26, 23, 0, tzinfo=UTC)  # 07:00 local
    assert events.quiet_hours_end(night.replace(hour=3), quiet) is None  # 11:30 local
    assert events.quiet_hours_end(night, fast) is None  # no quiet hours set
    company = world.org()
    admin = world.admin()
    subscribe(world, admin, channel="email", target="a@b.cn", events=["weekly_report"])
    subscribe(world, admin, channel="webhook", target="http://127.0.0.1:9/hook", events=["weekly_report"])
    with world.session() as s:
        subs = events.subscribers(s, "weekly_report", events.district_coordinators())
        events.enqueue(
            s,
            quiet,
            event="weekly_report",
            event_key="w",
            subscriptions=subs,
            params={"week": "W", "link": ""},
            data={},
            now=night,
        )
        events.enqueue(
            s,
            quiet,
            event="weekly_report",
            event_key="red",
            subscriptions=subs,
            params={"week": "W", "link": ""},
            data={},
            urgent=True,
            now=night,
        )
        s.commit()
        rows = {(m.event_key, m.channel): m.next_attempt_at for m in s.exec(select(OutboxMessage)).all()}
    assert rows[("w", "email")] == datetime(2026, 11, 26, 23, 0, tzinfo=UTC)
    assert rows[("w", "webhook")] == night  # machines have no night
    assert rows[("red", "email")] == night
    assert company.id  # (the company exists only to show subscriptions are not global)


def test_backoff_grows_exponentially_with_jitter_and_a_cap(fast):
    slow = fast.model_copy(update={"notify_backoff_base_seconds": 30, "notify_backoff_max_seconds": 3600})
    for attempts, ceiling in ((1, 30), (2, 60), (3, 120), (8, 3600), (20, 3600)):
        delays = {backoff_seconds(attempts, slow) for _ in range(20)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays) and len(delays) > 1


def test_mail_goes_over_starttls_with_a_login_when_the_url_asks_for_it(world, client, settings, tmp_path, monkeypatch):
    tls, cert = self_signed_tls(tmp_path)
    smtp = SmtpRecorder(tls=tls, login=("notice-bot", "p@ss:word")).start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", cert)  # the client trusts this test certificate, and checks it
        company = world.org()
        subscribe(
            world, world.admin(), channel="email", target="zhang@wuye.cn", events=["weekly_report"], language="en"
        )
        with world.session() as s:
            events.weekly_report_ready(session=s, settings=settings, week="2026-W48")
            s.commit()
        url = f"smtp://notice-bot:p%40ss%3Aword@127.0.0.1:{smtp.port}?starttls=1"
        plain = f"smtp://notice-bot:p%40ss%3Aword@127.0.0.1:{smtp.port}"
        assert deliver_due(world.app.state.engine, settings.model_copy(update={"smtp_url": plain})) == 0
        assert "AUTH" in outbox(world)[0].last_error and smtp.mails == []  # no login in the clear
        with world.session() as s:
            s.exec(select(OutboxMessage)).one().next_attempt_at = datetime.now(UTC)
            s.commit()
        assert deliver_due(world.app.state.engine, settings.model_copy(update={"smtp_url": url})) == 1
        [mail] = smtp.mails
        assert smtp.logins == ["notice-bot"] and mail["Subject"] == "[Weekly report] 2026-W48 is ready"
        assert company.id
    finally:
        smtp.stop()


def test_the_readme_recipe_verifies_what_the_server_signs():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("**Verifying a SafeRound webhook.**") :]
    recipe = section[section.index("```python\n") + 10 : section.index("```\n", section.index("```python"))]
    namespace: dict = {}
    exec(recipe, namespace)  # noqa: S102 (our own README)
    verify = namespace["verify"]
    message = OutboxMessage(
        id=uuid.uuid4(),
        event="notice_issued",
        event_key="k",
        subscription_id=uuid.uuid4(),
        channel="webhook",
        target="http://x",
        payload={"data": {"number": "SR-2026-000001", "单位": "幸福里物业"}},
        occurred_at=datetime.now(UTC),
        next_attempt_at=datetime.now(UTC),
        window_started_at=datetime.now(UTC),
    )
    body, stamp = webhook_body(message), str(int(time.time()))
    signature = sign_webhook("s3cret-for-tests", stamp, body)
    assert verify("s3cret-for-tests", stamp, signature, body)
    assert not verify("s3cret-for-tests", stamp, signature, body.replace(b"000001", b"000002"))
    assert not verify("another-secret!", stamp, signature, body)
    old = str(int(time.time()) - 600)
    assert not verify("s3cret-for-tests", old, sign_webhook("s3cret-for-tests", old, body), body)


def test_a_hazard_found_long_overdue_tells_level_1_and_level_2_people(world, client, fast, receiver):
    site = world.site(world.org())
    officer = world.officer(site)
    admin = world.admin()
    subscribe(
        world, admin, channel="webhook", target=receiver.url("/officer"), events=["escalated"], user_id=str(officer.id)
    )
    subscribe(world, admin, channel="webhook", target=receiver.url("/district"), events=["escalated"])
    hazard_id = raise_hazard(world, officer, site, severity="blue")
    with world.session() as s:
        h = s.get(Hazard, uuid.UUID(hazard_id))
        h.deadline = datetime.now(UTC) - timedelta(days=5)  # e.g. the server was down: 0 -> 2 in one round
        s.add(h)
        s.commit()
        assert refresh_escalations(session=s, settings=fast) == 1
    assert deliver_due(world.app.state.engine, fast) == 2
    assert [b["data"]["escalation_level"] for b in receiver.bodies("/officer")] == [1]
    assert [b["data"]["escalation_level"] for b in receiver.bodies("/district")] == [2]
