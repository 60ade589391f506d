"""A checklist run at one site, with its answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import JSON, Index, Text, and_, case, cast, func, literal_column, text
from sqlmodel import Field, SQLModel

from rulebook.joint import MAX_PARTICIPANTS
from server.common import UTCDateTime, UTCTime, utcnow
from server.inputs import InputModel

Result = Literal["pass", "fail", "na"]

# "Names someone" (may be joint): not an empty list, not JSON null, not NULL (from before 0011). A condition
# on the stored text that cannot fail on any row, so a partial index may hold it; the joint count itself
# (json_array_length > 0) is asked of the few rows it leaves.
MAYBE_JOINT_SQL = "CAST(participants AS TEXT) NOT IN ('[]', 'null')"
# Carries presence flags (not an empty list, not JSON null): the few flagged inspections, in an index of their
# own, so a hazard's flags are asked of that small index (the changes feed asks for every hazard of a page).
MAYBE_FLAGGED_SQL = "CAST(presence_flags AS TEXT) NOT IN ('[]', 'null')"


class Inspection(SQLModel, table=True):
    __table_args__ = (
        Index("ix_inspection_site_finished", "site_id", "finished_at"),
        # Period reports over every site; the week's rounds (categories done, days visited per site and
        # inspector) read it alone, an index-only scan.
        Index("ix_inspection_finished_site", "finished_at", "site_id", "category", "inspector_id"),
        # The board's joint inspections of the week: the few that name participants, by finish time.
        Index(
            "ix_inspection_joint_finished",
            "finished_at",
            postgresql_where=text(MAYBE_JOINT_SQL),
            sqlite_where=text(MAYBE_JOINT_SQL),
        ),
        # The list's seeks (server/paging.py): newest first over all, or over an officer's sites.
        Index("ix_inspection_created", "created_at", "id"),
        Index("ix_inspection_site_created", "site_id", "created_at", "id"),
        Index(
            "ix_inspection_flagged",
            "id",
            postgresql_where=text(MAYBE_FLAGGED_SQL),
            sqlite_where=text(MAYBE_FLAGGED_SQL),
        ),
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


def maybe_flagged():  # type: ignore[no-untyped-def]
    """MAYBE_FLAGGED_SQL as an expression with literals: the predicate of ix_inspection_flagged."""
    return cast(Inspection.presence_flags, Text).not_in([literal_column("'[]'"), literal_column("'null'")])


def maybe_joint():  # type: ignore[no-untyped-def]
    """MAYBE_JOINT_SQL as an expression with literals: the predicate of ix_inspection_joint_finished."""
    return cast(Inspection.participants, Text).not_in([literal_column("'[]'"), literal_column("'null'")])


def is_joint():  # type: ignore[no-untyped-def]
    """A joint inspection (联查联检) names participants: the partial index's predicate (the few rows of
    ix_inspection_joint_finished), then the names counted only where it holds (PostgreSQL's
    json_array_length fails on JSON null)."""
    named = case((maybe_joint(), func.json_array_length(Inspection.participants)), else_=0)
    return and_(maybe_joint(), named > 0)


class AnswerIn(InputModel):
    item_id: str = PField(min_length=1, max_length=100)
    result: Result
    note: str | None = PField(default=None, max_length=2000)
    photo_ids: list[uuid.UUID] = PField(default_factory=list, max_length=20)


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


class AnswerPublic(BaseModel):
    """An answer as stored (read back without the hostile-input checks its input passed once)."""

    item_id: str
    result: Result
    note: str | None = None
    photo_ids: list[uuid.UUID] = []


class ParticipantPublic(BaseModel):
    unit: str
    name: str


class SignaturePublic(BaseModel):
    photo_id: uuid.UUID
    signer_name: str
    signed_at: UTCTime
    lat: float | None = None
    lon: float | None = None


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
    participants: list[ParticipantPublic] = []
    signature: SignaturePublic | None = None
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
