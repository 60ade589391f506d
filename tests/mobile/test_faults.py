"""Faults between phone and server: 500s, a dead link, an upload cut half-way, an answer lost after the
server did the work. Every time the work arrives exactly once."""

from __future__ import annotations

import hashlib
import time

from tests.mobile.helpers import answer_run


def queue_inspection(field, phone, fail=1, photo_size=(64, 48)):
    run = phone.start_run(field.sites[0]["id"], "gas")
    answer_run(phone, run, fail=fail, photos=field, photo_size=photo_size)
    return phone.finish_run(run), run


def test_500s_back_off_with_growing_waits_then_the_row_goes_once(field, proxy):
    phone = field.phone(proxy.url, backoff_base=1.0)  # waits: 0.5–1 s, then 1–2 s
    inspection_id, _ = queue_inspection(field, phone)
    training_id = phone.log_training(
        site_id=field.sites[1]["id"],
        held_at="2026-11-20T10:00:00+08:00",
        topics=["fire"],
        trainer="李老师",
        attendee_count=12,
        duration_minutes=30,
    )
    proxy.fault_next("500", count=2, match="PUT /api/v1/inspections")
    sent = f"PUT /api/v1/inspections/{inspection_id}"

    before = time.time()
    status = phone.sync_now()
    after = time.time()
    row = phone.outbox.get(inspection_id)
    assert (row.state, row.attempts, row.last_status) == ("pending", 1, 500)
    assert "Injected failure" in row.last_error
    assert phone.outbox.get(training_id).state == "done"  # unrelated work went on
    assert status["pending"] == 1
    # The failure happened between `before` and `after`; the wait chosen was 0.5–1 s.
    assert row.next_attempt_at - before >= 0.5 and row.next_attempt_at - after <= 1.0

    # Not due before its wait is over, due after it (the clock is given, so a busy machine cannot skew this).
    assert phone.outbox.next_due(now=row.next_attempt_at - 0.01) is None
    assert phone.outbox.next_due(now=row.next_attempt_at + 0.01).id == inspection_id
    before = time.time()
    phone.engine.run_once(force=True)  # the second injected 500
    after = time.time()
    row = phone.outbox.get(inspection_id)
    assert (row.state, row.attempts) == ("pending", 2) and proxy.seen[sent] == 2
    assert row.next_attempt_at - before >= 1.0 and row.next_attempt_at - after <= 2.0  # the wait doubled
    phone.engine.run_once(force=True)
    assert phone.outbox.get(inspection_id).state == "done"
    assert proxy.seen[sent] == 3
    assert field.server.count("inspection", "id = ?", (inspection_id.replace("-", ""),)) == 1


def test_backoff_is_exponential_with_jitter(field):
    phone = field.phone(sign_in=False, backoff_base=2, backoff_cap=60)
    waits = [[phone.engine._backoff(n) for _ in range(200)] for n in range(1, 8)]
    for n, series in enumerate(waits, start=1):
        step = min(60, 2 * 2 ** (n - 1))
        assert step / 2 <= min(series) and max(series) <= step
        assert len(set(series)) > 100  # jittered: phones do not retry in lockstep


def test_a_dead_link_stops_the_run_without_burning_every_rows_attempts(field, proxy):
    phone = field.phone(proxy.url)
    for _ in range(3):
        queue_inspection(field, phone)
    proxy.default = "reset"
    status = phone.sync_now()
    assert status["state"] == "offline" and status["pending"] == 6
    assert sorted(r.attempts for r in phone.outbox.rows("pending")) == [0, 0, 0, 0, 0, 1]
    proxy.default = "forward"
    assert phone.sync_now()["pending"] == 0
    assert field.server.count("inspection", "inspector_id = ?", (field.officer.id.replace("-", ""),)) == 3


def test_an_upload_cut_half_way_is_sent_again_whole(field, proxy):
    phone = field.phone(proxy.url)
    inspection_id, run = queue_inspection(field, phone, photo_size=(800, 600))
    [photo_id] = run.photo_ids()
    size = phone.outbox.get(photo_id).bytes
    assert size > 20_000
    proxy.fault_next("cut", match=f"PUT /api/v1/photos/{photo_id}", after=size // 2)

    status = phone.sync_now()
    assert status["state"] == "offline" and phone.outbox.get(photo_id).state == "pending"
    assert phone.outbox.get(inspection_id).attempts == 0  # it waits for its photo
    assert field.server.count("photo", "id = ?", (photo_id.replace("-", ""),)) == 0

    assert phone.sync_now()["pending"] == 0
    original = field.admin.client.get(f"/photos/{photo_id}", params={"size": "original"})
    assert original.status_code == 200
    assert hashlib.sha256(original.content).hexdigest() == phone.store.photo(photo_id)["sha256"]
    assert field.server.count("photo", "id = ?", (photo_id.replace("-", ""),)) == 1


def test_an_answer_lost_after_the_server_did_the_work_is_a_harmless_replay(field, proxy):
    phone = field.phone(proxy.url)
    inspection_id, run = queue_inspection(field, phone, fail=2)
    photo_id = run.photo_ids()[0]
    proxy.fault_next("lose_response", match=f"PUT /api/v1/photos/{photo_id}")
    proxy.fault_next("lose_response", match=f"PUT /api/v1/inspections/{inspection_id}")
    for _ in range(3):
        phone.sync_now()
    assert phone.pending_count() == 0
    assert proxy.injected["lose_response"] == 2
    assert phone.outbox.get(inspection_id).last_status == 200  # the replay's answer
    assert phone.outbox.get(photo_id).last_status == 200
    assert field.server.count("inspection", "id = ?", (inspection_id.replace("-", ""),)) == 1
    assert field.server.count("hazard", "inspection_id = ?", (inspection_id.replace("-", ""),)) == 2
    assert field.server.count("photo", "id = ?", (photo_id.replace("-", ""),)) == 1
