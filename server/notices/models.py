"""Rectification notices (整改通知书): numbered per year, to one company, for one or more hazards."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

from server.common import UTCDateTime, UTCTime, utcnow
from server.inputs import InputModel


class Notice(SQLModel, table=True):
    __table_args__ = (
        Index("ix_notice_feed", "change_xid", "change_seq"),  # the changes feed's order (server/sync/changes.py)
        # The list's seeks (server/paging.py): newest issued first over all, or one company's.
        Index("ix_notice_issued", "issued_at", "id"),
        Index("ix_notice_org_issued", "organization_id", "issued_at", "id"),
    )
    id: uuid.UUID = Field(primary_key=True)
    number: str = Field(max_length=32, unique=True)
    organization_id: uuid.UUID = Field(foreign_key="organization.id")
    deadline: datetime = Field(sa_type=UTCDateTime)
    basis: str = Field(default="", max_length=2000)
    note: str | None = Field(default=None, max_length=2000)
    issued_by: uuid.UUID = Field(foreign_key="user.id")
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    request_hash: str = Field(max_length=64)
    change_seq: int = Field(default=0, sa_type=BigInteger)
    change_xid: int = Field(default=0, sa_type=BigInteger)  # see server/sync/changes.py


class NoticeHazard(SQLModel, table=True):
    __tablename__ = "notice_hazard"
    notice_id: uuid.UUID = Field(foreign_key="notice.id", primary_key=True)
    hazard_id: uuid.UUID = Field(foreign_key="hazard.id", primary_key=True, index=True)


class NoticeCounter(SQLModel, table=True):
    """The last number issued each year; bumped in the issuing transaction, so numbers have no gaps."""

    __tablename__ = "notice_counter"
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = 0


class NoticeIn(InputModel):
    organization_id: uuid.UUID
    hazard_ids: list[uuid.UUID] = PField(min_length=1, max_length=200)
    deadline: UTCTime | None = None
    basis: str | None = PField(default=None, max_length=2000)
    note: str | None = PField(default=None, max_length=2000)


class NoticePublic(BaseModel):
    id: uuid.UUID
    number: str
    organization_id: uuid.UUID
    organization_name: str
    hazard_ids: list[uuid.UUID]
    site_ids: list[uuid.UUID]
    deadline: datetime
    basis: str
    note: str | None
    issued_by: uuid.UUID
    issued_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: uuid.UUID | None
