"""Background jobs that run once however many workers or hosts serve.

Only the process that holds the leadership lease runs them: on PostgreSQL a session-level
advisory lock held on a connection of its own, on SQLite an exclusive lock on
``DATA_DIR/jobs.lock`` (SQLite serves from one host). The others try for the lease every few
seconds, so when the leader dies another process takes over. Adding a job is one line in JOBS.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from server.config import Settings
from server.hazards.escalation import refresh_escalations
from server.notify.delivery import deliver_due, warn_deadlines_soon
from server.ops.metrics import record_job_success
from server.reports.weekly import make_weekly_reports

log = logging.getLogger("saferound.jobs")

# How often a process without the lease asks for it again (seconds; shorter when a job runs more often).
LEASE_RETRY_SECONDS = 10.0
# pg_try_advisory_lock key shared by every SafeRound process on one database: "SFRJOBS1".
ADVISORY_LOCK_KEY = 0x5346_524A_4F42_5331


def escalate_overdue_hazards(engine: Engine, settings: Settings) -> int:
    """Bring overdue hazards' escalation levels up to date; the number that changed."""
    with Session(engine) as session:
        return refresh_escalations(session=session, settings=settings)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Engine, Settings], object]
    interval: Callable[[Settings], float]  # seconds between runs; 0 or less turns the job off


JOBS: tuple[Job, ...] = (
    Job("escalation", escalate_overdue_hazards, lambda s: s.escalation_interval_seconds),
    Job("weekly reports", make_weekly_reports, lambda s: s.weekly_report_interval_seconds),
    Job("deadline warnings", warn_deadlines_soon, lambda s: s.escalation_interval_seconds),
    Job("deliveries", deliver_due, lambda s: s.notify_interval_seconds),
)


class Lease(Protocol):
    def hold(self) -> bool:
        """True while this process holds the lease; takes it when it is free."""

    def release(self) -> None: ...


class PostgresLease:
    """A session-level advisory lock: PostgreSQL frees it when the holder's connection ends."""

    def __init__(self, url: str):
        self._engine = create_engine(url, poolclass=NullPool)
        self._conn: Connection | None = None
        self._held = False

    def hold(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if self._held:
                self._conn.execute(text("SELECT 1"))  # the lock lives as long as this connection
            else:
                self._held = bool(
                    self._conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}).scalar()
                )
        except DBAPIError as exc:
            log.warning("The background-jobs lease connection failed (%s); trying again shortly.", exc.orig)
            self._close()
        return self._held

    def _close(self) -> None:
        self._held = False
        if self._conn is not None:
            with contextlib.suppress(DBAPIError):
                self._conn.close()
            self._conn = None

    def release(self) -> None:
        self._close()  # closing the session releases its advisory locks
        self._engine.dispose()


class FileLease:
    """An exclusive flock on a file: the kernel frees it when the holder exits, however it exits."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def hold(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # which process runs the jobs, for the operator
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = None


def make_lease(settings: Settings) -> Lease:
    url = settings.resolved_database_url
    if url.startswith("postgresql"):
        return PostgresLease(url)
    return FileLease(settings.data_dir / "jobs.lock")


class JobRunner:
    """Runs the enabled jobs, each at its interval, while this process holds the lease."""

    def __init__(self, engine: Engine, settings: Settings, jobs: tuple[Job, ...], lease: Lease):
        self.engine, self.settings, self.lease = engine, settings, lease
        self.jobs = [(job, float(job.interval(settings))) for job in jobs if job.interval(settings) > 0]
        self.tick = min([LEASE_RETRY_SECONDS, *(interval for _, interval in self.jobs)])
        self.stopping = asyncio.Event()

    async def run(self) -> None:
        next_run = {job.name: 0.0 for job, _ in self.jobs}
        leading = False
        try:
            while not self.stopping.is_set():
                try:
                    holds = await asyncio.to_thread(self.lease.hold)
                except Exception:  # e.g. an unwritable data dir: say so, keep serving, try again
                    log.exception("Process %d could not ask for the background-jobs lease.", os.getpid())
                    holds = False
                if holds and not leading:
                    schedule = ", ".join(f"{job.name} every {interval:g} s" for job, interval in self.jobs)
                    log.info("Process %d now runs the background jobs (%s).", os.getpid(), schedule)
                elif leading and not holds:
                    log.warning(
                        "Process %d lost the background-jobs lease; another process will run them.", os.getpid()
                    )
                leading = holds
                if leading:
                    await self._run_due(next_run)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), self.tick)
        finally:
            self.lease.release()

    async def _run_due(self, next_run: dict[str, float]) -> None:
        for job, interval in self.jobs:
            if self.stopping.is_set() or time.monotonic() < next_run[job.name]:
                continue
            next_run[job.name] = time.monotonic() + interval
            await self._run_once(job)

    async def _run_once(self, job: Job) -> None:
        try:
            result = await asyncio.to_thread(job.run, self.engine, self.settings)
        except Exception:  # a failed round is logged and tried again at the next interval
            log.exception("Background job %s failed; it runs again in the next interval.", job.name)
            return
        record_job_success(job.name)  # /metrics: saferound_job_lag_seconds
        if result:
            log.info("Background job %s: %s changed.", job.name, result)


@contextlib.asynccontextmanager
async def background_jobs(engine: Engine, settings: Settings, jobs: tuple[Job, ...] = JOBS) -> AsyncIterator[None]:
    """Compete for the lease and run the jobs while the app serves; on shutdown, finish the job in hand."""
    if not any(job.interval(settings) > 0 for job in jobs):
        yield
        return
    runner = JobRunner(engine, settings, jobs, make_lease(settings))
    task = asyncio.create_task(runner.run(), name="saferound-background-jobs")
    try:
        yield
    finally:
        runner.stopping.set()
        await task
