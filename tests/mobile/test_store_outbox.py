"""The local store and outbox without a server: versioned schema, one transaction per record,
dependencies, needs-attention blocking, discarding, recovery of rows left "sending"."""

from __future__ import annotations

import sqlite3
import uuid

import pytest

from mobile.i18n import explain_code
from mobile.services import Phone
from mobile.services.api import Tokens
from mobile.services.outbox import Outbox
from mobile.services.store import SCHEMA_VERSION, Store
from rulebook.categories import PROFILE_FLAGS
from server.checklists.templates import default_checklists_dir, load_templates
from tests.mobile.helpers import camera_jpeg

WIRE = {c: t.model_dump(mode="json") for c, t in load_templates(default_checklists_dir()).items()}
PROFILE = {flag: True for flag in PROFILE_FLAGS}


@pytest.fixture
def phone(tmp_path):
    """A phone that synced once (sites and checklists cached) and is now offline."""
    services = Phone(tmp_path / "phone", "http://127.0.0.1:9", backoff_base=0.01)
    services.store.replace_sites(
        [{"id": str(uuid.uuid4()), "name": "和平社区", "profile": PROFILE, "property_org_id": str(uuid.uuid4())}]
    )
    for template in WIRE.values():
        services.store.save_checklist(template, current=True)
    services.store.put("session", {"me": {"id": str(uuid.uuid4()), "role": "officer"}, "tokens": None})
    yield services
    services.close()


def finished_run(phone, tmp_path, fail=1):
    run = phone.start_run(phone.sites()[0]["id"], "gas")
    for index, item in enumerate(run.applicable_items()):
        if index < fail:
            photo = phone.add_photo(camera_jpeg(tmp_path / f"{uuid.uuid4()}.jpg"), "problem")
            phone.save_answer(run, item["id"], "fail", photo_ids=[photo])
        else:
            phone.save_answer(run, item["id"], "pass")
    return run


def test_schema_is_versioned_and_in_wal_mode(tmp_path):
    store = Store(tmp_path)
    assert store.scalar("PRAGMA user_version") == SCHEMA_VERSION
    assert store.scalar("PRAGMA journal_mode") == "wal"
    store.close()
    Store(tmp_path).close()  # opening again migrates nothing
    with sqlite3.connect(tmp_path / "saferound-phone.db") as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer app"):
        Store(tmp_path)


def test_a_record_and_its_outbox_rows_are_saved_together_or_not_at_all(phone, tmp_path, monkeypatch):
    run = finished_run(phone, tmp_path)
    assert phone.pending_count() == 1  # the photo

    def power_cut(*args, **kwargs):
        raise OSError("battery died")

    monkeypatch.setattr(Outbox, "enqueue", power_cut)
    with pytest.raises(OSError):
        phone.finish_run(run)
    monkeypatch.undo()
    assert phone.store.records("inspection") == [] and phone.hazards() == []
    assert [d["id"] for d in phone.drafts()] == [run.inspection_id]  # the draft is still there
    phone.finish_run(phone.resume_run(run.inspection_id))
    assert len(phone.store.records("inspection")) == 1 and phone.pending_count() == 2


def test_records_wait_for_their_photos_and_transitions_for_their_inspection(phone, tmp_path):
    run = finished_run(phone, tmp_path, fail=2)
    inspection_id = phone.finish_run(run)
    hazard_id = next(iter(run.hazard_ids().values()))
    fixed = phone.add_photo(camera_jpeg(tmp_path / "fixed.jpg"), "verification")
    fix_id = phone.record_transition(hazard_id, "fix_on_spot", photo_ids=[fixed])
    outbox = phone.outbox
    order = []
    while (row := outbox.next_due(ignore_backoff=True)) is not None:
        order.append(row.id)
        with phone.store.write() as tx:
            outbox.mark_done(tx, row.id, status=201, response=None)
    photos = run.photo_ids()
    assert order.index(inspection_id) > max(order.index(p) for p in photos)
    assert order.index(fix_id) > max(order.index(inspection_id), order.index(fixed))
    assert outbox.get(fix_id).depends_on == sorted({inspection_id, fixed})


def test_a_refused_row_blocks_its_dependents_only_and_says_so(phone, tmp_path):
    run = finished_run(phone, tmp_path)
    [photo] = run.photo_ids()
    inspection_id = phone.finish_run(run)
    training_id = phone.log_training(
        site_id=phone.sites()[0]["id"],
        held_at="2026-11-20T10:00:00+08:00",
        topics=["gas"],
        trainer="王",
        attendee_count=3,
        duration_minutes=20,
    )
    phone.outbox.mark_needs_attention(
        photo, status=415, code="unsupported_media_type", message="This file is not a JPEG, PNG or WebP image."
    )
    assert phone.outbox.next_due(ignore_backoff=True).id == training_id
    items = {i["id"]: i for i in phone.needs_attention()}
    assert items[photo]["message"] == "This file is not a JPEG, PNG or WebP image."
    assert items[inspection_id]["state"] == "waiting" and items[inspection_id]["waiting_on"] == photo
    assert phone.pending_count() == 2  # the inspection (waiting) and the training

    assert phone.hazards({"provisional": True})
    assert set(phone.discard_item(photo)) == {photo, inspection_id}  # discarding takes its dependents along
    assert phone.needs_attention() == [] and phone.pending_count() == 1
    assert phone.hazards() == []  # the hazards it would have raised are gone too


def test_rows_left_sending_by_a_killed_process_are_sent_again(phone, tmp_path):
    run = finished_run(phone, tmp_path)
    [photo] = run.photo_ids()
    phone.outbox.mark_sending(photo)
    assert phone.outbox.next_due(ignore_backoff=True) is None  # in flight: not picked twice
    assert phone.outbox.recover_interrupted() == 1
    row = phone.outbox.next_due()
    assert row.id == photo and row.attempts == 1 and row.state == "pending"


def test_drafts_autosave_every_answer(phone, tmp_path):
    run = phone.start_run(phone.sites()[0]["id"], "fire")
    first = run.applicable_items()[0]["id"]
    phone.save_answer(run, first, "na", note="无消防控制室")
    phone.close()
    again = Phone(tmp_path / "phone")
    try:
        resumed = again.start_run(again.sites()[0]["id"], "fire")  # resumes the draft
        assert resumed.inspection_id == run.inspection_id
        assert resumed.answers[first].result == "na" and resumed.answers[first].note == "无消防控制室"
        assert again.drafts()[0]["answered"] == 1
    finally:
        again.close()


def test_a_photo_file_gone_from_the_phone_needs_attention_instead_of_failing_every_sync(phone, tmp_path):
    photo = phone.add_photo(camera_jpeg(tmp_path / "x.jpg"), "scene")
    phone.photo_path(photo).unlink()
    phone.api.tokens = Tokens("access", "refresh", expires_at=1e12)  # signed in; the server is unreachable
    phone.engine.run_once(force=True)
    [item] = phone.needs_attention()
    assert item["id"] == photo and item["code"] == "photo_file_missing"
    assert explain_code(item["code"], item["params"], "zh_CN") == "手机上找不到这张照片的文件；请删除这一项后重新拍照。"
