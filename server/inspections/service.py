"""Submitting a checklist run: validate it against its template version, store it, raise its hazards."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import false
from sqlmodel import Session, select

from rulebook import joint as joint_rules
from rulebook.checklists import unmet_answers
from rulebook.hazards import failed_item_description, hazard_id_for
from server import wire_json
from server.audit import service as audit
from server.checklists.service import ChecklistRegistry
from server.checklists.templates import ChecklistTemplate
from server.common import canonical_hash, utcnow
from server.config import Settings
from server.errors import Conflict, Invalid, not_found
from server.hazards.models import Hazard
from server.hazards.service import new_hazard, record_new_hazards
from server.idempotency import check_same_request, stored_in_scope, write_once
from server.inspections.models import (
    Inspection,
    InspectionIn,
    InspectionPage,
    InspectionPublic,
    OfficerPresence,
)
from server.inspections.presence import PRESENCE_FLAGS, has_flag, presence
from server.paging import newest_first, newest_first_at_sites, newest_first_of_any, split_page
from server.photos.service import attach_photos_to_new_inspection, require_photos
from server.scope import fieldwork_condition, officer_site_ids, site_condition
from server.sites.models import Site
from server.users.models import User


def is_joint(inspection: Inspection) -> bool:
    """A joint inspection (联查联检): it names participants from other units. Hazards it raises come from it."""
    return joint_rules.is_joint(inspection.participants)


def to_public(inspection: Inspection) -> InspectionPublic:
    return InspectionPublic(
        **inspection.model_dump(exclude={"request_hash", "answers", "participants", "signature"}),
        participants=inspection.participants or [],
        signature=inspection.signature,
        joint=is_joint(inspection),
        answers=inspection.answers,  # AnswerPublic: no second run of the input checks
        hazard_ids=[hazard_id_for(inspection.id, a["item_id"]) for a in inspection.answers if a["result"] == "fail"],
    )


def check_answers(template: ChecklistTemplate, site: Site, data: InspectionIn) -> None:
    """Every problem named at once, so the officer can fix them all in one go."""
    known = {item.id: item for item in template.items}
    given = [a.item_id for a in data.answers]
    unknown = [i for i in given if i not in known]
    if unknown:
        raise Invalid("unknown_items", category=template.category, version=template.version, items=unknown)
    duplicated = sorted({i for i in given if given.count(i) > 1})
    if duplicated:
        raise Invalid("duplicate_answers", items=duplicated)
    missing, no_photo = unmet_answers(
        [(item.id, item.photo_required_on_fail) for item in template.items_for(site.profile)],
        {a.item_id: (a.result, len(a.photo_ids)) for a in data.answers},
    )
    if missing:
        raise Invalid("missing_answers", site=site.name, items=missing)
    if no_photo:
        raise Invalid("photo_required", items=no_photo)


def request_hash_of(data: InspectionIn) -> str:
    """The body's hash; a body without participants or signature hashes as it did before they existed."""
    body = data.model_dump(mode="json")
    if not body["participants"]:
        del body["participants"]
    if body["signature"] is None:
        del body["signature"]
    return canonical_hash(body)


def check_joint(*, session: Session, user: User, data: InspectionIn, now: datetime) -> None:
    """Participants from known units; a signature that is the caller's own photo of kind `signature`."""
    unknown = joint_rules.unknown_units([p.model_dump() for p in data.participants])
    if unknown:
        raise Invalid("unknown_participant_unit", units=unknown, allowed=list(joint_rules.PARTICIPANT_UNITS))
    if data.signature is None:
        return
    kinds = require_photos(session=session, user=user, photo_ids=[data.signature.photo_id])
    kind = kinds[data.signature.photo_id]
    if kind != joint_rules.SIGNATURE_PHOTO_KIND:
        raise Invalid("signature_photo_kind", kind=kind)
    if data.signature.signed_at > now + timedelta(hours=1):
        raise Invalid("time_in_future", field="signature.signed_at")


