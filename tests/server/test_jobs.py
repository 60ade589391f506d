"""Background jobs run once however many workers serve: `saferound serve --workers 3`, a real process tree."""

from __future__ import annotations

import os
import re
import signal
import time
import uuid
from datetime import timedelta

import httpx

from server.common import utcnow
from server.hazards.models import Hazard
from server.jobs import make_lease
from tests.live_server import LiveServer
from tests.pg import free_port

LEADS = re.compile(r"Process (\d+) now runs the background jobs \(escalation every 1 s[^)]*\)\.")


def raise_hazard(world, officer, site) -> str:
    hazard_id = str(uuid.uuid4())
    response = world.client.put(
        f"/api/v1/hazards/{hazard_id}",
        headers=world.headers(officer),
        json={"site_id": str(site.id), "category": "fire", "severity": "red", "description": "消防通道被占用"},
    )
    assert response.status_code == 201, response.text
    return hazard_id


def set_deadline(world, hazard_id: str, days_ago: float) -> None:
    with world.session() as s:
        hazard = s.get(Hazard, uuid.UUID(hazard_id))
        hazard.deadline = utcnow() - timedelta(days=days_ago)
        s.add(hazard)
        s.commit()


def escalations(server: LiveServer, headers, hazard_ids) -> dict[str, list[tuple[str, str]]]:
    """Each hazard's escalation steps as its history on the server shows them."""
    seen = {}
    for hazard_id in hazard_ids:
        response = httpx.get(f"{server.url}/api/v1/hazards/{hazard_id}", headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        seen[hazard_id] = [
            (e["from_state"], e["to_state"]) for e in response.json()["history"] if e["action"] == "escalate"
        ]
    return seen


def wait_for(condition, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError(f"not reached in {timeout} s")


def test_three_workers_escalate_each_hazard_once_and_a_survivor_takes_over(world, settings, db_url):
    site = world.site(world.org())
    officer = world.officer(site)
    late, very_late, due_later = (raise_hazard(world, officer, site) for _ in range(3))
    set_deadline(world, late, 1)
    set_deadline(world, very_late, 4)
    hazards = (late, very_late, due_later)

    env = {
        **os.environ,
        "SAFEROUND_DATABASE_URL": db_url,
        "SAFEROUND_DATA_DIR": str(settings.data_dir),
        "SAFEROUND_SECRET_KEY": settings.secret_key,
        "SAFEROUND_ESCALATION_INTERVAL_SECONDS": "1",
    }
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    server = LiveServer(data_dir=settings.data_dir, port=free_port(), env=env)
    server.serve(workers=3)
    try:
        log = lambda: server.log_path.read_text()  # noqa: E731
        wait_for(lambda: log().count("Application startup complete.") == 3)
        headers = world.headers(officer)
        wait_for(
            lambda: (
                escalations(server, headers, hazards) == {late: [("0", "1")], very_late: [("0", "2")], due_later: []}
            )
        )
        time.sleep(1.5)  # more rounds (every 1 s): none of the three workers adds a second event
        assert escalations(server, headers, hazards) == {late: [("0", "1")], very_late: [("0", "2")], due_later: []}
        [leader] = LEADS.findall(log())  # one worker leads; the other two never do

        os.kill(int(leader), signal.SIGKILL)  # the leader dies; a survivor takes the lease over
        set_deadline(world, late, 4)
        set_deadline(world, due_later, 1)
        wait_for(
            lambda: (
                escalations(server, headers, hazards)
                == {late: [("0", "1"), ("1", "2")], very_late: [("0", "2")], due_later: [("0", "1")]}
            )
        )
        time.sleep(1.5)
        assert escalations(server, headers, hazards) == {
            late: [("0", "1"), ("1", "2")],
            very_late: [("0", "2")],
            due_later: [("0", "1")],
        }
        leaders = LEADS.findall(log())
        assert len(leaders) == 2 and leaders[0] == leader and leaders[1] != leader
    finally:
        server.stop()


def test_one_process_holds_the_lease_at_a_time_and_the_next_gets_it_when_freed(settings):
    first, second = make_lease(settings), make_lease(settings)
    try:
        assert first.hold() and not second.hold()
        assert first.hold() and not second.hold()  # each tick: the holder keeps it, the other keeps asking
        if settings.resolved_database_url.startswith("sqlite"):
            assert (settings.data_dir / "jobs.lock").read_text() == f"{os.getpid()}\n"  # who runs the jobs
        first.release()
        assert second.hold()
    finally:
        first.release()
        second.release()
