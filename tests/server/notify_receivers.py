"""Real protocol servers on loopback for the notification tests and the bench.

SmtpRecorder: aiosmtpd, keeps every mail it receives (parsed, so subjects decode from RFC 2047).
HttpReceiver: a threaded HTTP server standing in for WeCom/DingTalk robots and webhook integrations. It checks
signatures (webhook: X-SafeRound-Signature over "{timestamp}.{body}"; DingTalk: timestamp + sign), honours the
Idempotency-Key (a key seen before is answered 200 and not accepted again), can be told to fail the next N
requests or to hold requests until released.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import ssl
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.pg import free_port


class _Handler:
    def __init__(self, recorder: SmtpRecorder):
        self.recorder = recorder

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        mail = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.recorder.lock:
            self.recorder.mails.append(mail)  # type: ignore[arg-type]
        return "250 OK"


class SmtpRecorder:
    """With `tls` (an ssl.SSLContext) it requires STARTTLS; with `login` ((user, password)) it requires AUTH."""

    def __init__(self, tls: ssl.SSLContext | None = None, login: tuple[str, str] | None = None) -> None:
        self.mails: list[EmailMessage] = []
        self.logins: list[str] = []
        self.lock = threading.Lock()
        self.port = free_port()
        extra: dict = {}
        if tls is not None:
            extra.update(tls_context=tls, require_starttls=True)
        if login is not None:
            extra.update(authenticator=self._authenticator(login), auth_require_tls=tls is not None)
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **extra)

    def _authenticator(self, login: tuple[str, str]):
        def check(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and (auth_data.login.decode(), auth_data.password.decode()) == login
            )
            if ok:
                self.logins.append(auth_data.login.decode())
            return AuthResult(success=ok)

        return check

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpRecorder:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, str]

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Records what it is sent; answers robots' {"errcode": 0}; verifies what it can verify."""

    secrets: dict[str, str] = field(default_factory=dict)  # path -> secret (webhook or DingTalk)
    fail_next: int = 0
    delay: float = 0.0
    hold: threading.Event | None = None  # when set: requests wait until it is set
    max_age: int = 300
    received: list[Received] = field(default_factory=list)
    accepted: dict[str, int] = field(default_factory=dict)  # idempotency key -> times accepted
    replays: int = 0
    arrived: int = 0  # requests that reached the receiver (counted before any hold)
    refused: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.port = free_port()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                status, answer = receiver.handle(self.path, dict(self.headers), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except OSError:  # the sender died while we held its request (the kill -9 test)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> HttpReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()

    def _verify(self, path: str, headers: dict[str, str], body: bytes, query: dict[str, str]) -> str | None:
        secret = self.secrets.get(path)
        if secret is None:
            return None
        if path.startswith("/dingtalk"):
            stamp, sign = query.get("timestamp", ""), query.get("sign", "")
            digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(base64.b64encode(digest).decode(), sign):
                return "bad dingtalk sign"
            if abs(time.time() * 1000 - int(stamp or 0)) > self.max_age * 1000:
                return "stale dingtalk timestamp"
            return None
        stamp = headers.get("X-SafeRound-Timestamp", "")
        expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("X-SafeRound-Signature", "")):
            return "bad signature"
        if abs(time.time() - int(stamp or 0)) > self.max_age:
            return "stale timestamp"
        return None

    def handle(self, raw_path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        parts = urllib.parse.urlsplit(raw_path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        with self.lock:
            self.arrived += 1
        if self.hold is not None:
            self.hold.wait(30)
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.received.append(Received(parts.path, headers, body, query))
            if self.fail_next > 0:
                self.fail_next -= 1
                return 500, {"errcode": 500, "errmsg": "told to fail"}
            problem = self._verify(parts.path, headers, body, query)
            if problem:
                self.refused.append(problem)
                return 401, {"errcode": 401, "errmsg": problem}
            key = headers.get("Idempotency-Key", "")
            if key in self.accepted:
                self.replays += 1
                return 200, {"errcode": 0, "errmsg": "ok (already accepted)"}
            self.accepted[key] = 1
            return 200, {"errcode": 0, "errmsg": "ok"}

    def bodies(self, path: str) -> list[dict]:
        with self.lock:
            return [r.json() for r in self.received if r.path == path]


def self_signed_tls(folder) -> tuple[ssl.SSLContext, str]:
    """A certificate for 127.0.0.1 (openssl), as a server context and the path a client trusts it by."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, str(cert)
