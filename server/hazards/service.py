"""Raising, reporting, reading and listing hazards."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta

from pydantic_core import to_json
from sqlalchemy import and_, false, func
from sqlmodel import Session, select

from rulebook import hazards as hazard_rules
from rulebook.lifecycle import FINISHED_STATUSES
from server import wire_json
from server.audit import service as audit
from server.audit.models import AuditEvent
from server.checklists.templates import CATEGORIES
from server.common import canonical_hash, utcnow
from server.config import Settings
from server.db import among, on_postgresql
from server.errors import Invalid, not_found
from server.hazards.history import creation_step_id, record_step
from server.hazards.models import (
    BEFORE_PHOTO_KINDS,
    Hazard,
    HazardIn,
    HazardPublic,
    HazardStatus,
    not_finished,
)
from server.idempotency import check_same_request, stored_in_scope, write_once
from server.inspections.models import Inspection, maybe_flagged
from server.inspections.presence import has_flag
from server.notices.models import Notice, NoticeHazard
from server.paging import newest_first_at_sites, newest_first_of_any, split_page
from server.photos.models import Photo, PhotoLink
from server.photos.service import attach_photos, require_photos
from server.scope import hazard_condition, officer_site_ids, site_condition
from server.sites.models import Site
from server.sync.changes import stamp_changes
from server.users.models import User


def default_deadline(*, found_at: datetime, severity: str, settings: Settings) -> datetime:
    """End of the local day, N days after the hazard was found (N by severity, a setting)."""
    return hazard_rules.default_deadline(found_at=found_at, days=settings.deadline_days(severity), tz=settings.tz)


def is_overdue(hazard: Hazard, now: datetime | None = None) -> bool:
    return hazard.status not in FINISHED_STATUSES and hazard.deadline < (now or utcnow())


def hazard_extras(
    session: Session,
    ids: Collection[uuid.UUID],
    inspection_ids: Collection[uuid.UUID],
    issued_at: Mapping[uuid.UUID, datetime] | None = None,
) -> tuple[dict[uuid.UUID, list[uuid.UUID]], dict[uuid.UUID, uuid.UUID], dict[uuid.UUID, list[str]]]:
    """What the wire shape adds to hazards, a few queries for any number: each one's before photos (in the
    order they were linked), its latest notice, and the presence flags of the inspections that raised them.
    `issued_at`: notices' issue times the caller has read already (the feed's page), not asked again."""
    photos: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    if not ids:
        return photos, {}, {}
    for hazard_id, photo_id in session.exec(
        select(PhotoLink.hazard_id, PhotoLink.photo_id)
        .join(Photo, Photo.id == PhotoLink.photo_id)
        .where(among(session, PhotoLink.hazard_id, ids), Photo.kind.in_(BEFORE_PHOTO_KINDS))
        .order_by(PhotoLink.created_at, PhotoLink.id)
    ).all():
        if photo_id not in photos[hazard_id]:
            photos[hazard_id].append(photo_id)
    flags = (
        dict(
            session.exec(
                select(Inspection.id, Inspection.presence_flags).where(
                    among(session, Inspection.id, inspection_ids),
                    # only the flagged ones come back (ix_inspection_flagged): most inspections have none, and
                    # each JSON costs a decode
                    maybe_flagged(),
                    func.json_array_length(Inspection.presence_flags) > 0,
                )
            ).all()
        )
        if inspection_ids
        else {}
    )
    # Each hazard's latest notice by (issued_at, id): the links, then the notices' dates, each by key (a
    # join made PostgreSQL hash the whole notice table for a page of the feed).
    links = session.exec(
        select(NoticeHazard.hazard_id, NoticeHazard.notice_id).where(among(session, NoticeHazard.hazard_id, ids))
    ).all()
    issued = dict(issued_at or {})
    unknown = {n for _, n in links if n not in issued}
    if unknown:
        issued.update(session.exec(select(Notice.id, Notice.issued_at).where(among(session, Notice.id, unknown))).all())
    notices: dict[uuid.UUID, uuid.UUID] = {}
    for hazard_id, notice_id in links:
        latest = notices.get(hazard_id)
        if latest is None or (issued[notice_id], notice_id) > (issued[latest], latest):
            notices[hazard_id] = notice_id
    return photos, notices, flags


def to_public_many(session: Session, hazards: Sequence[Hazard], now: datetime | None = None) -> list[HazardPublic]:
    """The wire shape: photo_ids are the before photos linked to each hazard, notice_id its latest notice."""
    if not hazards:
        return []
    photos, notices, flags = hazard_extras(
        session, [h.id for h in hazards], {h.inspection_id for h in hazards if h.inspection_id}
    )
    return [
        HazardPublic(
            **h.model_dump(exclude={"request_hash"}),
            photo_ids=photos[h.id],
            notice_id=notices.get(h.id),
            overdue=is_overdue(h, now),
            presence_flags=list(flags.get(h.inspection_id) or []),
        )
        for h in hazards
    ]


def to_public(session: Session, hazard: Hazard, now: datetime | None = None) -> HazardPublic:
    return to_public_many(session, [hazard], now)[0]


def new_hazard(
    *,
    site: Site,
    category: str,
    severity: str,
    description: str,
    reported_by: uuid.UUID,
    found_at: datetime,
    settings: Settings,
    hazard_id: uuid.UUID,
    item_id: str | None = None,
    inspection_id: uuid.UUID | None = None,
    deadline: datetime | None = None,
    request_hash: str | None = None,
    source: str = "checklist",
) -> Hazard:
    now = utcnow()
    return Hazard(
        id=hazard_id,
        site_id=site.id,
        category=category,
        item_id=item_id,
        inspection_id=inspection_id,
        severity=severity,
        status=HazardStatus.open.value,
        version=1,
        deadline=deadline or default_deadline(found_at=found_at, severity=severity, settings=settings),
        organization_id=site.property_org_id,
        description=description,
        reported_by=reported_by,
        found_at=found_at,
        request_hash=request_hash,
        source=source,
        created_at=now,
        updated_at=now,
    )


def record_new_hazard(*, session: Session, hazard: Hazard, action: str, detail: dict | None = None) -> None:
    """Add a new hazard with its first history step, its audit event and its place in the changes feed
    (inside the caller's unit of work)."""
    record_new_hazards(session=session, hazards=[hazard], action=action, detail=detail)


def record_new_hazards(
    *,
    session: Session,
    hazards: Sequence[Hazard],
    action: str,
    detail: dict | None = None,
    audit_before: Sequence[AuditEvent] = (),
) -> None:
    """record_new_hazard() for several hazards in a fixed number of statements, however many: one stamp for
    all, one INSERT of the hazards, one of their first steps (when the unit of work flushes next) and one of the
    audit events (`audit_before`, other events of the unit of work, first)."""
    stamp_changes(session, hazards)  # before the flush: the stamps go into the hazards' INSERT
    session.flush()  # the hazard rows first: their history and photo links point at them
    events = list(audit_before)
    for hazard in hazards:
        record_step(
            session,
            step_id=creation_step_id(hazard.id),
            hazard=hazard,
            action=action,
            from_status="",
            to_status=hazard.status,
            actor_id=hazard.reported_by,
        )
        events.append(
            audit.event(
                actor_id=hazard.reported_by,
                action=action,
                target_type="hazard",
                target_id=hazard.id,
                to_state=hazard.status,
                detail=detail,
            )
        )
    audit.record_all(session, events)


def report_hazard(
    *, session: Session, settings: Settings, user: User, hazard_id: uuid.UUID, data: HazardIn
) -> tuple[HazardPublic, bool]:
    """Record a hazard seen outside a checklist. Returns (hazard, created)."""
    request_hash = canonical_hash(data.model_dump(mode="json"))
    existing = stored_in_scope(session, Hazard, hazard_id, hazard_condition(user), "hazard")
    if existing is not None:
        return _replay(session, existing, request_hash), False
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
    site_id = site.id

    def write() -> Hazard:
        hazard = new_hazard(
            site=site,
            category=data.category,
            severity=data.severity.value,
            description=data.description,
            reported_by=user.id,
            found_at=found_at,
            settings=settings,
            hazard_id=hazard_id,
            deadline=data.deadline,
            request_hash=request_hash,
            source="officer",
        )
        record_new_hazard(session=session, hazard=hazard, action="report")
        attach_photos(session=session, photo_ids=data.photo_ids, site_id=site_id, hazard_id=hazard_id)
        return hazard

    hazard, created = write_once(session, Hazard, hazard_id, write, replay=lambda existing: existing)
    if not created:
        return _replay(session, hazard, request_hash), False
    return to_public(session, hazard), True


def _replay(session: Session, existing: Hazard, request_hash: str) -> HazardPublic:
    check_same_request(existing.request_hash, request_hash, "hazard")
    return to_public(session, existing)


def get_hazard(*, session: Session, user: User, hazard_id: uuid.UUID) -> Hazard:
    hazard = session.exec(select(Hazard).where(Hazard.id == hazard_id, hazard_condition(user))).first()
    if hazard is None:
        raise not_found("hazard")
    return hazard


MAX_BRANCHES = 60  # seeks merged into one page; beyond, one query over the scope condition


def list_hazards(
    *,
    session: Session,
    user: User,
    status: list[str] | None = None,
    site_id: uuid.UUID | None = None,
    category: str | None = None,
    severity: str | None = None,
    organization_id: uuid.UUID | None = None,
    overdue: bool | None = None,
    limit: int = 50,
    cursor: str | None = None,
    presence_flag: str | None = None,
    source: str | None = None,
) -> bytes:
    """One page, newest first, as the response body (`HazardPage`'s JSON)."""
    now = utcnow()
    # Where the database writes the records' JSON, the page needs only their keys (no rows to build in Python).
    writes_json = wire_json.writes_json(session)
    query = (select(Hazard.created_at, Hazard.id) if writes_json else select(Hazard)).where(hazard_condition(user))
    if presence_flag:  # hazards raised by an inspection that carries the flag
        flagged = select(Inspection.id).where(has_flag(Inspection.presence_flags, presence_flag))
        query = query.where(Hazard.inspection_id.in_(flagged))
    if source:
        query = query.where(Hazard.source == source)
    if site_id:
        query = query.where(Hazard.site_id == site_id)
    if category:
        query = query.where(Hazard.category == category)
    if severity:
        query = query.where(Hazard.severity == severity)
    if organization_id:
        query = query.where(Hazard.organization_id == organization_id)
    if overdue is not None:
        late = and_(not_finished(), Hazard.deadline < now)
        query = query.where(late if overdue else ~late)
    # One branch per status asked for (ix_hazard_status_created) and per officer's site (ix_hazard_site_created),
    # each an index seek of one page (server/paging.py); the scope condition stays on every branch.
    branches = [query.where(Hazard.status == s) for s in dict.fromkeys(status)] if status else [query]
    sites = None if site_id else officer_site_ids(session, user)
    if sites and on_postgresql(session) and len(branches) == 1:  # one LATERAL seek a site, any number of sites
        page = newest_first_at_sites(branches[0], Hazard, sites, cursor=cursor, limit=limit)
    else:
        if sites is not None and len(sites) * len(branches) <= MAX_BRANCHES:
            branches = [b.where(Hazard.site_id == s) for b in branches for s in sites] or [query.where(false())]
        page = newest_first_of_any(branches, Hazard, cursor=cursor, limit=limit)
    rows, next_cursor = split_page(session.exec(page).all(), limit)
    if writes_json:
        items = wire_json.hazards_json(session, [h.id for h in rows], now)
    else:
        items = to_json(to_public_many(session, rows, now)).decode()
    return wire_json.page_body(items, next_cursor)