def submit_inspection(
    *,
    session: Session,
    settings: Settings,
    registry: ChecklistRegistry,
    user: User,
    inspection_id: uuid.UUID,
    data: InspectionIn,
    device_time: datetime | None = None,
) -> tuple[InspectionPublic, bool]:
    """Store a checklist run and raise one hazard per failed item, in one transaction.

    Returns (inspection, created); a replay of the same body returns the stored one."""
    request_hash = request_hash_of(data)
    existing = stored_in_scope(
        session, Inspection, inspection_id, fieldwork_condition(user, Inspection.site_id), "inspection"
    )
    if existing is not None:
        return _replay(existing, request_hash), False

    site = session.exec(select(Site).where(Site.id == data.site_id, site_condition(user))).first()
    if site is None:
        raise Invalid("unknown_site", site_id=str(data.site_id))
    template = registry.version(session=session, category=data.category, version=data.template_version)
    if template is None:
        raise Invalid("unknown_template", category=data.category, version=data.template_version)
    now = utcnow()
    if data.finished_at < data.started_at:
        raise Invalid("bad_times")
    if data.finished_at > now + timedelta(hours=1):
        raise Invalid("time_in_future", field="finished_at")
    check_answers(template, site, data)
    require_photos(session=session, user=user, photo_ids=[p for a in data.answers for p in a.photo_ids])
    check_joint(session=session, user=user, data=data, now=now)

    site_id = site.id
    flags, distance, skew = presence(
        site_lat=site.lat,
        site_lon=site.lon,
        fixes=[(data.start_lat, data.start_lon), (data.lat, data.lon)],
        device_time=device_time,
        received_at=now,
        far_m=settings.presence_far_m,
        skew_seconds=settings.presence_clock_skew_seconds,
    )

    def write() -> Inspection:
        inspection = Inspection(
            id=inspection_id,
            **data.model_dump(mode="python", exclude={"answers", "participants", "signature"}),
            answers=[a.model_dump(mode="json") for a in data.answers],
            participants=[p.model_dump(mode="json") for p in data.participants],
            signature=data.signature.model_dump(mode="json") if data.signature else None,
            inspector_id=user.id,
            request_hash=request_hash,
            created_at=now,
            presence_flags=flags,
            distance_m=distance,
            device_clock_skew_s=skew,
        )
        session.add(inspection)
        session.flush()  # the inspection row first: its hazards and photo links point at it
        record_new_hazards(
            session=session,
            hazards=raise_hazards_for_failed_items(
                inspection=inspection, template=template, site=site, settings=settings
            ),
            action="raise",
            detail={"inspection_id": str(inspection_id)},
            audit_before=[
                audit.event(
                    actor_id=user.id,
                    action="submit",
                    target_type="inspection",
                    target_id=inspection_id,
                    detail={"category": data.category, "site_id": str(site_id)},
                )
            ],
        )
        # A failed item's photos are the problem photos of the hazard it raised; the signature belongs to the
        # inspection (and its site).
        photos = [
            (photo_id, hazard_id_for(inspection_id, answer.item_id) if answer.result == "fail" else None)
            for answer in data.answers
            for photo_id in answer.photo_ids
        ]
        if data.signature is not None:
            photos.append((data.signature.photo_id, None))
        attach_photos_to_new_inspection(session=session, photos=photos, site_id=site_id, inspection_id=inspection_id)
        return inspection

    def hazard_id_taken() -> None:
        """Why the write failed when no inspection holds our id: a hazard was already reported under an id this
        run raises (the hazard's primary key refused it; nothing was written)."""
        raised = [hazard_id_for(inspection_id, a.item_id) for a in data.answers if a.result == "fail"]
        if raised and session.exec(select(Hazard.id).where(Hazard.id.in_(raised)).limit(1)).first():
            raise Conflict("id_conflict", record="hazard")

    inspection, created = write_once(
        session, Inspection, inspection_id, write, replay=lambda existing: existing, other_conflict=hazard_id_taken
    )
    if not created:
        return _replay(inspection, request_hash), False
    return to_public(inspection), True


def raise_hazards_for_failed_items(
    *, inspection: Inspection, template: ChecklistTemplate, site: Site, settings: Settings
) -> list[Hazard]:
    hazards = []
    source = "joint" if is_joint(inspection) else "checklist"
    for answer in inspection.answers:
        if answer["result"] != "fail":
            continue
        item = template.item(answer["item_id"])
        assert item is not None  # check_answers ran
        description = failed_item_description(item.prompt.zh, answer.get("note"))
        hazards.append(
            new_hazard(
                site=site,
                category=template.category,
                severity=item.severity_on_fail.value,
                description=description,
                reported_by=inspection.inspector_id,
                found_at=inspection.finished_at,
                settings=settings,
                hazard_id=hazard_id_for(inspection.id, item.id),
                item_id=item.id,
                inspection_id=inspection.id,
                source=source,
            )
        )
    return hazards


