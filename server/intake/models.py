"""Intake reports (the queue an officer accepts, merges or declines) and the hotline integrations that file them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from rulebook.categories import CATEGORIES
from server.common import UTCDateTime, UTCTime, utcnow


class IntakeStatus(str, Enum):
    pending = "pending"
    accepted = "accepted"
    merged = "merged"
    declined = "declined"


class IntakeSource(str, Enum):
    gridworker = "gridworker"
    resident = "resident"
    external = "external"


class IntakeIntegration(SQLModel, table=True):
    """One hotline platform: it signs its requests with `secret`; outcomes go back to its callback subscription."""

    __tablename__ = "intake_integration"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    secret: str = Field(max_length=200)
    callback_subscription_id: uuid.UUID | None = Field(default=None, foreign_key="subscription.id")
    active: bool = True
    created_by: uuid.UUID = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class IntakeReport(SQLModel, table=True):
    __tablename__ = "intake_report"
    __table_args__ = (
        UniqueConstraint("integration_id", "external_id", name="uq_intake_external_order"),
        Index("ix_intake_site_status", "site_id", "status"),
        Index("ix_intake_created", "created_at", "id"),
    )
    id: uuid.UUID = Field(primary_key=True)  # external: uuid5(integration, order id), so a replay hits the key
    source: str = Field(max_length=20)
    status: str = Field(default=IntakeStatus.pending.value, max_length=20)
    site_id: uuid.UUID = Field(foreign_key="site.id")
    category: str = Field(max_length=40)
    description: str = Field(max_length=2000)
    reporter_phone: str | None = Field(default=None, max_length=40)
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    integration_id: uuid.UUID | None = Field(default=None, foreign_key="intake_integration.id")
    external_id: str | None = Field(default=None, max_length=100)
    hazard_id: uuid.UUID | None = Field(default=None, foreign_key="hazard.id", index=True)
    decline_reason: str | None = Field(default=None, max_length=1000)
    request_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# ---- API schemas -----------------------------------------------------------


class ExternalOrderIn(BaseModel):
    """A work order from the hotline platform (接诉即办)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    order_id: str = PField(min_length=1, max_length=100)
    site_id: uuid.UUID
    category: str = PField(json_schema_extra={"enum": list(CATEGORIES)})
    description: str = PField(min_length=1, max_length=2000)
    reporter_phone: str | None = PField(default=None, max_length=40)
    reported_at: UTCTime | None = None


class IntakePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    source: str
    status: str
    site_id: uuid.UUID
    category: str
    description: str
    external_id: str | None
    hazard_id: uuid.UUID | None
    created_at: datetime


class IntegrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = PField(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    callback_url: str | None = PField(default=None, max_length=1000, pattern=r"^https?://")
    secret: str | None = PField(default=None, min_length=16, max_length=200)


class IntegrationCreated(BaseModel):
    id: uuid.UUID
    name: str
    callback_url: str | None
    secret: str  # shown once
