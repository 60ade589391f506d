"""Every checklist template version the server has seen, kept so old inspections stay readable."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from server.common import UTCDateTime, utcnow


class ChecklistVersion(SQLModel, table=True):
    __tablename__ = "checklist_version"
    category: str = Field(primary_key=True, max_length=40)
    version: int = Field(primary_key=True)
    content: dict[str, Any] = Field(sa_type=JSON)
    content_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ChecklistSummary(BaseModel):
    category: str
    version: int
    title: dict[str, str]
    item_count: int
