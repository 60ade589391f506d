"""Prometheus metrics: request latency by route template, responses by status, the outbox backlog, how long
since each background job last succeeded, and the photo bytes stored.

With several workers (`saferound serve --workers N`) prometheus-client's multiprocess mode is on: `serve`
points PROMETHEUS_MULTIPROC_DIR at a fresh folder before the workers start, each worker writes its counters
there, and /metrics in any worker reads them all. The database figures are read at scrape time."""

from __future__ import annotations

import os
import struct
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from server.notify.models import DeliveryStatus, OutboxMessage
from server.photos.models import Photo

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# The request metrics live here (single process) or in the multiprocess folder's files (several workers).
REQUESTS = CollectorRegistry(auto_describe=True)
REQUEST_SECONDS = Histogram(
    "saferound_http_request_duration_seconds",
    "Time to answer a request, by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REQUESTS,
)
RESPONSES = Counter(
    "saferound_http_responses",
    "Responses, by route template, method, status code and status class (2xx, 4xx, 5xx...).",
    ["route", "method", "code", "status_class"],
    registry=REQUESTS,
)
JOB_LAST_SUCCESS = Gauge(
    "saferound_job_last_success_timestamp_seconds",
    "Unix time at which each background job last finished without an error.",
    ["job"],
    multiprocess_mode="max",
    registry=REQUESTS,
)


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def record_response(route: str, method: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(route, method).observe(seconds)
    RESPONSES.labels(route, method, str(status), f"{status // 100}xx").inc()


def record_job_success(job: str) -> None:
    JOB_LAST_SUCCESS.labels(job).set(time.time())


class _JobLag(Collector):
    """The request metrics as collected, plus saferound_job_lag_seconds computed from the job timestamps."""

    def __init__(self, source: Collector):
        self.source = source

    def collect(self) -> Iterator[Metric]:
        now = time.time()
        lag = GaugeMetricFamily(
            "saferound_job_lag_seconds",
            "Seconds since each background job last finished without an error.",
            labels=["job"],
        )
        for family in self.source.collect():
            yield family
            if family.name == JOB_LAST_SUCCESS._name:
                latest: dict[str, float] = {}
                for sample in family.samples:
                    job = sample.labels["job"]
                    latest[job] = max(latest.get(job, 0.0), sample.value)
                for job, at in sorted(latest.items()):
                    lag.add_metric([job], max(0.0, now - at))
        yield lag


class _DatabaseFigures(Collector):
    """Outbox backlog (read at every scrape: an indexed count) and photo bytes (a sum, cached briefly)."""

    def __init__(self, engine: Engine, photo_cache_seconds: float):
        self.engine = engine
        self.photo_cache_seconds = photo_cache_seconds
        self._photo_bytes: tuple[float, int] | None = None
        self._lock = threading.Lock()

    def photo_bytes(self, session: Session) -> int:
        with self._lock:
            if self._photo_bytes and time.monotonic() - self._photo_bytes[0] < self.photo_cache_seconds:
                return self._photo_bytes[1]
        total = int(session.exec(select(func.coalesce(func.sum(Photo.size_bytes), 0))).one())
        with self._lock:
            self._photo_bytes = (time.monotonic(), total)
        return total

    def collect(self) -> Iterator[Metric]:
        now = datetime.now(UTC)
        pending = OutboxMessage.status == DeliveryStatus.pending.value
        with Session(self.engine) as session:
            count = session.exec(select(func.count()).where(pending)).one()
            oldest_due = session.exec(
                select(func.min(OutboxMessage.next_attempt_at)).where(pending, OutboxMessage.next_attempt_at <= now)
            ).one()
            stored = self.photo_bytes(session)
        if oldest_due is not None and oldest_due.tzinfo is None:
            oldest_due = oldest_due.replace(tzinfo=UTC)
        yield GaugeMetricFamily(
            "saferound_outbox_pending_messages", "Notification messages waiting to be delivered.", value=count
        )
        yield GaugeMetricFamily(
            "saferound_outbox_oldest_due_seconds",
            "How long the longest-waiting due message has been due (0 when none is due).",
            value=(now - oldest_due).total_seconds() if oldest_due else 0.0,
        )
        yield GaugeMetricFamily(
            "saferound_photo_bytes_stored", "Bytes of photos stored (as uploaded), from the photo table.", value=stored
        )


class MetricsExporter:
    """One per app: renders the Prometheus text for a scrape."""

    def __init__(self, engine: Engine, *, photo_cache_seconds: float):
        self.database = _DatabaseFigures(engine, photo_cache_seconds)

    def render(self) -> bytes:
        registry = CollectorRegistry(auto_describe=False)
        if multiprocess():
            source: Collector = MultiProcessCollector(None)  # every worker's files in PROMETHEUS_MULTIPROC_DIR
        else:
            source = REQUESTS
        registry.register(_JobLag(source))
        registry.register(self.database)
        for _ in range(2):
            try:
                return generate_latest(registry)
            except (struct.error, ValueError, OSError):
                # Another worker may be creating its metrics file at this instant (an empty or half-sized
                # mmap file reads as a short buffer); a moment later it is whole. Seen once in CI as a 500.
                time.sleep(0.05)
        return generate_latest(registry)
