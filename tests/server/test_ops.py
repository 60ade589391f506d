"""Operations: /healthz, /readyz (database, schema, photo store) and /metrics, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.engine import make_url

from server.common import utcnow
from server.main import create_app
from server.notify.models import OutboxMessage, Subscription
from tests.conftest import ENGLISH
from tests.factories import small_jpeg
from tests.pg import free_port
from tests.s3_server import MotoServer

TOKEN = "scrape-" + uuid.uuid4().hex
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"metrics_token": TOKEN, "metrics_photo_bytes_cache_seconds": 0})


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=SCRAPE)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


# ---- health and readiness ------------------------------------------------------------------------------------


def test_alive_and_ready_when_database_schema_and_photo_store_answer(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "photo_store": "ok"}
    assert ready.json()["detail"] == "Ready: the database, the photo store and the schema are all fine."


def _make_database_gone(db_url: str) -> None:
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(url.database + suffix).unlink(missing_ok=True)
        return
    with psycopg.connect(f"host={url.host} port={url.port} user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {url.database} WITH (FORCE)")


def test_not_ready_when_the_database_is_gone_but_still_alive(client, db_url):
    _make_database_gone(db_url)
    ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["failed"] == ["database"] and body["code"] == "ready_database_down"
    assert body["detail"].startswith("The database cannot be reached (")
    assert "SAFEROUND_DATABASE_URL" in body["detail"]
    assert client.get("/healthz").status_code == 200  # alive: a restart would not help


def test_not_ready_when_the_schema_is_behind_the_release(client):
    with client.app.state.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0008'"))
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["failed"] == ["database"]
    assert ready.json()["detail"].startswith("The database schema is at version 0008 but this release needs 00")
    assert "saferound init-db" in ready.json()["detail"]
    zh = client.get("/readyz", headers={"Accept-Language": "zh-CN"}).json()["detail"]
    assert zh.startswith("数据库结构版本为 0008")


def test_not_ready_when_the_photo_folder_cannot_be_written(settings):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.photos_dir.write_text("a file where the photo folder should be")  # unwritable even as root
    with TestClient(create_app(settings), headers=ENGLISH) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["failed"] == ["photo_store"]
    assert ready.json()["detail"].startswith("The photo store cannot be written or reached (")


@pytest.fixture(scope="module")
def s3():
    server = MotoServer()
    server.create_bucket("saferound-photos")
    yield server
    server.stop()


def test_ready_on_a_bucket_that_answers_and_not_when_the_endpoint_is_down(settings, s3):
    up = settings.model_copy(update={"photo_store": "s3://saferound-photos/ready", **s3.settings()})
    with TestClient(create_app(up), headers=ENGLISH) as client:
        assert client.get("/readyz").status_code == 200
    down = up.model_copy(update={"s3_endpoint_url": f"http://127.0.0.1:{free_port()}"})  # nothing listens
    with TestClient(create_app(down), headers=ENGLISH) as client:
        started = time.monotonic()
        ready = client.get("/readyz")
        assert time.monotonic() - started < down.readiness_timeout_seconds + 5  # bounded, even on a busy machine
    assert ready.status_code == 503 and ready.json()["failed"] == ["photo_store"]
    assert ready.json()["checks"]["database"] == "ok"


# ---- metrics ---------------------------------------------------------------------------------------------------


def test_metrics_label_requests_by_route_template_and_count_statuses(world, client):
    officer = world.officer(world.site(world.org()))
    before = samples(client)
    missing = [uuid.uuid4() for _ in range(3)]
    for hazard_id in missing:
        assert client.get(f"/api/v1/hazards/{hazard_id}", headers=world.headers(officer)).status_code == 404
    assert client.get(f"/api/v1/hazards/{uuid.uuid4()}").status_code == 401
    after = samples(client)
    route = "/api/v1/hazards/{hazard_id}"
    for code, count in (("404", 3), ("401", 1)):
        labels = {"route": route, "method": "GET", "code": code, "status_class": "4xx"}
        assert (
            value(after, "saferound_http_responses_total", **labels)
            - value(before, "saferound_http_responses_total", **labels)
            == count
        )
    latency = "saferound_http_request_duration_seconds_count"
    assert value(after, latency, route=route, method="GET") - value(before, latency, route=route, method="GET") == 4
    text_body = client.get("/metrics", headers=SCRAPE).text
    assert not any(str(hazard_id) in text_body for hazard_id in missing)  # no ids in labels


def test_metrics_need_the_token_or_a_loopback_caller(client, settings):
    refused = client.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401 and refused.json()["code"] == "metrics_token_required"
    open_settings = settings.model_copy(update={"metrics_token": None})
    with TestClient(create_app(open_settings), headers=ENGLISH) as remote:  # the test client is not loopback
        answer = remote.get("/metrics")
    assert answer.status_code == 403 and "127.0.0.1" in answer.json()["detail"]


def test_metrics_show_the_outbox_backlog_and_photo_bytes_stored(world, client):
    admin = world.admin()
    assert value(samples(client), "saferound_photo_bytes_stored") == 0
    world.photo(admin, kind="problem")
    with world.session() as s:
        (stored,) = s.exec(text("SELECT size_bytes FROM photo")).one()
    subscription = world._add(
        Subscription(
            channel="webhook", target="https://example.invalid/hook", events=["notice_issued"], created_by=admin.id
        )
    )
    now = utcnow()
    for minutes_ago in (10, 1, -30):  # two due (the oldest for ten minutes), one due in half an hour
        at = now - timedelta(minutes=minutes_ago)
        world._add(
            OutboxMessage(
                id=uuid.uuid4(),
                event="notice_issued",
                event_key=uuid.uuid4().hex,
                subscription_id=subscription.id,
                channel="webhook",
                target=subscription.target,
                payload={},
                occurred_at=at,
                next_attempt_at=at,
                window_started_at=at,
            )
        )
    found = samples(client)
    assert value(found, "saferound_photo_bytes_stored") == stored > len(small_jpeg()) // 2
    assert value(found, "saferound_outbox_pending_messages") == 3
    assert 600 <= value(found, "saferound_outbox_oldest_due_seconds") < 660


def test_metrics_say_how_long_since_each_background_job_succeeded(settings):
    started = time.time()
    with TestClient(create_app(settings.model_copy(update={"escalation_interval_seconds": 3600}))) as client:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = samples(client)
            if ("saferound_job_lag_seconds", (("job", "escalation"),)) in found:
                break
            time.sleep(0.1)
        assert 0 <= value(found, "saferound_job_lag_seconds", job="escalation") < 20
        assert value(found, "saferound_job_last_success_timestamp_seconds", job="escalation") > time.time() - 20
        # The weekly reports are off in these settings: they did not run in this app (the gauge is the
        # process's, so an earlier test's app may have left a timestamp from before this one started).
        weekly = ("saferound_job_last_success_timestamp_seconds", (("job", "weekly reports"),))
        assert weekly not in found or found[weekly] < started


def test_a_database_that_hangs_fails_readiness_within_the_time_limit(settings):
    """A listener that never answers (a dropped route looks like this): the probe answers in time, once."""
    import asyncio
    import socket

    from server.db import make_engine
    from server.ops.health import readiness

    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(8)
        engine = make_engine(f"postgresql+psycopg://saferound@127.0.0.1:{hole.getsockname()[1]}/saferound")
        quick = settings.model_copy(update={"readiness_timeout_seconds": 0.5})
        try:
            for _ in range(2):  # the second probe waits on the first's stuck check instead of starting another
                started = time.monotonic()
                results = {r.name: r for r in asyncio.run(readiness(engine, quick))}
                assert time.monotonic() - started < 0.5 + 3  # the limit, plus a busy machine's slack
                assert results["database"].code == "ready_check_timeout"
                assert results["photo_store"].code is None
        finally:
            hole.close()  # the stuck connection attempt is refused and its thread ends
            engine.dispose()
