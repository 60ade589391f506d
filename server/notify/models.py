"""Subscriptions (who hears of what, through which channel) and the outbox of messages to deliver."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from server.common import UTCDateTime, utcnow


class NotifyEvent(str, Enum):
    notice_issued = "notice_issued"
    deadline_soon = "deadline_soon"
    escalated = "escalated"
    evidence_submitted = "evidence_submitted"
    report_received = "report_received"
    weekly_report = "weekly_report"
    report_outcome = "report_outcome"  # to a hotline platform: its work order was resolved or declined


class Channel(str, Enum):
    email = "email"
    wecom = "wecom"
    dingtalk = "dingtalk"
    webhook = "webhook"


class DeliveryStatus(str, Enum):
    pending = "pending"
    sent = "sent"
    dead = "dead"


# Channels read by people: quiet hours hold them back (except for red hazards); webhooks are read by machines.
PEOPLE_CHANNELS = frozenset({Channel.email.value, Channel.wecom.value, Channel.dingtalk.value})


class Subscription(SQLModel, table=True):
    """One target for some events. Whose news it carries: a company's (organization_id), one user's (user_id),
    or, with neither, the coordinators' — the whole district, or one street when `street` is set."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id", index=True)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", index=True)
    street: str | None = Field(default=None, max_length=100)
    channel: str = Field(max_length=20)
    target: str = Field(max_length=1000)
    events: list[str] = Field(sa_column=Column(JSON, nullable=False))
    secret: str | None = Field(default=None, max_length=200)
    language: str = Field(default="zh", max_length=5)
    active: bool = True
    created_by: uuid.UUID = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OutboxMessage(SQLModel, table=True):
    """One message to one subscription, written in the unit of work of the event; its id is the idempotency key."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_created", "created_at", "id"),
    )
    id: uuid.UUID = Field(primary_key=True)
    event: str = Field(max_length=40)
    event_key: str = Field(max_length=200)  # what happened, e.g. the notice id; with the subscription, the id
    subscription_id: uuid.UUID = Field(foreign_key="subscription.id", index=True)
    channel: str = Field(max_length=20)
    target: str = Field(max_length=1000)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default=DeliveryStatus.pending.value, max_length=10)
    attempts: int = 0
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    window_started_at: datetime = Field(sa_type=UTCDateTime)  # retries stop this long after (a retry restarts it)
    last_error: str | None = Field(default=None, max_length=2000)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# ---- API schemas -----------------------------------------------------------


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    channel: Channel
    target: str = PField(min_length=3, max_length=1000)
    events: list[NotifyEvent] = PField(min_length=1)
    organization_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    street: str | None = PField(default=None, max_length=100)
    secret: str | None = PField(default=None, min_length=8, max_length=200)
    language: str = PField(default="zh", pattern="^(zh|en)$")


class SubscriptionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    channel: str
    target: str
    events: list[str]
    organization_id: uuid.UUID | None
    user_id: uuid.UUID | None
    street: str | None
    language: str
    created_at: datetime


class SubscriptionCreated(SubscriptionPublic):
    secret: str | None = None  # shown once, when the subscription is made


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    event: str
    event_key: str
    subscription_id: uuid.UUID
    channel: str
    target: str
    status: str
    attempts: int
    occurred_at: datetime
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime


class DeliveryPage(BaseModel):
    items: list[DeliveryPublic]
    next_cursor: str | None


class SubscriptionPage(BaseModel):
    items: list[SubscriptionPublic]
    next_cursor: str | None
