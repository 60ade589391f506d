"""The delivery job: sends due outbox messages, retries with exponential backoff and jitter for a bounded
time, then marks them dead with the last error. It runs in server/jobs.py, once across workers and hosts.

Sending happens outside any transaction; each batch's outcomes are written in one short unit of work. A
process killed between the send and that write sends the message again after the restart under the same
idempotency key (the message id), which a receiver that honours the key takes once."""

from __future__ import annotations

import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from rulebook.lifecycle import FINISHED_STATUSES
from server.common import utcnow
from server.config import Settings
from server.db import write_unit
from server.hazards.models import Hazard
from server.notify import events
from server.notify.channels import ChannelAdapter, DeliveryFailed, make_channels
from server.notify.models import DeliveryStatus, OutboxMessage, Subscription

log = logging.getLogger("saferound.notify")


@dataclass
class Outcome:
    message: OutboxMessage
    error: str | None  # None: delivered


def backoff_seconds(attempts: int, settings: Settings, rng: random.Random | None = None) -> float:
    """Exponential (base · 2^(n-1), capped) with full jitter in its upper half, so retries do not stampede."""
    ceiling = min(settings.notify_backoff_base_seconds * 2 ** max(attempts - 1, 0), settings.notify_backoff_max_seconds)
    return ceiling * (0.5 + 0.5 * (rng or random).random())


def _due(engine: Engine, settings: Settings, now: datetime) -> list[tuple[OutboxMessage, Subscription | None]]:
    with Session(engine, expire_on_commit=False) as session:
        messages = list(
            session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.status == DeliveryStatus.pending.value, OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(settings.notify_batch_size)
            ).all()
        )
        ids = {m.subscription_id for m in messages}
        subs = {s.id: s for s in session.exec(select(Subscription).where(Subscription.id.in_(ids))).all()}
        return [(m, subs.get(m.subscription_id)) for m in messages]


def _attempt(channels: dict[str, ChannelAdapter], message: OutboxMessage, sub: Subscription | None) -> Outcome:
    if sub is None or not sub.active:
        return Outcome(message, "the subscription was deleted")
    channel = channels.get(message.channel)
    if channel is None:
        return Outcome(message, f"no channel {message.channel!r}")
    try:
        channel.send(message, sub)
    except DeliveryFailed as exc:
        return Outcome(message, str(exc)[:2000])
    except (httpx.HTTPError, OSError) as exc:
        return Outcome(message, f"{type(exc).__name__}: {exc}"[:2000])
    return Outcome(message, None)


def _record(engine: Engine, settings: Settings, outcomes: list[Outcome], now: datetime) -> tuple[int, int]:
    give_up_after = timedelta(seconds=settings.notify_give_up_seconds)
    rows, sent, dead = [], 0, 0
    for outcome in outcomes:
        m = outcome.message
        attempts = m.attempts + 1
        if outcome.error is None:
            rows.append({"id": m.id, "status": "sent", "attempts": attempts, "sent_at": now, "last_error": None})
            sent += 1
        elif outcome.error == "the subscription was deleted" or now - m.window_started_at >= give_up_after:
            rows.append({"id": m.id, "status": "dead", "attempts": attempts, "last_error": outcome.error})
            dead += 1
            log.warning("Message %s (%s to %s) is dead: %s", m.id, m.event, m.channel, outcome.error)
        else:
            later = now + timedelta(seconds=backoff_seconds(attempts, settings))
            rows.append({"id": m.id, "attempts": attempts, "next_attempt_at": later, "last_error": outcome.error})
    with Session(engine) as session, write_unit(session):
        session.execute(update(OutboxMessage), rows)  # by primary key, one statement per shape
    return sent, dead


def deliver_due(engine: Engine, settings: Settings, channels: dict[str, ChannelAdapter] | None = None) -> int:
    """Send every due message (batch after batch, up to the run budget); the number delivered."""
    started = time.monotonic()
    delivered = 0
    with (
        httpx.Client(timeout=settings.notify_timeout_seconds) as http,
        ThreadPoolExecutor(max(1, settings.notify_concurrency), thread_name_prefix="notify") as pool,
    ):
        adapters = channels or make_channels(settings, http)
        while time.monotonic() - started < settings.notify_run_budget_seconds:
            batch = _due(engine, settings, utcnow())
            if not batch:
                break
            outcomes = list(pool.map(lambda pair: _attempt(adapters, *pair), batch))
            sent, _ = _record(engine, settings, outcomes, utcnow())
            delivered += sent
    return delivered


def warn_deadlines_soon(engine: Engine, settings: Settings) -> int:
    """Hazards due within the warning window (default 24 h): one message per deadline to company and officers."""
    now = utcnow()
    horizon = now + timedelta(hours=settings.deadline_warning_hours)
    with Session(engine) as session:
        candidates = session.exec(
            select(Hazard.id).where(
                Hazard.status.not_in(FINISHED_STATUSES), Hazard.deadline > now, Hazard.deadline <= horizon
            )
        ).all()
        if not candidates:
            return 0
        written = 0
        with write_unit(session):
            for hazard in session.exec(select(Hazard).where(Hazard.id.in_(candidates))).all():
                written += events.deadline_soon(session=session, settings=settings, hazard=hazard)
        return written
