"""The phone's one sync scheduler against a real server: syncs nobody asked for report their progress
like any other, and "Sync now" during a sync waits for it instead of running beside it."""

from __future__ import annotations

import threading
import time

from tests.mobile.helpers import answer_run


def server_get(field, path, **params):
    return field.admin.get(path, **params)


def runs_of(events):
    """The listener's events cut into runs: each run ends with its phase "done" event."""
    runs, current = [], []
    for event in events:
        current.append(event)
        if event["phase"] == "done":
            runs.append(current)
            current = []
    return runs


def test_a_background_sync_reports_its_progress_to_listeners(field):
    phone = field.phone()
    events: list[dict] = []
    first_pull, go_on, sent = threading.Event(), threading.Event(), threading.Event()

    def listen(p):
        events.append({"phase": p.phase, "state": p.state, "done": p.done, "total": p.total})
        if p.phase == "pull" and not first_pull.is_set():
            first_pull.set()
            go_on.wait(20)  # the first automatic run waits here while the officer works
        if p.phase == "done" and p.total == 3:
            sent.set()

    phone.add_sync_listener(listen)
    phone.start_sync(interval=30)
    try:
        assert first_pull.wait(20), "syncing automatically should start with a run"
        # Meanwhile the officer finishes an inspection with two failed items: two photos and the inspection.
        run = phone.start_run(field.sites[0]["id"], "gas")
        answer_run(phone, run, fail=2, photos=field)
        inspection_id = phone.finish_run(run)
        go_on.set()
        assert sent.wait(20), "the saved work should be sent without anyone asking"
    finally:
        go_on.set()
        phone.stop_sync()

    first, second = runs_of(events)[:2]
    assert [e["phase"] for e in first] == ["push", "pull", "done"]
    # The run the saved work started: every item sent moves the listener on, 0 → 3 of 3, then done.
    dones = [e["done"] for e in second if e["phase"] == "push"]
    assert dones == sorted(dones) and set(dones) == {0, 1, 2, 3}
    assert {e["total"] for e in second} == {3}
    assert second[-1] == {"phase": "done", "state": "idle", "done": 3, "total": 3}
    assert server_get(field, f"/inspections/{inspection_id}")["id"] == inspection_id
    assert phone.sync_status()["pending"] == 0


def test_sync_now_during_a_background_sync_waits_for_it_instead_of_running_beside_it(field, proxy):
    phone = field.phone(proxy.url)
    run = phone.start_run(field.sites[0]["id"], "gas")
    answer_run(phone, run, fail=1, photos=field)
    inspection_id = phone.finish_run(run)  # two items to send: the photo, then the inspection
    assert phone.pending_count() == 2

    marks: list[str] = []
    held, release = threading.Event(), threading.Event()

    def listen(p):
        if p.phase == "push" and p.done == 0 and not p.current:
            marks.append("start")
        if p.phase == "done":
            marks.append("end")
        if p.phase == "push" and p.done == 1 and not held.is_set():
            held.set()
            release.wait(20)  # the background run is half-way: one item sent, one to go

    phone.add_sync_listener(listen)
    phone.start_sync(interval=30)
    statuses: list[dict] = []
    try:
        assert held.wait(20), "the background sync should start by itself"
        requests_then = sum(proxy.seen.values())
        # The officer taps "Sync now", more than once, while the background sync is going on.
        tapper = threading.Thread(target=lambda: statuses.append(phone.sync_now()))
        tapper.start()
        phone.request_sync()
        phone.request_sync()
        time.sleep(1.0)
        assert marks == ["start"], "no second sync may start while one is running"
        assert sum(proxy.seen.values()) == requests_then, "nothing else may reach the server meanwhile"
        assert tapper.is_alive() and phone.sync_busy()
        release.set()
        tapper.join(30)
    finally:
        release.set()
        phone.stop_sync()

    # The background run finished, then ONE more run for every tap, one after the other.
    assert marks == ["start", "end", "start", "end"]
    assert phone.scheduler.runs_started == 2
    [status] = statuses
    assert status["state"] == "idle" and status["pending"] == 0
    assert server_get(field, f"/inspections/{inspection_id}")["id"] == inspection_id
