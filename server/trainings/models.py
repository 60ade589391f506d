"""Safety-training sessions held for residents at a site."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from server.common import UTCDateTime, UTCTime, utcnow
from server.inputs import InputModel


class TrainingSession(SQLModel, table=True):
    __tablename__ = "training_session"
    id: uuid.UUID = Field(primary_key=True)
    site_id: uuid.UUID = Field(foreign_key="site.id", index=True)
    held_at: datetime = Field(sa_type=UTCDateTime, index=True)
    topics: list[str] = Field(default_factory=list, sa_type=JSON)
    trainer: str = Field(max_length=100)
    attendee_count: int
    duration_minutes: int
    notes: str | None = Field(default=None, max_length=4000)
    photo_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    officer_id: uuid.UUID = Field(foreign_key="user.id")
    request_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TrainingIn(InputModel):
    site_id: uuid.UUID
    held_at: UTCTime
    topics: list[str] = PField(min_length=1, max_length=7)
    trainer: str = PField(min_length=1, max_length=100)
    attendee_count: int = PField(ge=1, le=100_000)
    duration_minutes: int = PField(ge=1, le=24 * 60)
    notes: str | None = PField(default=None, max_length=4000)
    photo_ids: list[uuid.UUID] = PField(default_factory=list, max_length=50)


class TrainingPublic(BaseModel):
    id: uuid.UUID
    site_id: uuid.UUID
    held_at: datetime
    topics: list[str]
    trainer: str
    attendee_count: int
    duration_minutes: int
    notes: str | None
    photo_ids: list[uuid.UUID]
    officer_id: uuid.UUID
    created_at: datetime
