"""Reports the server made by itself (the weekly report of each district), kept for download."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.common import UTCDateTime, utcnow


class StoredReport(SQLModel, table=True):
    __tablename__ = "stored_report"
    __table_args__ = (UniqueConstraint("period", "scope", "format", name="uq_stored_report"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    period: str = Field(max_length=16)
    scope: str = Field(max_length=200)
    format: str = Field(max_length=8)
    size_bytes: int
    content: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class StoredReportPublic(BaseModel):
    id: uuid.UUID
    period: str
    scope: str
    format: str
    size_bytes: int
    created_at: datetime


class StoredReportPage(BaseModel):
    items: list[StoredReportPublic]
