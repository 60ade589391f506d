"""The outbox across real server processes: a kill -9 during delivery, and three workers sending once."""

from __future__ import annotations

import os
import threading
import time
import uuid

import httpx

from tests.live_server import PASSWORD, Admin, LiveServer
from tests.pg import free_port
from tests.server.notify_receivers import HttpReceiver

FAST = {
    "notify_interval_seconds": "0.2",
    "notify_backoff_base_seconds": "0.2",
    "notify_backoff_max_seconds": "0.5",
}


def wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError(f"not reached in {timeout} s")


def issue_notices(client: httpx.Client, site_id: str, org_id: str, count: int) -> list[str]:
    """`count` hazards, each in a notice of its own: one committed notice_issued event each."""
    notices = []
    for _ in range(count):
        hazard_id = str(uuid.uuid4())
        raised = client.put(
            f"/api/v1/hazards/{hazard_id}",
            json={"site_id": site_id, "category": "fire", "severity": "yellow", "description": "楼道堆放杂物"},
        )
        assert raised.status_code == 201, raised.text
        notice = client.post("/api/v1/notices", json={"organization_id": org_id, "hazard_ids": [hazard_id]})
        assert notice.status_code == 201, notice.text
        notices.append(notice.json()["id"])
    return notices


def test_kill_9_during_delivery_then_restart_delivers_every_committed_event_once(tmp_path):
    receiver = HttpReceiver(hold=threading.Event()).start()  # requests wait: the kill lands mid-delivery
    server = LiveServer.start(tmp_path / "server", **FAST)
    try:
        admin = server.admin()
        org = admin.org()
        site = admin.site(org)
        officer = admin.officer([site])
        hook = admin.client.post(
            "/subscriptions",
            json={
                "channel": "webhook",
                "target": receiver.url("/hook"),
                "events": ["notice_issued"],
                "organization_id": org["id"],
            },
        ).json()
        receiver.secrets["/hook"] = hook["secret"]
        officer_client = Admin.sign_in(server.url, officer.username, PASSWORD).client
        officer_client.base_url = server.url
        notices = issue_notices(officer_client, site["id"], org["id"], 20)
        wait_for(lambda: receiver.arrived >= 1)  # the delivery job is sending…

        server.process.kill()  # …kill -9
        server.process.wait(10)
        receiver.hold.set()  # the held requests complete; their sender never hears the answer
        assert server.count("outbox_message") == 20
        assert server.count("outbox_message", "status = 'sent'") < 20

        server.serve()
        wait_for(lambda: server.count("outbox_message", "status = 'sent'") == 20)
        assert set(receiver.accepted) == server.ids("outbox_message")  # every committed event, each once
        assert {b["data"]["notice_id"] for b in receiver.bodies("/hook")} == set(notices)
        assert receiver.replays >= 1  # the messages in flight at the kill came again under the same key
        assert receiver.refused == []
    finally:
        server.stop()
        receiver.stop()


def test_three_workers_send_each_message_once(world, client, settings, db_url):
    receiver = HttpReceiver().start()
    company = world.org()
    site = world.site(company)
    officer = world.officer(site)
    hook = client.post(
        "/api/v1/subscriptions",
        headers=world.headers(world.admin()),
        json={
            "channel": "webhook",
            "target": receiver.url("/hook"),
            "events": ["notice_issued"],
            "organization_id": str(company.id),
        },
    ).json()
    receiver.secrets["/hook"] = hook["secret"]
    client.headers.update(world.headers(officer))
    notices = issue_notices(client, str(site.id), str(company.id), 12)  # queued; this app does not deliver

    env = {
        **os.environ,
        "SAFEROUND_DATABASE_URL": db_url,
        "SAFEROUND_DATA_DIR": str(settings.data_dir),
        "SAFEROUND_SECRET_KEY": settings.secret_key,
        **{f"SAFEROUND_{k.upper()}": v for k, v in FAST.items()},
    }
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    server = LiveServer(data_dir=settings.data_dir, port=free_port(), env=env)
    server.serve(workers=3)
    try:
        wait_for(lambda: server.log_path.read_text().count("Application startup complete.") == 3)
        wait_for(lambda: len(receiver.accepted) == 12)
        time.sleep(1.5)  # several more rounds of every worker: nobody sends anything again
        assert len(receiver.received) == 12 and receiver.replays == 0 and receiver.refused == []
        assert {b["data"]["notice_id"] for b in receiver.bodies("/hook")} == set(notices)
    finally:
        server.stop()
        receiver.stop()
