"""Outbox delivery: 10,000 queued webhook messages sent by a real server's delivery job to a local receiver.

The receiver is a small ASGI app (uvicorn, a process of its own) that checks each message's HMAC signature
and counts distinct idempotency keys. First the bench measures the receiver's own maximum: the same number of
signed POSTs of the same size at the job's concurrency, straight from this process. Then a SafeRound server
(`saferound serve`) starts with 10,000 messages due in its outbox, and the bench times the delivery job from
the moment they fall due until the last is marked sent. The figure: messages/s beside the receiver's max,
and their ratio (1.0 would mean the outbox costs nothing on top of the HTTP round trips).

    .venv/bin/python bench/notify.py [--messages 10000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from server.common import utcnow  # noqa: E402
from server.db import make_engine  # noqa: E402
from server.notify.events import message_id  # noqa: E402
from server.notify.models import OutboxMessage, Subscription  # noqa: E402
from server.users.models import Organization, User  # noqa: E402
from tests.live_server import LiveServer, free_port  # noqa: E402

SECRET = "bench-webhook-secret"
RECEIVER_APP = f"""
import hashlib, hmac, json
SECRET = {SECRET!r}.encode()
keys, refused = set(), [0]

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    headers = dict(scope["headers"])
    if scope["method"] == "GET":
        out = json.dumps({{"distinct": len(keys), "refused": refused[0]}}).encode()
        status = 200
    else:
        stamp = headers.get(b"x-saferound-timestamp", b"")
        expected = hmac.new(SECRET, stamp + b"." + body, hashlib.sha256).hexdigest().encode()
        if hmac.compare_digest(expected, headers.get(b"x-saferound-signature", b"")):
            keys.add(headers.get(b"idempotency-key"))
            status, out = 200, b"{{}}"
        else:
            refused[0] += 1
            status, out = 401, b"{{}}"
    await send({{"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}})
    await send({{"type": "http.response.body", "body": out}})
"""


def start_receiver(folder: Path) -> tuple[subprocess.Popen, str]:
    (folder / "receiver_app.py").write_text(RECEIVER_APP)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "receiver_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=folder,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(url + "/stats", timeout=1)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("the receiver did not start")


def sample_body(n: int) -> bytes:
    return json.dumps(
        {
            "event": "notice_issued",
            "id": str(uuid.uuid4()),
            "occurred_at": utcnow().isoformat(),
            "data": {"notice_id": str(uuid.uuid4()), "number": f"SR-2026-{n:06d}", "hazard_ids": [str(uuid.uuid4())]},
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def receiver_max(url: str, count: int, concurrency: int) -> float:
    """Signed POSTs straight at the receiver, `concurrency` at a time: requests/s."""

    def one(chunk: range) -> None:
        with httpx.Client(timeout=30) as client:
            for n in chunk:
                body, stamp = sample_body(n), str(int(time.time()))
                signature = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                client.post(
                    url + "/hook-max",
                    content=body,
                    headers={
                        "Content-Type": "application/json",
                        "X-SafeRound-Timestamp": stamp,
                        "X-SafeRound-Signature": signature,
                        "Idempotency-Key": f"max-{n}",
                    },
                ).raise_for_status()

    chunks = [range(i, count, concurrency) for i in range(concurrency)]
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, chunks))
    return count / (time.perf_counter() - start)


def queue_messages(server: LiveServer, url: str, count: int, due_in: float):
    engine = make_engine(f"sqlite:///{server.db_path}")
    with Session(engine) as session:
        admin = session.exec(select(User).where(User.username == "admin")).one()
        org = Organization(name="基准物业", kind="property")
        session.add(org)
        session.flush()
        sub = Subscription(
            organization_id=org.id,
            channel="webhook",
            target=url + "/hook",
            events=["notice_issued"],
            secret=SECRET,
            created_by=admin.id,
        )
        session.add(sub)
        session.commit()
        due = utcnow() + timedelta(seconds=due_in)
        rows = []
        for n in range(count):
            key = str(uuid.uuid4())
            body = json.loads(sample_body(n))
            rows.append(
                {
                    "id": message_id("notice_issued", key, sub.id),
                    "event": "notice_issued",
                    "event_key": key,
                    "subscription_id": sub.id,
                    "channel": "webhook",
                    "target": sub.target,
                    "payload": {"subject": "整改通知书", "body": "", "link": None, "data": body["data"]},
                    "status": "pending",
                    "attempts": 0,
                    "occurred_at": due,
                    "next_attempt_at": due,
                    "window_started_at": due,
                    "created_at": utcnow(),
                }
            )
        session.execute(insert(OutboxMessage), rows)
        session.commit()
    engine.dispose()
    return due


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        receiver, url = start_receiver(folder)
        server = None
        try:
            max_rate = receiver_max(url, args.messages, args.concurrency)
            server = LiveServer.prepare(
                folder / "server",
                notify_interval_seconds="0.1",
                notify_concurrency=str(args.concurrency),
                notify_batch_size="500",
                escalation_interval_seconds="0",
            )
            due = queue_messages(server, url, args.messages, due_in=8.0)
            server.serve()
            while server.count("outbox_message", "status = 'sent'") < args.messages:
                time.sleep(0.05)
            finished = utcnow()
            elapsed = (finished - due).total_seconds()
            rate = args.messages / elapsed
            stats = httpx.get(url + "/stats", timeout=10).json()
            delivered_once = stats["distinct"] - args.messages  # the max run used keys of its own
            print(f"messages              {args.messages} (webhook, signed, concurrency {args.concurrency})")
            print(f"receiver max          {max_rate:8.0f} requests/s (same bodies, straight from a client)")
            print(f"outbox delivery       {rate:8.0f} messages/s ({elapsed:.2f} s from due to the last marked sent)")
            print(f"distinct keys at the receiver: {delivered_once}; refused signatures: {stats['refused']}")
            print(f"ratio delivery / receiver max: {rate / max_rate:.2f}")
            if delivered_once != args.messages or stats["refused"]:
                raise SystemExit("not every message arrived once with a valid signature")
        finally:
            if server is not None:
                server.stop()
            receiver.terminate()
            receiver.wait(10)


if __name__ == "__main__":
    main()