def _replay(existing: Inspection, request_hash: str) -> InspectionPublic:
    check_same_request(existing.request_hash, request_hash, "inspection")
    return to_public(existing)


def get_inspection(*, session: Session, user: User, inspection_id: uuid.UUID) -> InspectionPublic:
    row = session.exec(
        select(Inspection).where(Inspection.id == inspection_id, fieldwork_condition(user, Inspection.site_id))
    ).first()
    if row is None:
        raise not_found("inspection")
    return to_public(row)


def list_inspections(
    *,
    session: Session,
    user: User,
    site_id: uuid.UUID | None = None,
    category: str | None = None,
    inspector_id: uuid.UUID | None = None,
    since=None,
    limit: int = 50,  # type: ignore[no-untyped-def]
    cursor: str | None = None,
    presence_flag: str | None = None,
) -> bytes:
    """InspectionPage's JSON: written by PostgreSQL (server/wire_json.py), by the models on SQLite."""
    conditions = [fieldwork_condition(user, Inspection.site_id)]
    if presence_flag:
        conditions.append(has_flag(Inspection.presence_flags, presence_flag))
    if site_id:
        conditions.append(Inspection.site_id == site_id)
    if category:
        conditions.append(Inspection.category == category)
    if inspector_id:
        conditions.append(Inspection.inspector_id == inspector_id)
    if since:
        conditions.append(Inspection.finished_at >= since)
    sites = None if site_id else officer_site_ids(session, user)
    keys = select(Inspection.created_at, Inspection.id).where(*conditions)
    by_database = wire_json.writes_json(session)  # PostgreSQL
    if sites is None:
        keys_page = newest_first(keys, Inspection, cursor=cursor, limit=limit)
    elif sites and by_database:  # an officer's: one LATERAL seek a site (server/paging.py), any number
        keys_page = newest_first_at_sites(keys, Inspection, sites, cursor=cursor, limit=limit)
    else:  # one seek of ix_inspection_site_created a site, merged on the keys alone
        branches = [keys.where(Inspection.site_id == s) for s in sites] or [keys.where(false())]
        keys_page = newest_first_of_any(branches, Inspection, cursor=cursor, limit=limit)
    if by_database:  # the page's keys (an index-only read), then its records as JSON, written by the database
        found, next_cursor = split_page(session.exec(keys_page).all(), limit)
        return wire_json.page_body(wire_json.inspections_json(session, [k.id for k in found]), next_cursor)
    keyed = keys_page.subquery("page_keys")  # the page's rows joined to its keys, in the same statement
    page = (
        select(Inspection)
        .join(keyed, Inspection.id == keyed.c.id)
        .order_by(keyed.c.created_at.desc(), keyed.c.id.desc())
    )
    rows, next_cursor = split_page(session.exec(page).all(), limit)
    return InspectionPage(items=[to_public(r) for r in rows], next_cursor=next_cursor).model_dump_json().encode()


def presence_by_officer(
    *, session: Session, user: User, since: datetime | None = None, until: datetime | None = None
) -> list[OfficerPresence]:
    """Per officer: inspections finished in [since, until) and how many were flagged, for the reports."""
    query = select(Inspection.inspector_id, Inspection.presence_flags).where(
        fieldwork_condition(user, Inspection.site_id)
    )
    if since:
        query = query.where(Inspection.finished_at >= since)
    if until:
        query = query.where(Inspection.finished_at < until)
    counts: dict[uuid.UUID, dict[str, int]] = {}
    for inspector_id, flags in session.exec(query).all():
        row = counts.setdefault(inspector_id, {"inspections": 0, **{f: 0 for f in PRESENCE_FLAGS}})
        row["inspections"] += 1
        for flag in flags or []:
            row[flag] += 1
    return [OfficerPresence(inspector_id=i, **c) for i, c in sorted(counts.items(), key=lambda kv: str(kv[0]))]
