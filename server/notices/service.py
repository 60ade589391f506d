"""Issuing and acknowledging rectification notices."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic_core import to_json
from sqlalchemy import false, text, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from rulebook import lifecycle
from server import wire_json
from server.audit import service as audit
from server.checklists.service import ChecklistRegistry
from server.common import canonical_hash, utcnow
from server.config import Settings
from server.db import among, write_unit
from server.errors import Conflict, Forbidden, Invalid, not_found
from server.hazards.history import notice_step_id, record_step
from server.hazards.models import Hazard, HazardStatus
from server.hazards.service import default_deadline
from server.hazards.transitions import move_hazard
from server.idempotency import check_same_request, stored_in_scope, write_once
from server.notices.models import Notice, NoticeHazard, NoticeIn, NoticePublic
from server.notify import events as notify
from server.paging import cut, keyset
from server.scope import assigned_site_ids, hazard_condition
from server.sync.changes import stamp_change
from server.users.models import Organization, Role, User

if TYPE_CHECKING:
    from server.notices.pdf import NoticeDocument

DEFAULT_BASIS = "《中华人民共和国安全生产法》《中华人民共和国消防法》及相关技术标准"


def notice_condition(user: User):  # type: ignore[no-untyped-def]
    if user.role == Role.admin:
        return true()
    if user.role == Role.property:
        return Notice.organization_id == user.organization_id
    if user.role == Role.gridworker:  # notices are between officers and companies
        return false()
    linked = sa_select(NoticeHazard.notice_id).join(Hazard, Hazard.id == NoticeHazard.hazard_id)
    at_my_sites = linked.where(Hazard.site_id.in_(assigned_site_ids(user)))
    # A notice names one site (issue_notice); one from before that rule shows an officer only if every
    # hazard on it lies at their sites, so no path (API, feed, PDF) shows another site's hazard.
    # Asked per notice (NOT EXISTS on notice_hazard's key): the officer's few notices are checked, not
    # every notice of the city linked elsewhere (issue 11: 425 ms on a city quarter as a NOT IN).
    elsewhere = (
        sa_select(NoticeHazard.notice_id)
        .join(Hazard, Hazard.id == NoticeHazard.hazard_id)
        .where(NoticeHazard.notice_id == Notice.id, Hazard.site_id.not_in(assigned_site_ids(user)))
        .exists()
    )
    return Notice.id.in_(at_my_sites) & ~elsewhere


def next_notice_number(session: Session, year: int) -> str:
    """Bumped inside the issuing transaction: concurrent issuers queue on the row, a rollback leaves no gap."""
    seq = (
        session.connection()
        .execute(
            text(
                "INSERT INTO notice_counter (year, last) VALUES (:year, 1) "
                "ON CONFLICT (year) DO UPDATE SET last = notice_counter.last + 1 RETURNING last"
            ),
            {"year": year},
        )
        .scalar_one()
    )
    return f"SR-{year}-{seq:06d}"


def notice_extras(
    session: Session,
    ids: Collection[uuid.UUID],
    organization_ids: Collection[uuid.UUID],
    hazards_known: Mapping[uuid.UUID, tuple[datetime, uuid.UUID]] | None = None,
) -> tuple[dict[uuid.UUID, list[uuid.UUID]], dict[uuid.UUID, list[uuid.UUID]], dict[uuid.UUID, str]]:
    """What the wire shape adds to notices, a few queries for any number: each one's hazards (oldest first)
    and their sites, and the companies' names. `hazards_known`: (created_at, site_id) of hazards the caller
    has read already (the feed's page), not asked again."""
    hazards: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    sites: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    if not ids:
        return hazards, sites, {}
    # The links, then the hazards' sites and ages, each by key (a join made PostgreSQL hash the whole
    # hazard table for a page of the feed); each notice's hazards oldest first, by (created_at, id).
    links = session.exec(
        select(NoticeHazard.notice_id, NoticeHazard.hazard_id).where(among(session, NoticeHazard.notice_id, ids))
    ).all()
    linked = dict(hazards_known or {})
    unknown = {h for _, h in links if h not in linked}
    if unknown:
        linked.update(
            (hazard_id, (created_at, site_id))
            for hazard_id, created_at, site_id in session.exec(
                select(Hazard.id, Hazard.created_at, Hazard.site_id).where(among(session, Hazard.id, unknown))
            ).all()
        )
    for notice_id, hazard_id in sorted(links, key=lambda link: (linked[link[1]][0], link[1])):
        hazards[notice_id].append(hazard_id)
        site_id = linked[hazard_id][1]
        if site_id not in sites[notice_id]:
            sites[notice_id].append(site_id)
    orgs = dict(
        session.exec(
            select(Organization.id, Organization.name).where(among(session, Organization.id, organization_ids))
        ).all()
    )
    return hazards, sites, orgs


def to_public_many(session: Session, notices: list[Notice]) -> list[NoticePublic]:
    if not notices:
        return []
    hazards, sites, orgs = notice_extras(session, [n.id for n in notices], {n.organization_id for n in notices})
    return [
        NoticePublic(
            **n.model_dump(exclude={"request_hash", "change_seq"}),
            organization_name=orgs.get(n.organization_id, ""),
            hazard_ids=hazards[n.id],
            site_ids=sites[n.id],
        )
        for n in notices
    ]


def to_public(session: Session, notice: Notice) -> NoticePublic:
    return to_public_many(session, [notice])[0]


def _basis_for(hazards: list[Hazard], registry: ChecklistRegistry) -> str:
    bases: list[str] = []
    for hazard in hazards:
        template = registry.current.get(hazard.category)
        item = template.item(hazard.item_id) if template and hazard.item_id else None
        if item and item.basis.zh not in bases:
            bases.append(item.basis.zh)
    return "；".join(bases) or DEFAULT_BASIS


def issue_notice(
    *,
    session: Session,
    settings: Settings,
    registry: ChecklistRegistry,
    user: User,
    notice_id: uuid.UUID,
    data: NoticeIn,
) -> tuple[NoticePublic, bool]:
    """Number a notice to one company and move its open hazards to notified, in one unit of work."""
    request_hash = canonical_hash(data.model_dump(mode="json"))
    existing = stored_in_scope(session, Notice, notice_id, notice_condition(user), "notice")
    if existing is not None:
        return _replay(session, existing, request_hash), False
    org = session.get(Organization, data.organization_id)
    if org is None or org.kind != "property":
        raise Invalid("unknown_organization", field="organization_id")
    if data.deadline is not None and data.deadline <= utcnow():
        raise Invalid("deadline_in_past")
    wanted = list(dict.fromkeys(data.hazard_ids))

    def write() -> Notice:
        hazards = list(
            session.exec(
                select(Hazard)
                .where(Hazard.id.in_(wanted), hazard_condition(user))
                .order_by(Hazard.id)
                .with_for_update()
            ).all()
        )
        found = {h.id for h in hazards}
        missing = [str(h) for h in wanted if h not in found]
        if missing:
            raise Invalid("unknown_hazards", hazard_ids=missing)
        others = [str(h.id) for h in hazards if h.organization_id != org.id]
        if others:
            raise Invalid("wrong_organization", organization=org.name, hazard_ids=others)
        if len({h.site_id for h in hazards}) > 1:  # one notice, one site: its readers are that site's people
            raise Invalid("notice_one_site")
        not_open = [f"{h.id} ({h.status})" for h in hazards if h.status != HazardStatus.open.value]
        if not_open:
            raise Conflict("hazards_not_open", hazard_ids=not_open)
        now = utcnow()
        deadline = data.deadline or min(
            default_deadline(found_at=now, severity=h.severity, settings=settings) for h in hazards
        )
        notice = Notice(
            id=notice_id,
            number=next_notice_number(session, now.astimezone(settings.tz).year),
            organization_id=org.id,
            deadline=deadline,
            basis=data.basis or _basis_for(hazards, registry),
            note=data.note,
            issued_by=user.id,
            issued_at=now,
            request_hash=request_hash,
        )
        session.add(notice)
        session.flush()  # the notice row first: its hazard links and history steps name it
        audit.record(
            session=session,
            actor_id=user.id,
            action="issue",
            target_type="notice",
            target_id=notice.id,
            to_state="issued",
            detail={"number": notice.number, "hazard_ids": [str(h.id) for h in hazards]},
        )
        for hazard in hazards:
            to = lifecycle.transition(
                state=hazard.status,
                action="notify",
                role=user.role,
                through_notice=True,
                has_organization=hazard.organization_id is not None,
            )
            step_notice_hazard(
                session=session,
                notice=notice,
                hazard=hazard,
                action="notify",
                to=to,
                actor_id=user.id,
                deadline=deadline,
            )
            session.add(NoticeHazard(notice_id=notice.id, hazard_id=hazard.id))
        stamp_change(session, notice)
        notify.notice_issued(session=session, settings=settings, notice=notice, hazards=hazards)
        return notice

    notice, created = write_once(session, Notice, notice_id, write, replay=lambda existing: existing)
    if not created:
        return _replay(session, notice, request_hash), False
    return to_public(session, notice), True


def step_notice_hazard(
    *,
    session: Session,
    notice: Notice,
    hazard: Hazard,
    action: str,
    to: HazardStatus,
    actor_id: uuid.UUID,
    deadline=None,
) -> None:  # type: ignore[no-untyped-def]
    """One hazard moved by a notice: its state, its history step (id from notice, hazard and action), audit."""
    from_status = hazard.status
    audit.record(
        session=session,
        actor_id=actor_id,
        action=action,
        target_type="hazard",
        target_id=hazard.id,
        from_state=from_status,
        to_state=to,
        detail={"notice_id": str(notice.id), "number": notice.number},
    )
    move_hazard(session=session, hazard=hazard, to_status=to, deadline=deadline)
    record_step(
        session,
        step_id=notice_step_id(notice.id, hazard.id, action),
        hazard=hazard,
        action=action,
        from_status=from_status,
        to_status=to,
        actor_id=actor_id,
        note=notice.number,
    )


def _replay(session: Session, existing: Notice, request_hash: str) -> NoticePublic:
    check_same_request(existing.request_hash, request_hash, "notice")
    return to_public(session, existing)


def get_notice(*, session: Session, user: User, notice_id: uuid.UUID, lock: bool = False) -> Notice:
    query = select(Notice).where(Notice.id == notice_id, notice_condition(user))
    notice = session.exec(query.with_for_update() if lock else query).first()
    if notice is None:
        raise not_found("notice")
    return notice


def acknowledge_notice(*, session: Session, user: User, notice_id: uuid.UUID) -> NoticePublic:
    """签收: record the receipt and move the notice's notified hazards to rectifying. Idempotent.

    This is the one way a hazard is acknowledged (PUT .../transitions refuses it)."""
    notice = get_notice(session=session, user=user, notice_id=notice_id)  # scope first: else 404
    if user.role != Role.property.value:
        raise Forbidden("not_addressee")
    if notice.acknowledged_at is not None:
        return to_public(session, notice)  # a second tap: nothing to write, no lock taken

    with write_unit(session):
        notice = get_notice(session=session, user=user, notice_id=notice_id, lock=True)
        if notice.acknowledged_at is None:
            hazards = session.exec(
                select(Hazard)
                .join(NoticeHazard, NoticeHazard.hazard_id == Hazard.id)
                .where(NoticeHazard.notice_id == notice.id)
                .order_by(Hazard.id)
                .with_for_update()
            ).all()
            for hazard in hazards:
                if hazard.status != HazardStatus.notified.value:
                    continue  # moved on already (evidence submitted, cancelled)
                to = lifecycle.transition(
                    state=hazard.status, action="acknowledge", role=user.role, through_notice=True
                )
                step_notice_hazard(
                    session=session, notice=notice, hazard=hazard, action="acknowledge", to=to, actor_id=user.id
                )
            notice.acknowledged_at = utcnow()
            notice.acknowledged_by = user.id
            audit.record(
                session=session,
                actor_id=user.id,
                action="acknowledge",
                target_type="notice",
                target_id=notice.id,
                from_state="issued",
                to_state="acknowledged",
            )
            stamp_change(session, notice)
    return to_public(session, notice)


def page_notices(
    *,
    session: Session,
    user: User,
    organization_id: uuid.UUID | None,
    acknowledged: bool | None,
    since: datetime | None,
    cursor: str | None,
    limit: int,
) -> bytes:
    """One page, newest issued first, as the response body (`Page[NoticePublic]`'s JSON)."""
    query = select(Notice).where(notice_condition(user))
    if organization_id:
        query = query.where(Notice.organization_id == organization_id)
    if acknowledged is not None:
        query = query.where(Notice.acknowledged_at.is_not(None) if acknowledged else Notice.acknowledged_at.is_(None))
    if since:
        query = query.where(Notice.issued_at >= since)
    query = keyset(query, Notice.issued_at, Notice.id, cursor=cursor, limit=limit, descending=True)
    rows, next_cursor = cut(session.exec(query).all(), limit, "issued_at")
    if wire_json.writes_json(session):
        items = wire_json.notices_json(session, [n.id for n in rows])
    else:
        items = to_json(to_public_many(session, rows)).decode()
    return wire_json.page_body(items, next_cursor)


def list_notices(
    *,
    session: Session,
    user: User,
    organization_id: uuid.UUID | None = None,
    acknowledged: bool | None = None,
    since: datetime | None = None,
    limit: int = 200,
) -> list[NoticePublic]:
    query = select(Notice).where(notice_condition(user))
    if organization_id:
        query = query.where(Notice.organization_id == organization_id)
    if acknowledged is not None:
        query = query.where(Notice.acknowledged_at.is_not(None) if acknowledged else Notice.acknowledged_at.is_(None))
    if since:
        query = query.where(Notice.issued_at >= since)
    return to_public_many(session, list(session.exec(query.order_by(Notice.issued_at.desc()).limit(limit)).all()))


def notice_document(*, session: Session, registry: ChecklistRegistry, notice: Notice) -> NoticeDocument:
    """Everything the printed notice shows, read in one place."""
    from server.notices.pdf import NoticeDocument, NoticeHazardLine
    from server.photos import service as photos
    from server.sites.models import Site

    hazards = session.exec(
        select(Hazard)
        .join(NoticeHazard, NoticeHazard.hazard_id == Hazard.id)
        .where(NoticeHazard.notice_id == notice.id)
        .order_by(Hazard.created_at, Hazard.id)
    ).all()
    site_names = {s.id: s.name for s in session.exec(select(Site).where(Site.id.in_({h.site_id for h in hazards})))}
    org = session.get(Organization, notice.organization_id)
    officer = session.get(User, notice.issued_by)
    acknowledger = session.get(User, notice.acknowledged_by) if notice.acknowledged_by else None
    lines = []
    for hazard in hazards:
        template = registry.current.get(hazard.category)
        before = photos.photos_by_kind(session=session, hazard_id=hazard.id).get("problem", [])
        lines.append(
            NoticeHazardLine(
                category_title=template.title.zh if template else hazard.category,
                site_name=site_names[hazard.site_id],
                severity=hazard.severity,
                description=hazard.description,
                before_photo_id=before[0] if before else None,
            )
        )
    return NoticeDocument(
        number=notice.number,
        organization_name=org.name if org else "",
        site_names=list(dict.fromkeys(site_names[h.site_id] for h in hazards)),
        issued_at=notice.issued_at,
        deadline=notice.deadline,
        basis=notice.basis,
        note=notice.note,
        officer_name=(officer.display_name or officer.username) if officer else "",
        acknowledged_at=notice.acknowledged_at,
        acknowledged_by_name=(acknowledger.display_name or acknowledger.username) if acknowledger else None,
        hazards=lines,
        joint_inspections=joint_inspections(session=session, registry=registry, hazards=hazards),
    )


def joint_inspections(*, session: Session, registry: ChecklistRegistry, hazards) -> list:  # type: ignore[no-untyped-def]
    """The joint inspections (participants, on-site signature) the hazards were raised by, oldest first."""
    from rulebook.categories import name
    from rulebook.joint import PARTICIPANT_UNIT_NAMES
    from server.inspections.models import Inspection
    from server.notices.pdf import NoticeJointInspection

    ids = {h.inspection_id for h in hazards if h.inspection_id}
    if not ids:
        return []
    found = session.exec(
        select(Inspection).where(Inspection.id.in_(ids)).order_by(Inspection.finished_at, Inspection.id)
    ).all()
    out = []
    for inspection in (i for i in found if i.participants or i.signature):
        signature = inspection.signature or {}
        template = registry.current.get(inspection.category)
        out.append(
            NoticeJointInspection(
                finished_at=inspection.finished_at,
                category_title=template.title.zh if template else inspection.category,
                participants=[
                    (name(PARTICIPANT_UNIT_NAMES, p.get("unit"), "zh"), p.get("name", ""))
                    for p in inspection.participants or []
                ],
                signer_name=signature.get("signer_name"),
                signed_at=datetime.fromisoformat(signature["signed_at"]) if signature.get("signed_at") else None,
                signed_lat=signature.get("lat"),
                signed_lon=signature.get("lon"),
                signature_photo_id=uuid.UUID(signature["photo_id"]) if signature.get("photo_id") else None,
            )
        )
    return out
