"""Readiness: the database answers a SELECT 1 and its schema is at the newest migration, and the photo store
takes writes (a file written and removed on disk; the bucket answers on S3). Each check has a time limit."""

from __future__ import annotations

import asyncio
import functools
import os
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from server.config import Settings
from server.photos.storage import LocalDiskStore, S3Store, make_photo_store


class NotReady(Exception):
    """A check failed: `code` names its sentence in rulebook/messages.py, `params` fill it."""

    def __init__(self, code: str, **params: object):
        super().__init__(code)
        self.code, self.params = code, params


@dataclass(frozen=True)
class CheckResult:
    name: str
    code: str | None = None  # None: the check passed
    params: dict[str, object] | None = None


@functools.cache
def newest_migration() -> str:
    from alembic.script import ScriptDirectory

    from server.db import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


def check_database(engine: Engine) -> None:
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        # A pooled connection keeps answering from a deleted file; the file itself must be there.
        path = Path(url.database)
        if not path.is_file() or not os.access(path, os.R_OK | os.W_OK):
            raise NotReady("ready_database_down", reason=f"{path} is missing or not readable and writable")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:  # any failure to answer is the same answer to a probe
        raise NotReady("ready_database_down", reason=_first_line(exc)) from None
    if version != newest_migration():
        raise NotReady("ready_migrations_behind", version=version or "-", head=newest_migration())


def check_photo_store(settings: Settings) -> None:
    store = make_photo_store(settings)
    try:
        if isinstance(store, S3Store):
            store.ping()
        elif isinstance(store, LocalDiskStore):
            store.root.mkdir(parents=True, exist_ok=True)
            probe = store.root / f".ready-{uuid.uuid4().hex}"
            probe.write_bytes(b"ok")
            probe.unlink()
    except Exception as exc:
        raise NotReady("ready_photo_store_down", reason=_first_line(exc)) from None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:200]


# Checks run on threads of their own: a database that hangs (a dropped route, not a refusal) leaves at most
# one stuck thread per check here, never the event loop's default executor, which the background jobs use.
_CHECKS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readiness")
_in_flight: dict[str, Future] = {}
_in_flight_lock = threading.Lock()


async def _run(name: str, key: str, check, timeout: float) -> CheckResult:  # type: ignore[no-untyped-def]
    with _in_flight_lock:
        future = _in_flight.get(key)
        if future is None or future.done():  # one at a time: a hung check is waited on, not started again
            future = _in_flight[key] = _CHECKS.submit(check)
    try:
        await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), timeout)
    except NotReady as failed:
        return CheckResult(name, failed.code, failed.params)
    except TimeoutError:
        return CheckResult(name, "ready_check_timeout", {"check": name, "seconds": timeout})
    return CheckResult(name)


async def readiness(engine: Engine, settings: Settings) -> list[CheckResult]:
    """Every check, run side by side; a check that takes longer than the limit fails."""
    timeout = settings.readiness_timeout_seconds
    return list(
        await asyncio.gather(
            _run("database", f"database {engine.url!r}", functools.partial(check_database, engine), timeout),
            _run(
                "photo_store",
                f"photo_store {settings.photo_store or settings.photos_dir.resolve()} {settings.s3_endpoint_url}",
                functools.partial(check_photo_store, settings),
                timeout,
            ),
        )
    )
