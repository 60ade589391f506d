"""Append-only audit trail: the database itself refuses UPDATE and DELETE (see migrations)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer
from sqlmodel import Field, SQLModel

from server.common import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_target", "target_type", "target_id"),)
    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    )
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_id: str | None = Field(default=None, max_length=36)
    action: str = Field(max_length=60)
    target_type: str = Field(max_length=40)
    target_id: str = Field(max_length=64)
    from_state: str | None = Field(default=None, max_length=40)
    to_state: str | None = Field(default=None, max_length=40)
    request_id: str | None = Field(default=None, max_length=64)  # the server's, unique per request
    client_request_id: str | None = Field(default=None, max_length=64)  # the caller's X-Request-ID, as sent
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
