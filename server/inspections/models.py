"""A checklist run at one site, with its answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from rulebook.joint import MAX_PARTICIPANTS
from server.common import UTCDateTime, UTCTime, utcnow
from server.inputs import InputModel

Result = Literal["pass", "fail", "na"]


class Inspection(SQLModel, table=True):
    __table_args__ = (
        Index("ix_inspection_site_finished", "site_id", "finished_at"),
        Index("ix_inspection_finished", "finished_at"),  # period reports over every site
        # The list's seeks (server/paging.py): newest first over all, or over an officer's sites.
        Index("ix_inspection_created", "created_at", "id"),
        Index("ix_inspection_site_created", "site_id", "created_at", "id"),
    )
    id: uuid.UUID = Field(primary_key=True)
    site_id: uuid.UUID = Field(foreign_key="site.id")
    category: str = Field(max_length=40)
    template_version: int
    inspector_id: uuid.UUID = Field(foreign_key="user.id", index=True)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime = Field(sa_type=UTCDateTime)
    lat: float | None = None  # where the phone was at finish (else at start)
    lon: float | None = None
    accuracy_m: float | None = None
    start_lat: float | None = None
    start_lon: float | None = None
    start_accuracy_m: float | None = None
    answers: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # Proof of presence, computed on receipt (server/inspections/presence.py).
    presence_flags: list[str] = Field(default_factory=list, sa_type=JSON)
    distance_m: float | None = None
    device_clock_skew_s: float | None = None
    request_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # A joint inspection (联查联检): who from other units took part, [{unit, name}], and the property
    # company representative's on-site signature {photo_id, signer_name, signed_at, lat, lon}.
    participants: list[dict[str, Any]] | None = Field(default_factory=list, sa_type=JSON)  # NULL: from before
    signature: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class AnswerIn(InputModel):
    item_id: str = PField(min_length=1, max_length=100)
    result: Result
    note: str | None = PField(default=None, max_length=2000)
    photo_ids: list[uuid.UUID] = PField(default_factory=list, max_length=20)


class AnswerPublic(BaseModel):
    """An answer as stored and sent back: checked once, as an AnswerIn, when it came in."""

    item_id: str
    result: Result
    note: str | None = None
    photo_ids: list[uuid.UUID] = []


class ParticipantIn(InputModel):
    unit: str = PField(min_length=1, max_length=20)  # a key of rulebook.joint.PARTICIPANT_UNITS
    name: str = PField(min_length=1, max_length=50)


class SignatureIn(InputModel):
    photo_id: uuid.UUID  # a photo of kind `signature`, uploaded before the inspection
    signer_name: str = PField(min_length=1, max_length=50)
    signed_at: UTCTime
    lat: float | None = PField(default=None, ge=-90, le=90)
    lon: float | None = PField(default=None, ge=-180, le=180)


class InspectionIn(InputModel):
    site_id: uuid.UUID
    category: str = PField(min_length=1, max_length=40)
    template_version: int = PField(ge=1)
    started_at: UTCTime
    finished_at: UTCTime
    lat: float | None = PField(default=None, ge=-90, le=90)
    lon: float | None = PField(default=None, ge=-180, le=180)
    accuracy_m: float | None = PField(default=None, ge=0)
    start_lat: float | None = PField(default=None, ge=-90, le=90)
    start_lon: float | None = PField(default=None, ge=-180, le=180)
    start_accuracy_m: float | None = PField(default=None, ge=0)
    answers: list[AnswerIn] = PField(min_length=1, max_length=500)
    participants: list[ParticipantIn] = PField(default_factory=list, max_length=MAX_PARTICIPANTS)
    signature: SignatureIn | None = None


class InspectionPublic(BaseModel):
    id: uuid.UUID
    site_id: uuid.UUID
    category: str
    template_version: int
    inspector_id: uuid.UUID
    started_at: datetime
    finished_at: datetime
    lat: float | None
    lon: float | None
    accuracy_m: float | None = None
    start_lat: float | None = None
    start_lon: float | None = None
    start_accuracy_m: float | None = None
    answers: list[AnswerPublic]
    hazard_ids: list[uuid.UUID]
    presence_flags: list[str] = []
    distance_m: float | None = None
    device_clock_skew_s: float | None = None
    created_at: datetime
    participants: list[ParticipantIn] = []
    signature: SignatureIn | None = None
    joint: bool = False


class InspectionPage(BaseModel):
    items: list[InspectionPublic]
    next_cursor: str | None


class OfficerPresence(BaseModel):
    """One officer's inspections in a period and how many carry each presence flag."""

    inspector_id: uuid.UUID
    inspections: int
    far_from_site: int
    no_fix: int
    clock_skew: int
