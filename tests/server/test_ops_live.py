"""A real `saferound serve --workers 2` on loopback: /metrics from any worker reports every worker's requests,
and with SAFEROUND_LOG_FORMAT=json every log line is a JSON object carrying the request id of its request."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.live_server import LiveServer


def healthz_count(url: str) -> float:
    response = httpx.get(f"{url}/metrics", timeout=10)  # no token set: loopback callers are answered
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "saferound_http_request_duration_seconds_count" and sample.labels["route"] == "/healthz":
                return sample.value
    return 0.0


def test_two_workers_report_together_and_log_json_lines_with_the_request_id(tmp_path):
    server = LiveServer.prepare(tmp_path / "data", log_format="json", escalation_interval_seconds="0")
    server.serve(workers=2, timeout=120)  # two workers start slowly on a busy machine
    metrics_dir = server.data_dir / "metrics"
    workers = lambda: {p.name.rsplit("_", 1)[-1] for p in metrics_dir.glob("histogram_*.db")}  # noqa: E731
    try:
        request_ids = []
        with ThreadPoolExecutor(4) as pool:  # side by side, new connections: the kernel spreads them over workers
            while (len(workers()) < 2 or len(request_ids) < 16) and len(request_ids) < 400:
                for response in pool.map(lambda _: httpx.get(f"{server.url}/healthz", timeout=30), range(8)):
                    assert response.status_code == 200
                    request_ids.append(response.headers["x-request-id"])
        counts = {healthz_count(server.url) for _ in range(6)}  # whichever worker answers the scrape
        answered_by = workers()
    finally:
        server.stop()
    assert len(answered_by) == 2  # both workers answered requests and wrote their figures
    assert counts == {float(len(request_ids))}  # every scrape counts both workers' requests
    lines = [json.loads(line) for line in server.log_path.read_text().splitlines() if line.strip()]
    access = {line["request_id"]: line for line in lines if line["logger"] == "saferound.access"}
    for request_id in request_ids:
        line = access[request_id]
        assert (line["method"], line["route"], line["path"], line["status"]) == ("GET", "/healthz", "/healthz", 200)
        assert line["level"] == "info" and line["duration_ms"] >= 0 and line["time"].endswith("+00:00")
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]  # ours replaces uvicorn's
    assert any("Application startup complete" in line["message"] for line in lines)
