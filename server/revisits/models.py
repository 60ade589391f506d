"""The revisit (回访) of a closed red hazard: due some days after the close, answered by the site's officer."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from server.common import UTCDateTime, utcnow
from server.inputs import InputModel


class Revisit(SQLModel, table=True):
    """One per revisited hazard; a hazard closed again after a reopen is due again (the row is reused)."""

    __table_args__ = (Index("ix_revisit_site_status_due", "site_id", "status", "due_on"),)
    id: uuid.UUID = Field(primary_key=True)  # uuid5 of the hazard's id: the phone can name it offline
    hazard_id: uuid.UUID = Field(foreign_key="hazard.id", unique=True)
    site_id: uuid.UUID = Field(foreign_key="site.id")
    closed_at: datetime = Field(sa_type=UTCDateTime)
    due_on: date  # the local day the revisit falls due
    status: str = Field(default="due", max_length=20)  # rulebook.joint.REVISIT_STATUSES
    answered_by: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    photo_id: uuid.UUID | None = Field(default=None, foreign_key="photo.id")
    note: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RevisitAnswerIn(InputModel):
    outcome: Literal["confirmed", "reopen"]
    note: str | None = PField(default=None, max_length=2000)
    photo_id: uuid.UUID | None = None  # required to reopen: the photo of what is broken again


class RevisitPublic(BaseModel):
    id: uuid.UUID
    hazard_id: uuid.UUID
    site_id: uuid.UUID
    site_name: str = ""
    category: str = ""
    item_id: str | None = None
    severity: str = ""
    description: str = ""
    closed_at: datetime
    due_on: date
    status: str
    answered_by: uuid.UUID | None = None
    answered_at: datetime | None = None
    photo_id: uuid.UUID | None = None
    note: str | None = None
    hazard_status: str = ""
    hazard_version: int = 0
    created_at: datetime


class RevisitPage(BaseModel):
    items: list[RevisitPublic]
    next_cursor: str | None
