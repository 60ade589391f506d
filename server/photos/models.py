"""Photos (the evidence) and the links that tie them to the records that name them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

from pydantic import BaseModel, model_validator
from pydantic import Field as PField
from pydantic_core import PydanticCustomError
from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from rulebook.categories import PHOTO_KINDS
from server.common import UTCDateTime, utcnow
from server.inputs import CameraTime, InputModel

# Str enum of the photo kinds, for pydantic models and the upload form; the kinds live in the rulebook.
PhotoKind = Enum("PhotoKind", {k: k for k in PHOTO_KINDS}, type=str)  # type: ignore[misc]


class PhotoSize(str, Enum):
    thumb = "thumb"
    display = "display"
    original = "original"


class Photo(SQLModel, table=True):
    id: uuid.UUID = Field(primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=20)
    content_type: str = Field(max_length=40)
    size_bytes: int
    width: int
    height: int
    taken_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lat: float | None = None
    lon: float | None = None
    uploaded_by: uuid.UUID = Field(foreign_key="user.id", index=True)
    request_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PhotoLink(SQLModel, table=True):
    """One record naming one photo; carries the site so scope queries need no joins per record type."""

    __tablename__ = "photo_link"
    __table_args__ = (Index("ix_photo_link_site_photo", "site_id", "photo_id"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    photo_id: uuid.UUID = Field(foreign_key="photo.id", index=True)
    site_id: uuid.UUID = Field(foreign_key="site.id")
    hazard_id: uuid.UUID | None = Field(default=None, foreign_key="hazard.id", index=True)
    inspection_id: uuid.UUID | None = Field(default=None, foreign_key="inspection.id", index=True)
    training_id: uuid.UUID | None = Field(default=None, foreign_key="training_session.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PhotoFields(InputModel):
    """The form fields that come with the file."""

    kind: PhotoKind
    taken_at: CameraTime | None = None
    lat: float | None = PField(default=None, ge=-90, le=90)
    lon: float | None = PField(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def lat_and_lon_together(self) -> PhotoFields:
        if (self.lat is None) != (self.lon is None):
            raise PydanticCustomError("lat_lon_together", "give lat and lon together, or neither")
        return self


class PhotoPublic(BaseModel):
    id: uuid.UUID
    sha256: str
    kind: str
    content_type: str
    size_bytes: int
    width: int
    height: int
    taken_at: datetime | None
    lat: float | None
    lon: float | None
    uploaded_by: uuid.UUID
    created_at: datetime
