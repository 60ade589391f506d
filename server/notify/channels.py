"""Channels, each a small adapter behind one interface: send(message, subscription) or raise DeliveryFailed.

A provider adapter (SMS, say) is one more class with `send` and one more entry in CHANNELS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.parse
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Protocol

import httpx

from server.config import Settings
from server.notify.models import OutboxMessage, Subscription


class DeliveryFailed(Exception):
    """This attempt did not deliver; the message is tried again later (or marked dead after the window)."""


class ChannelAdapter(Protocol):
    def send(self, message: OutboxMessage, subscription: Subscription) -> None: ...


def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    """X-SafeRound-Signature: hex HMAC-SHA256 with the subscription's secret over "{timestamp}.{raw body}"."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def dingtalk_sign(secret: str, timestamp_ms: str) -> str:
    """DingTalk's signed robot: base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}")), URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def webhook_body(message: OutboxMessage) -> bytes:
    envelope = {
        "event": message.event,
        "id": str(message.id),
        "occurred_at": message.occurred_at.isoformat(),
        "data": message.payload.get("data", {}),
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def _check_http(response: httpx.Response) -> None:
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:300]}")


def _check_robot(response: httpx.Response) -> None:
    """The robots answer 200 with {"errcode": 0} on success and a non-zero errcode (and errmsg) otherwise."""
    _check_http(response)
    try:
        answer = response.json()
    except ValueError:
        raise DeliveryFailed(f"not a robot answer: {response.text[:300]}") from None
    if answer.get("errcode", 0) != 0:
        raise DeliveryFailed(f"robot errcode {answer.get('errcode')}: {answer.get('errmsg')}")


@dataclass
class WebhookChannel:
    http: httpx.Client

    def send(self, message: OutboxMessage, subscription: Subscription) -> None:
        body = webhook_body(message)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-SafeRound-Event": message.event,
            "X-SafeRound-Timestamp": timestamp,
            "X-SafeRound-Signature": sign_webhook(subscription.secret or "", timestamp, body),
            "Idempotency-Key": str(message.id),
        }
        _check_http(self.http.post(message.target, content=body, headers=headers))


def _markdown(message: OutboxMessage) -> str:
    subject, body = message.payload["subject"], message.payload["body"]
    return f"### {subject}\n" + body.replace("\n", "\n\n")


@dataclass
class WeComChannel:
    """WeCom (企业微信) group robot: POST {"msgtype": "markdown", "markdown": {"content": ...}}."""

    http: httpx.Client

    def send(self, message: OutboxMessage, subscription: Subscription) -> None:
        body = {"msgtype": "markdown", "markdown": {"content": _markdown(message)}}
        _check_robot(self.http.post(message.target, json=body, headers={"Idempotency-Key": str(message.id)}))


@dataclass
class DingTalkChannel:
    """DingTalk (钉钉) group robot: markdown {title, text}; with a secret, the signed variant (timestamp & sign)."""

    http: httpx.Client

    def send(self, message: OutboxMessage, subscription: Subscription) -> None:
        url = message.target
        if subscription.secret:
            timestamp_ms = str(int(time.time() * 1000))
            joiner = "&" if "?" in url else "?"
            url = f"{url}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(subscription.secret, timestamp_ms)}"
        body = {"msgtype": "markdown", "markdown": {"title": message.payload["subject"], "text": _markdown(message)}}
        _check_robot(self.http.post(url, json=body, headers={"Idempotency-Key": str(message.id)}))


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """smtp://user:password@host:port?starttls=1"""
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qs(parts.query)
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or 25,
            user=urllib.parse.unquote(parts.username) if parts.username else None,
            password=urllib.parse.unquote(parts.password) if parts.password else None,
            starttls=query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes"),
        )


@dataclass
class EmailChannel:
    """Mail over SMTP: UTF-8 subject and body; the message id carries the idempotency key."""

    settings: Settings
    timeout: float = 10.0

    def send(self, message: OutboxMessage, subscription: Subscription) -> None:
        if not self.settings.smtp_url:
            raise DeliveryFailed("no SMTP server configured (SAFEROUND_SMTP_URL)")
        smtp = SmtpSettings.from_url(self.settings.smtp_url)
        mail = EmailMessage()
        mail["Subject"] = message.payload["subject"]
        mail["From"] = formataddr(("SafeRound 社区安全巡查", self.settings.mail_from))
        mail["To"] = message.target
        mail["Message-ID"] = make_msgid(idstring=str(message.id), domain="saferound")
        mail["X-SafeRound-Idempotency-Key"] = str(message.id)
        mail.set_content(message.payload["body"], charset="utf-8")
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=self.timeout) as client:
                if smtp.starttls:
                    client.starttls(context=ssl.create_default_context())  # the server's certificate is checked
                if smtp.user:
                    client.login(smtp.user, smtp.password or "")
                client.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP: {exc}") from exc


def make_channels(settings: Settings, http: httpx.Client) -> dict[str, ChannelAdapter]:
    return {
        "email": EmailChannel(settings, timeout=settings.notify_timeout_seconds),
        "wecom": WeComChannel(http),
        "dingtalk": DingTalkChannel(http),
        "webhook": WebhookChannel(http),
    }
