"""Organizations, users and login throttling."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PField
from sqlmodel import Field, SQLModel

from server.common import UTCDateTime, utcnow
from server.inputs import InputModel, PatchModel


class Role(str, Enum):
    admin = "admin"
    officer = "officer"
    property = "property"
    gridworker = "gridworker"


OrgKind = Literal["property", "department"]
Language = Literal["zh", "en"]


class Organization(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=20)
    phone: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class User(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)
    organization_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id", index=True)
    display_name: str = Field(default="", max_length=100)
    language: str = Field(default="zh", max_length=5)
    phone: str | None = Field(default=None, max_length=40)
    duties: str | None = Field(default=None, max_length=200)  # shown on the site's poster
    # The phone and duties appear on the public poster only when the user agreed.
    publish_contact: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})
    is_active: bool = True
    # Raised by a password change, a role change or a deactivation: every token minted before stops working.
    token_generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LoginFailure(SQLModel, table=True):
    __tablename__ = "login_failure"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    # The client's address: throttling counts (username, address) and address alone, never username alone.
    address: str | None = Field(default=None, max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuthSession(SQLModel, table=True):
    """One sign-in: its refresh tokens form a family; only the newest (`refresh_jti`) may be used, once.
    Sign-out or a reused refresh token revokes the session and every access token it minted."""

    __tablename__ = "auth_session"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="user.id", index=True)
    refresh_jti: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    refreshed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# ---- API schemas -----------------------------------------------------------

Name = PField(min_length=1, max_length=200)


class OrganizationCreate(InputModel):
    name: str = Name
    kind: OrgKind
    phone: str | None = PField(default=None, max_length=40)


class OrganizationUpdate(PatchModel):
    may_clear = frozenset({"phone"})
    name: str | None = PField(default=None, min_length=1, max_length=200)
    kind: OrgKind | None = None
    phone: str | None = PField(default=None, max_length=40)


class OrganizationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    kind: str
    phone: str | None
    created_at: datetime
    updated_at: datetime


Username = PField(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
# Passwords are kept exactly as typed: never stripped (the body's other text is).
Password = Annotated[str, StringConstraints(strip_whitespace=False, min_length=8, max_length=128)]


class UserCreate(InputModel):
    username: str = Username
    password: Password
    role: Role
    organization_id: uuid.UUID | None = None
    display_name: str = PField(default="", max_length=100)
    language: Language = "zh"
    phone: str | None = PField(default=None, max_length=40)
    duties: str | None = PField(default=None, max_length=200)
    publish_contact: bool = False


class UserUpdate(PatchModel):
    may_clear = frozenset({"organization_id", "phone", "duties"})
    password: Password | None = None
    role: Role | None = None
    organization_id: uuid.UUID | None = None
    display_name: str | None = PField(default=None, max_length=100)
    language: Language | None = None
    phone: str | None = PField(default=None, max_length=40)
    duties: str | None = PField(default=None, max_length=200)
    publish_contact: bool | None = None
    is_active: bool | None = None


class MeUpdate(PatchModel):
    """What a user may change about themselves."""

    may_clear = frozenset({"phone", "duties"})
    display_name: str | None = PField(default=None, max_length=100)
    language: Language | None = None
    phone: str | None = PField(default=None, max_length=40)
    duties: str | None = PField(default=None, max_length=200)
    publish_contact: bool | None = None


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    username: str
    role: Role
    organization_id: uuid.UUID | None
    display_name: str
    language: str
    phone: str | None
    duties: str | None = None
    publish_contact: bool = False
    is_active: bool


class MePublic(UserPublic):
    site_ids: list[uuid.UUID]


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class RefreshRequest(InputModel):
    refresh_token: str = PField(min_length=1, max_length=4096)
