"""kill -9 of the process running the sync engine, at random points, 20 times: after each restart the
outbox drains, nothing is stuck "sending", and the server holds exactly what the phone did."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid

from rulebook.categories import CATEGORIES
from tests.live_server import ROOT
from tests.mobile.helpers import answer_run

ROUNDS = 20


def start_worker(data_dir):
    return subprocess.Popen(
        [sys.executable, "-m", "tests.mobile.sync_worker", str(data_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def kill_at_random_point(worker, rng, items):
    """Let the worker get `k` items accepted (k random, 0..items), wait a random few ms more, kill -9."""
    k = rng.randint(0, items)
    seen = 0
    while seen < k:
        line = worker.stdout.readline()
        if not line or line.startswith("drained"):
            break
        seen += line.startswith("done ") and int(line.split()[1]) > 0
    time.sleep(rng.random() * 0.03)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)
    worker.stdout.close()
    return worker.returncode == -signal.SIGKILL


def queue_some_work(field, phone, rng, n, hazards):
    """One round's work: an inspection with 1–2 failed items (small photos), sometimes a training
    session, sometimes a fix on the spot of an earlier hazard. Returns how many outbox rows."""
    site = field.sites[n % 2]
    run = phone.start_run(site["id"], CATEGORIES[n % len(CATEGORIES)])
    answer_run(phone, run, fail=rng.randint(1, 2), photos=field, photo_size=(48, 36))
    phone.finish_run(run)
    hazards += run.hazard_ids().values()
    rows = len(run.photo_ids()) + 1
    if n % 4 == 0:
        phone.log_training(
            site_id=site["id"],
            held_at="2026-11-20T10:00:00+08:00",
            topics=["fire"],
            trainer="消防站",
            attendee_count=rng.randint(5, 50),
            duration_minutes=30,
        )
        rows += 1
    if n % 3 == 1:
        open_ones = [h for h in hazards if phone.hazard(h)["status"] == "open"]
        photo = field.photo(phone, "verification", (48, 36))
        phone.record_transition(rng.choice(open_ones), "fix_on_spot", photo_ids=[photo])
        rows += 2
    return rows


def test_kill_minus_nine_at_random_points_twenty_times(field):
    seed = int(os.environ.get("KILL_TEST_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    phone = field.phone()
    data_dir = field.tmp / "phone"
    hazards: list[str] = []
    killed_mid_run = interrupted = 0
    for n in range(ROUNDS):
        rows = queue_some_work(field, phone, rng, n, hazards)
        killed_mid_run += kill_at_random_point(start_worker(data_dir), rng, rows)

        worker = start_worker(data_dir)
        output, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0 and "drained" in output, f"seed {seed}, round {n}: {output}"
        interrupted += int(output.split("interrupted ")[1].split()[0]) > 0
        stuck = phone.store.scalar("SELECT COUNT(*) FROM outbox WHERE state != 'done'")
        assert stuck == 0, f"seed {seed}, round {n}: {phone.outbox.rows('pending', 'sending', 'needs_attention')}"
        assert_server_holds_what_the_phone_did(field, phone, hazards, seed, n)
    assert killed_mid_run >= ROUNDS // 2, f"seed {seed}: most kills should land while the worker runs"
    # Some kills must have hit a call in flight (the row left "sending"), or the test proved little.
    assert interrupted >= 3, f"seed {seed}: only {interrupted} kills left a row sending"
    print(f"kill test seed {seed}: {killed_mid_run} kills mid-run, {interrupted} left a call in flight")


def assert_server_holds_what_the_phone_did(field, phone, hazards, seed, n):
    officer = uuid.UUID(field.officer.id).hex
    server = field.server
    expected = {
        "inspection": ({r["id"] for r in phone.store.records("inspection")}, "inspector_id = ?"),
        "training_session": ({r["id"] for r in phone.store.records("training")}, "officer_id = ?"),
        "photo": ({r["id"] for r in phone.store.rows("SELECT id FROM photo")}, "uploaded_by = ?"),
        # The steps the phone sent (a request hash); the history also holds each hazard's creation.
        "hazard_transition": (
            {r["id"] for r in phone.store.records("transition")},
            "actor_id = ? AND request_hash IS NOT NULL",
        ),
        "hazard": (set(hazards), "reported_by = ?"),
    }
    for table, (ids, where) in expected.items():
        on_server = server.ids(table, where, (officer,))
        assert on_server == ids, f"seed {seed}, round {n}: {table} differs"
        assert server.count(table, where, (officer,)) == len(ids)
    closed = {r["hazard_id"] for r in phone.store.records("transition")}
    assert server.count("hazard", "reported_by = ? AND status = 'closed'", (officer,)) == len(closed)
