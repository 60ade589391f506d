"""Sites (communities and villages), their profile, and officers' round assignments."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField
from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.common import UTCDateTime, utcnow
from server.inputs import InputModel, PatchModel

SiteKind = Literal["community", "village"]


def new_public_code() -> str:
    return secrets.token_urlsafe(12)


class SiteProfile(InputModel):
    """What a site has; checklist items use the flags in `applies_if`."""

    has_gas: bool = False
    has_elevators: bool = False
    has_high_rise: bool = False
    has_underground_garage: bool = False
    has_ebike_charging: bool = False
    has_fire_control_room: bool = False
    building_count: int = PField(default=0, ge=0, le=10_000)
    household_count: int = PField(default=0, ge=0, le=1_000_000)


class Site(SQLModel, table=True):
    __table_args__ = (Index("ix_site_name", "name", "id"),)  # GET /sites pages by (name, id)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    district: str = Field(default="", max_length=100)
    street: str = Field(default="", max_length=100)
    address: str = Field(default="", max_length=300)
    lat: float | None = None
    lon: float | None = None
    property_org_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id", index=True)
    profile: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The code in the QR on the site's poster (/r/{code}): unguessable, replaced when an admin retires it.
    public_code: str | None = Field(default_factory=new_public_code, max_length=32, unique=True, index=True)


class Assignment(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("officer_id", "site_id", name="uq_assignment_officer_site"),
        Index("ix_assignment_created", "created_at", "id"),  # GET /assignments pages by (created_at, id)
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    officer_id: uuid.UUID = Field(foreign_key="user.id", index=True)
    site_id: uuid.UUID = Field(foreign_key="site.id", index=True)
    visits_per_week: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# ---- API schemas -----------------------------------------------------------


class SiteCreate(InputModel):
    name: str = PField(min_length=1, max_length=200)
    kind: SiteKind
    district: str = PField(default="", max_length=100)
    street: str = PField(default="", max_length=100)
    address: str = PField(default="", max_length=300)
    lat: float | None = PField(default=None, ge=-90, le=90)
    lon: float | None = PField(default=None, ge=-180, le=180)
    property_org_id: uuid.UUID | None = None
    profile: SiteProfile = SiteProfile()


class SiteUpdate(PatchModel):
    may_clear = frozenset({"lat", "lon", "property_org_id"})
    name: str | None = PField(default=None, min_length=1, max_length=200)
    kind: SiteKind | None = None
    district: str | None = PField(default=None, max_length=100)
    street: str | None = PField(default=None, max_length=100)
    address: str | None = PField(default=None, max_length=300)
    lat: float | None = PField(default=None, ge=-90, le=90)
    lon: float | None = PField(default=None, ge=-180, le=180)
    property_org_id: uuid.UUID | None = None
    profile: SiteProfile | None = None


class SitePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    kind: str
    district: str
    street: str
    address: str
    lat: float | None
    lon: float | None
    property_org_id: uuid.UUID | None
    profile: SiteProfile
    updated_at: datetime


class AssignmentCreate(InputModel):
    officer_id: uuid.UUID
    site_id: uuid.UUID
    visits_per_week: int = PField(default=1, ge=1, le=14)


class AssignmentUpdate(PatchModel):
    visits_per_week: int = PField(ge=1, le=14)


class AssignmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    officer_id: uuid.UUID
    site_id: uuid.UUID
    visits_per_week: int
