"""Raising, reporting, reading and listing hazards."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from server.audit import service as audit
from server.checklists.templates import CATEGORIES
from server.common import canonical_hash, utcnow
from server.config import Settings
from server.errors import Invalid, not_found
from server.idempotency import check_same_request, commit_or_replay
from rulebook import hazards as hazard_rules
from rulebook.lifecycle import FINISHED_STATUSES
from server.hazards.models import Hazard, HazardIn, HazardPage, HazardPublic, HazardStatus
from server.photos.service import attach_photos, require_photos
from server.scope import hazard_condition, site_condition
from server.sites.models import Site
from server.users.models import User


def default_deadline(*, found_at: datetime, severity: str, settings: Settings) -> datetime:
    """End of the local day, N days after the hazard was found (N by severity, a setting)."""
    return hazard_rules.default_deadline(found_at=found_at, days=settings.deadline_days(severity), tz=settings.tz)


def is_overdue(hazard: Hazard, now: datetime | None = None) -> bool:
    return hazard.status not in FINISHED_STATUSES and hazard.deadline < (now or utcnow())


def to_public(hazard: Hazard, now: datetime | None = None) -> HazardPublic:
    return HazardPublic(
        **hazard.model_dump(exclude={"request_hash", "photo_ids"}),
        photo_ids=[uuid.UUID(str(p)) for p in hazard.photo_ids],
        overdue=is_overdue(hazard, now),
    )


def new_hazard(*, site: Site, category: str, severity: str, description: str, reported_by: uuid.UUID,
               found_at: datetime, settings: Settings, hazard_id: uuid.UUID, item_id: str | None = None,
               inspection_id: uuid.UUID | None = None, photo_ids: list[uuid.UUID] | None = None,
               deadline: datetime | None = None, request_hash: str | None = None) -> Hazard:
    now = utcnow()
    return Hazard(
        id=hazard_id, site_id=site.id, category=category, item_id=item_id, inspection_id=inspection_id,
        severity=severity, status=HazardStatus.open.value, version=1,
        deadline=deadline or default_deadline(found_at=found_at, severity=severity, settings=settings),
        organization_id=site.property_org_id, description=description,
        photo_ids=[str(p) for p in (photo_ids or [])], reported_by=reported_by, found_at=found_at,
        request_hash=request_hash, created_at=now, updated_at=now,
    )


def report_hazard(*, session: Session, settings: Settings, user: User, hazard_id: uuid.UUID,
                  data: HazardIn) -> tuple[HazardPublic, bool]:
    """Record a hazard seen outside a checklist. Returns (hazard, created)."""
    request_hash = canonical_hash(data.model_dump(mode="json"))
    existing = session.get(Hazard, hazard_id)
    if existing is not None:
        return _replay(existing, request_hash), False
    if data.category not in CATEGORIES:
        raise Invalid("unknown_category", category=data.category, allowed=list(CATEGORIES))
    site = session.exec(select(Site).where(Site.id == data.site_id, site_condition(user))).first()
    if site is None:
        raise Invalid("unknown_site", site_id=str(data.site_id))
    now = utcnow()
    found_at = data.found_at or now
    if found_at > now + timedelta(hours=1):
        raise Invalid("time_in_future", field="found_at")
    require_photos(session=session, user=user, photo_ids=data.photo_ids)
    hazard = new_hazard(site=site, category=data.category, severity=data.severity.value,
                        description=data.description, reported_by=user.id, found_at=found_at, settings=settings,
                        hazard_id=hazard_id, photo_ids=data.photo_ids, deadline=data.deadline,
                        request_hash=request_hash)
    session.add(hazard)
    audit.record(session=session, actor_id=user.id, action="report", target_type="hazard", target_id=hazard.id,
                 to_state=hazard.status)

    def link_photos() -> None:
        session.flush()  # the hazard row first: photo links point at it
        attach_photos(session=session, photo_ids=data.photo_ids, site_id=site.id, hazard_id=hazard_id)

    replayed = commit_or_replay(session, Hazard, hazard_id, lambda existing: _replay(existing, request_hash),
                                before_commit=link_photos)
    if replayed is not None:
        return replayed, False
    return to_public(hazard), True


def _replay(existing: Hazard, request_hash: str) -> HazardPublic:
    check_same_request(existing.request_hash, request_hash, "hazard")
    return to_public(existing)


def get_hazard(*, session: Session, user: User, hazard_id: uuid.UUID) -> Hazard:
    hazard = session.exec(select(Hazard).where(Hazard.id == hazard_id, hazard_condition(user))).first()
    if hazard is None:
        raise not_found("hazard")
    return hazard


def encode_cursor(created_at: datetime, item_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{item_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        stamp, item_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(stamp), uuid.UUID(item_id)
    except (ValueError, UnicodeDecodeError):
        raise Invalid("bad_cursor") from None


def list_hazards(*, session: Session, user: User, status: list[str] | None = None, site_id: uuid.UUID | None = None,
                 category: str | None = None, severity: str | None = None,
                 organization_id: uuid.UUID | None = None, overdue: bool | None = None, limit: int = 50,
                 cursor: str | None = None) -> HazardPage:
    now = utcnow()
    query = select(Hazard).where(hazard_condition(user))
    if status:
        query = query.where(Hazard.status.in_(status))
    if site_id:
        query = query.where(Hazard.site_id == site_id)
    if category:
        query = query.where(Hazard.category == category)
    if severity:
        query = query.where(Hazard.severity == severity)
    if organization_id:
        query = query.where(Hazard.organization_id == organization_id)
    if overdue is not None:
        late = and_(Hazard.status.not_in(FINISHED_STATUSES), Hazard.deadline < now)
        query = query.where(late if overdue else ~late)
    if cursor:
        at, last_id = decode_cursor(cursor)
        query = query.where(or_(Hazard.created_at < at, and_(Hazard.created_at == at, Hazard.id < last_id)))
    rows = list(session.exec(query.order_by(Hazard.created_at.desc(), Hazard.id.desc()).limit(limit + 1)).all())
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return HazardPage(items=[to_public(h, now) for h in rows[:limit]], next_cursor=next_cursor)
