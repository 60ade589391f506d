"""Intake reports (the queue an officer accepts, merges or declines) and the hotline integrations that file them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from rulebook.categories import CATEGORIES
from rulebook.intake import MAX_DESCRIPTION, MAX_REPORT_PHOTOS
from server.checklists.templates import Severity
from server.common import UTCDateTime, UTCTime, utcnow
from server.inputs import InputModel

# The inactive account residents' (QR-code) photos are filed under; made by migration 0010, nobody signs in as it.
PUBLIC_REPORTER_ID = uuid.UUID("5afe0000-0000-4000-8000-00000000c0de")


class IntakeStatus(str, Enum):
    pending = "pending"
    accepted = "accepted"
    merged = "merged"
    declined = "declined"


class IntakeKind(str, Enum):
    report = "report"
    reopen_request = "reopen_request"  # a reporter said "not fixed" after its hazard closed


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
        Index("ix_intake_reporter", "reporter_id", "created_at"),
        Index("ix_intake_address", "client_address", "created_at"),
        Index("ix_intake_tracking", "tracking_code", unique=True),
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
    kind: str = Field(default=IntakeKind.report.value, max_length=20)
    reporter_id: uuid.UUID | None = Field(default=None, foreign_key="user.id")  # the grid worker or officer
    photo_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    lat: float | None = None
    lon: float | None = None
    tracking_code: str | None = Field(default=None, max_length=20)  # residents follow their report with it
    origin_id: uuid.UUID | None = Field(default=None, foreign_key="intake_report.id")  # a reopen request's report
    client_address: str | None = Field(default=None, max_length=64)  # a public report's sender, for rate limits
    handled_by: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    handled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revisit_answer: str | None = Field(default=None, max_length=20)  # fixed | not_fixed
    revisit_note: str | None = Field(default=None, max_length=500)
    revisit_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class GridAssignment(SQLModel, table=True):
    """A grid worker (网格员) reports at the sites they are assigned to."""

    __tablename__ = "grid_assignment"
    __table_args__ = (UniqueConstraint("user_id", "site_id", name="uq_grid_assignment_user_site"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="user.id", index=True)
    site_id: uuid.UUID = Field(foreign_key="site.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


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


class IntakeReportIn(InputModel):
    """A grid worker's (or an officer's) report of a problem at one of their sites."""

    site_id: uuid.UUID
    category: str = PField(min_length=1, max_length=40, json_schema_extra={"enum": list(CATEGORIES)})
    description: str = PField(min_length=1, max_length=MAX_DESCRIPTION)
    photo_ids: list[uuid.UUID] = PField(default_factory=list, max_length=MAX_REPORT_PHOTOS)
    lat: float | None = PField(default=None, ge=-90, le=90)
    lon: float | None = PField(default=None, ge=-180, le=180)
    reported_at: UTCTime | None = None


class AcceptIn(InputModel):
    severity: Severity
    deadline: UTCTime | None = None


class MergeIn(InputModel):
    hazard_id: uuid.UUID


class DeclineIn(InputModel):
    reason: str = PField(min_length=1, max_length=500)


class RevisitIn(InputModel):
    fixed: bool
    note: str | None = PField(default=None, max_length=500)


class IntakeReportPublic(BaseModel):
    id: uuid.UUID
    kind: str
    source: str
    status: str
    site_id: uuid.UUID
    site_name: str
    category: str
    description: str
    photo_ids: list[uuid.UUID]
    lat: float | None
    lon: float | None
    reported_at: datetime | None
    created_at: datetime
    hazard_id: uuid.UUID | None
    hazard_status: str | None
    decline_reason: str | None
    tracking_code: str | None
    reporter_phone: str | None  # masked (138****1234) unless the caller is the site's officer or an admin
    revisit_until: datetime | None
    revisit_answer: str | None
    overdue: bool


class IntakeReportPage(BaseModel):
    items: list[IntakeReportPublic]
    next_cursor: str | None


class PublicCode(BaseModel):
    public_code: str
    url: str  # the public report page the poster's QR code holds
