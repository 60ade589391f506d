"""Hazards: one per failed item (or reported directly), tracked until closed."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import JSON, BigInteger, Index, literal_column, text
from sqlmodel import Field, SQLModel

from rulebook.categories import HAZARD_SOURCES
from rulebook.lifecycle import FINISHED_STATUSES, OPEN_STATUSES, STATUSES
from server.checklists.templates import Severity
from server.common import UTCDateTime, UTCTime, utcnow
from server.inputs import InputModel

# The partial indexes' conditions (escalation reads them; literal lists so the planner can match them).
OPEN_PREDICATE = "status IN ({})".format(", ".join(f"'{s}'" for s in OPEN_STATUSES))
FINISHED_ESCALATED_PREDICATE = "status IN ({}) AND escalation_level <> 0".format(
    ", ".join(f"'{s}'" for s in FINISHED_STATUSES)
)
# Str enum of the statuses, for pydantic models and query parameters; the lifecycle lives in the rulebook.
HazardStatus = Enum("HazardStatus", {s: s for s in STATUSES}, type=str)  # type: ignore[misc]
HazardSource = Enum("HazardSource", {s: s for s in HAZARD_SOURCES}, type=str)  # type: ignore[misc]

# "Not finished", written with literals (not bound parameters) so both databases see that a query holding
# it matches the partial index below, whose predicate is the same text.
_FINISHED_SQL = ", ".join(f"'{s}'" for s in FINISHED_STATUSES)
NOT_FINISHED_SQL = f"status NOT IN ({_FINISHED_SQL})"


BEFORE_PHOTO_KINDS = ("problem", "scene")  # the photos of a hazard as found (HazardPublic.photo_ids)


class Hazard(SQLModel, table=True):
    __table_args__ = (
        Index("ix_hazard_site_status", "site_id", "status"),
        Index("ix_hazard_org_status", "organization_id", "status"),
        Index("ix_hazard_created", "created_at", "id"),
        Index("ix_hazard_found", "found_at", "id"),  # the console's ledger: newest found first
        # The lists' seeks (server/paging.py): equality filter first, then the order (created_at, id).
        Index("ix_hazard_status_created", "status", "created_at", "id"),
        Index("ix_hazard_severity_created", "severity", "created_at", "id"),
        Index("ix_hazard_site_created", "site_id", "created_at", "id"),  # an officer's sites
        Index("ix_hazard_org_created", "organization_id", "created_at", "id"),  # a company's hazards
        # Overdue: the hazards not finished, by deadline (a small part of the history once most are closed).
        Index(
            "ix_hazard_open_deadline",
            "deadline",
            postgresql_where=text(NOT_FINISHED_SQL),
            sqlite_where=text(NOT_FINISHED_SQL),
        ),
        Index("ix_hazard_source", "source"),
        Index("ix_hazard_feed", "change_xid", "change_seq"),  # the changes feed's order (server/sync/changes.py)
        Index("ix_hazard_site_feed", "site_id", "change_xid", "change_seq"),  # an officer's feed: a range a site
        # Escalation's probes (server/hazards/escalation.py): open hazards by level and deadline; finished
        # ones still carrying a level (none, normally).
        Index(
            "ix_hazard_escalation_due",
            "escalation_level",
            "deadline",
            postgresql_where=text(OPEN_PREDICATE),
            sqlite_where=text(OPEN_PREDICATE),
        ),
        # The board's and the map's figures over the open hazards (server/web/board.py): an index-only scan of
        # this small part of the history, by site first (an officer's, a street's sites).
        Index(
            "ix_hazard_open_site",
            "site_id",
            "status",
            "category",
            "severity",
            "deadline",
            postgresql_where=text(OPEN_PREDICATE),
            sqlite_where=text(OPEN_PREDICATE),
        ),
        Index(
            "ix_hazard_finished_escalated",
            "id",
            postgresql_where=text(FINISHED_ESCALATED_PREDICATE),
            sqlite_where=text(FINISHED_ESCALATED_PREDICATE),
        ),
    )
    id: uuid.UUID = Field(primary_key=True)
    site_id: uuid.UUID = Field(foreign_key="site.id")
    category: str = Field(max_length=40)
    item_id: str | None = Field(default=None, max_length=100)
    inspection_id: uuid.UUID | None = Field(default=None, foreign_key="inspection.id", index=True)
    severity: str = Field(max_length=10)
    status: str = Field(default=HazardStatus.open.value, max_length=30)
    version: int = 1
    deadline: datetime = Field(sa_type=UTCDateTime, index=True)
    organization_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id")
    description: str = Field(default="", max_length=2000)
    reported_by: uuid.UUID = Field(foreign_key="user.id")
    found_at: datetime = Field(sa_type=UTCDateTime)
    escalation_level: int = 0
    request_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Position in the changes feed; stamped by every unit of work that writes it (server/sync/changes.py).
    # Photos: PhotoLink rows (server/photos/models.py). History: HazardTransition rows.
    change_seq: int = Field(default=0, sa_type=BigInteger)
    # Where it came from (rulebook.categories.HAZARD_SOURCES): checklist, officer, gridworker, resident, joint…
    source: str = Field(default="checklist", max_length=20, sa_column_kwargs={"server_default": "checklist"})
    change_xid: int = Field(default=0, sa_type=BigInteger)  # the writing transaction (PostgreSQL; 0 on SQLite)


def not_finished():  # type: ignore[no-untyped-def]
    """`status NOT IN ('closed', 'cancelled')` as literals: the predicate of ix_hazard_open_deadline."""
    return Hazard.status.not_in([literal_column(f"'{s}'") for s in FINISHED_STATUSES])


def is_open():  # type: ignore[no-untyped-def]
    """`status IN ('open', 'notified', 'rectifying', 'awaiting_verification')` as literals: the predicate of
    ix_hazard_open_site and ix_hazard_escalation_due, so both databases match the partial indexes."""
    return Hazard.status.in_([literal_column(f"'{s}'") for s in OPEN_STATUSES])


class HazardTransition(SQLModel, table=True):
    """The hazard's history: one row per accepted step, whatever path took it.

    raise/report (creation; from_status is ""), a PUT transition (under the client's id, with its request
    hash and stored result, so a replay answers the same), notify/acknowledge driven by a notice, and
    escalate (by the server; from/to are escalation levels there, the status does not change).
    Steps the server takes have deterministic ids (server/hazards/history.py) and no request hash."""

    __tablename__ = "hazard_transition"
    __table_args__ = (Index("ix_hazard_transition_hazard_created", "hazard_id", "created_at"),)
    id: uuid.UUID = Field(primary_key=True)
    hazard_id: uuid.UUID = Field(foreign_key="hazard.id", index=True)
    action: str = Field(max_length=30)
    from_status: str = Field(max_length=30)
    to_status: str = Field(max_length=30)
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    note: str | None = Field(default=None, max_length=2000)
    photo_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    request_hash: str | None = Field(default=None, max_length=64)
    result: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TransitionIn(InputModel):
    action: str = PField(min_length=1, max_length=30)
    base_version: int = PField(ge=1)
    note: str | None = PField(default=None, max_length=2000)
    photo_ids: list[uuid.UUID] = PField(default_factory=list, max_length=20)
    deadline: UTCTime | None = None


class HazardIn(InputModel):
    """A hazard reported outside a checklist."""

    site_id: uuid.UUID
    category: str = PField(min_length=1, max_length=40)
    severity: Severity
    description: str = PField(min_length=1, max_length=2000)
    found_at: UTCTime | None = None
    deadline: UTCTime | None = None
    photo_ids: list[uuid.UUID] = PField(default_factory=list, max_length=20)


class HazardPublic(BaseModel):
    id: uuid.UUID
    site_id: uuid.UUID
    category: str
    item_id: str | None
    inspection_id: uuid.UUID | None
    severity: str
    status: str
    version: int
    deadline: datetime
    organization_id: uuid.UUID | None
    description: str
    photo_ids: list[uuid.UUID]  # the before photos (kinds problem and scene), in the order they were linked
    notice_id: uuid.UUID | None = None  # the latest notice the hazard is on: acknowledge through it
    presence_flags: list[str] = []  # of the inspection that raised it (far_from_site, no_fix, clock_skew)
    source: str = "checklist"  # checklist, officer, gridworker, resident, joint, external
    reported_by: uuid.UUID
    found_at: datetime
    overdue: bool
    escalation_level: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class HistoryEntry(BaseModel):
    at: datetime
    actor_id: uuid.UUID | None
    actor_name: str | None
    action: str
    from_state: str | None
    to_state: str | None
    note: str | None = None
    photo_ids: list[uuid.UUID] = []


class HazardDetail(HazardPublic):
    site_name: str
    organization_name: str | None
    allowed_actions: list[str]
    history: list[HistoryEntry]
    photos: dict[str, list[uuid.UUID]]


class HazardPage(BaseModel):
    items: list[HazardPublic]
    next_cursor: str | None
