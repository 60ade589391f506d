"""The one intake queue: reports from grid workers, residents and hotlines; the officer accepts (a hazard),
merges (into an open hazard of the site) or declines (with a reason the reporter sees); reporters answer
"fixed / not fixed" after the hazard closes, and "not fixed" queues a reopen request."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, false, func, true
from sqlmodel import Session, select

from rulebook import intake as rules
from rulebook.lifecycle import FINISHED_STATUSES
from server.audit import service as audit
from server.checklists.templates import CATEGORIES
from server.common import canonical_hash, utcnow
from server.config import Settings
from server.db import write_unit
from server.errors import Conflict, Forbidden, Invalid, not_found
from server.hazards import service as hazards
from server.hazards import transitions
from server.hazards.models import Hazard
from server.idempotency import check_same_request, stored_in_scope, write_once
from server.intake import external
from server.intake.models import (
    AcceptIn,
    DeclineIn,
    GridAssignment,
    IntakeKind,
    IntakeReport,
    IntakeReportIn,
    IntakeReportPage,
    IntakeReportPublic,
    IntakeStatus,
    MergeIn,
    RevisitIn,
)
from server.notify import events
from server.paging import newest_first, split_page
from server.photos.service import attach_photos, require_photos
from server.scope import assigned_site_ids, hazard_condition, site_condition
from server.sites.models import Assignment, Site, new_public_code
from server.sync.changes import stamp_change
from server.users.models import Role, User


def intake_condition(user: User) -> ColumnElement[bool]:
    """Reports a user sees: all (admin), their sites' (officer), their own (grid worker), none (property)."""
    if user.role == Role.admin:
        return true()
    if user.role == Role.officer:
        return IntakeReport.site_id.in_(assigned_site_ids(user))
    if user.role == Role.gridworker:
        return IntakeReport.reporter_id == user.id
    return false()


def is_overdue(report: IntakeReport, now: datetime) -> bool:
    return report.status == IntakeStatus.pending.value and report.created_at < now - timedelta(
        hours=rules.OVERDUE_HOURS
    )


def revisit_until(hazard: Hazard | None) -> datetime | None:
    if hazard is None or hazard.status != "closed" or hazard.closed_at is None:
        return None
    return hazard.closed_at + timedelta(days=rules.REVISIT_DAYS)


def sees_full_phone(session: Session, user: User | None, site_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """The sites (of `site_ids`) whose reporters' phone numbers this user sees unmasked."""
    if user is None:
        return set()
    if user.role == Role.admin:
        return site_ids
    if user.role != Role.officer or not site_ids:
        return set()
    return set(
        session.exec(
            select(Assignment.site_id).where(Assignment.officer_id == user.id, Assignment.site_id.in_(site_ids))
        ).all()
    )


def to_public_many(
    session: Session, user: User | None, reports: Sequence[IntakeReport], now: datetime | None = None
) -> list[IntakeReportPublic]:
    if not reports:
        return []
    now = now or utcnow()
    site_ids = {r.site_id for r in reports}
    names = dict(session.exec(select(Site.id, Site.name).where(Site.id.in_(site_ids))).all())
    hazard_ids = {r.hazard_id for r in reports if r.hazard_id}
    linked = (
        {h.id: h for h in session.exec(select(Hazard).where(Hazard.id.in_(hazard_ids))).all()} if hazard_ids else {}
    )
    full_phone = sees_full_phone(session, user, site_ids)
    out = []
    for r in reports:
        hazard = linked.get(r.hazard_id) if r.hazard_id else None
        phone = r.reporter_phone if r.site_id in full_phone else rules.mask_phone(r.reporter_phone)
        out.append(
            IntakeReportPublic(
                id=r.id,
                kind=r.kind,
                source=r.source,
                status=r.status,
                site_id=r.site_id,
                site_name=names.get(r.site_id, ""),
                category=r.category,
                description=r.description,
                photo_ids=[uuid.UUID(p) for p in (r.photo_ids or [])],
                lat=r.lat,
                lon=r.lon,
                reported_at=r.reported_at,
                created_at=r.created_at,
                hazard_id=r.hazard_id,
                hazard_status=hazard.status if hazard else None,
                decline_reason=r.decline_reason,
                tracking_code=r.tracking_code,
                reporter_phone=phone,
                revisit_until=revisit_until(hazard) if r.kind == IntakeKind.report.value else None,
                revisit_answer=r.revisit_answer,
                overdue=is_overdue(r, now),
            )
        )
    return out


def to_public(session: Session, user: User | None, report: IntakeReport) -> IntakeReportPublic:
    return to_public_many(session, user, [report])[0]


# ---- filing --------------------------------------------------------------------------------------------------


def file_report(
    *, session: Session, settings: Settings, user: User, report_id: uuid.UUID, data: IntakeReportIn
) -> tuple[IntakeReportPublic, bool]:
    """A grid worker's (or officer's) report at one of their sites, under the phone's id. (report, created)."""
    request_hash = canonical_hash(data.model_dump(mode="json"))
    stored = stored_in_scope(session, IntakeReport, report_id, intake_condition(user), "intake")
    if stored is not None:
        check_same_request(stored.request_hash, request_hash, "intake")
        return to_public(session, user, stored), False
    if data.category not in CATEGORIES:
        raise Invalid("unknown_category", category=data.category, allowed=list(CATEGORIES))
    site = session.exec(select(Site).where(Site.id == data.site_id, site_condition(user))).first()
    if site is None:
        raise Invalid("unknown_site", site_id=str(data.site_id))
    now = utcnow()
    if data.reported_at and data.reported_at > now + timedelta(hours=1):
        raise Invalid("time_in_future", field="reported_at")
    kinds = require_photos(session=session, user=user, photo_ids=data.photo_ids)
    if any(kind != "problem" for kind in kinds.values()):
        raise Invalid("report_photo_kind")
    site_id = site.id

    def write() -> IntakeReportPublic:
        report = IntakeReport(
            id=report_id,
            kind=IntakeKind.report.value,
            source="gridworker" if user.role == Role.gridworker else "officer",
            status=IntakeStatus.pending.value,
            site_id=site_id,
            category=data.category,
            description=data.description,
            photo_ids=[str(p) for p in dict.fromkeys(data.photo_ids)],
            lat=data.lat,
            lon=data.lon,
            reported_at=data.reported_at or now,
            reporter_id=user.id,
            request_hash=request_hash,
            created_at=now,
            updated_at=now,
        )
        session.add(report)
        session.flush()
        attach_photos(session=session, photo_ids=data.photo_ids, site_id=site_id)  # the site's officers see them
        events.report_received(session=session, settings=settings, report=report)
        return to_public(session, user, report)

    return write_once(session, IntakeReport, report_id, write, replay=lambda r: _replay(session, user, r, request_hash))


def _replay(session: Session, user: User, stored: IntakeReport, request_hash: str) -> IntakeReportPublic:
    check_same_request(stored.request_hash, request_hash, "intake")
    return to_public(session, user, stored)


# ---- reading -------------------------------------------------------------------------------------------------


def list_reports(
    *,
    session: Session,
    user: User,
    status: str | None = None,
    site_id: uuid.UUID | None = None,
    kind: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> IntakeReportPage:
    query = select(IntakeReport).where(intake_condition(user))
    if status:
        query = query.where(IntakeReport.status == status)
    if site_id:
        query = query.where(IntakeReport.site_id == site_id)
    if kind:
        query = query.where(IntakeReport.kind == kind)
    rows, next_cursor = split_page(
        session.exec(newest_first(query, IntakeReport, cursor=cursor, limit=limit)).all(), limit
    )
    return IntakeReportPage(items=to_public_many(session, user, rows), next_cursor=next_cursor)


def visible_report(session: Session, user: User, report_id: uuid.UUID, lock: bool = False) -> IntakeReport:
    query = select(IntakeReport).where(IntakeReport.id == report_id, intake_condition(user))
    report = session.exec(query.with_for_update() if lock else query).first()
    if report is None:
        raise not_found("intake")
    return report


def get_report(*, session: Session, user: User, report_id: uuid.UUID) -> IntakeReportPublic:
    return to_public(session, user, visible_report(session, user, report_id))


def count_overdue(*, session: Session, user: User) -> int:
    """Pending reports older than a day, in the user's scope: a figure on the board."""
    cutoff = utcnow() - timedelta(hours=rules.OVERDUE_HOURS)
    return session.exec(
        select(func.count())
        .select_from(IntakeReport)
        .where(intake_condition(user), IntakeReport.status == "pending", IntakeReport.created_at < cutoff)
    ).one()


# ---- handling ------------------------------------------------------------------------------------------------


def _pending(session: Session, user: User, report_id: uuid.UUID) -> IntakeReport:
    report = visible_report(session, user, report_id, lock=True)
    if report.status != IntakeStatus.pending.value:
        raise Conflict("intake_not_pending", status=report.status)
    return report


def _handled(report: IntakeReport, user: User, status: str) -> None:
    now = utcnow()
    report.status = status
    report.handled_by = user.id
    report.handled_at = now
    report.updated_at = now


def accept(
    *, session: Session, settings: Settings, user: User, report_id: uuid.UUID, data: AcceptIn
) -> IntakeReportPublic:
    """A report becomes a hazard (its source the report's); a reopen request reopens its hazard."""
    with write_unit(session):
        report = _pending(session, user, report_id)
        if report.kind == IntakeKind.reopen_request.value:
            note = "上报人答复未整改到位：" + report.description
            transitions.reopen_for_report(
                session=session,
                settings=settings,
                user=user,
                hazard_id=report.hazard_id,
                step_id=uuid.uuid5(report.id, "reopen"),
                note=note[:2000],
            )
        else:
            site = session.get(Site, report.site_id)
            hazard_id = uuid.uuid5(report.id, "hazard")
            now = utcnow()
            hazard = hazards.new_hazard(
                site=site,
                category=report.category,
                severity=data.severity.value,
                description=report.description,
                reported_by=report.reporter_id or user.id,
                found_at=report.reported_at or report.created_at,
                settings=settings,
                hazard_id=hazard_id,
                deadline=data.deadline
                or hazards.default_deadline(found_at=now, severity=data.severity.value, settings=settings),
            )
            hazard.source = report.source
            hazards.record_new_hazard(
                session=session, hazard=hazard, action="report", detail={"intake_id": str(report.id)}
            )
            photo_ids = [uuid.UUID(p) for p in report.photo_ids or []]
            attach_photos(session=session, photo_ids=photo_ids, site_id=report.site_id, hazard_id=hazard_id)
            report.hazard_id = hazard_id
        _handled(report, user, IntakeStatus.accepted.value)
        session.add(report)
        session.flush()
        return to_public(session, user, report)


def merge(
    *, session: Session, settings: Settings, user: User, report_id: uuid.UUID, data: MergeIn
) -> IntakeReportPublic:
    """A duplicate: the report keeps a link to the hazard it repeats, and its reporter follows that hazard."""
    with write_unit(session):
        report = _pending(session, user, report_id)
        hazard = session.exec(
            select(Hazard).where(Hazard.id == data.hazard_id, hazard_condition(user)).with_for_update()
        ).first()
        if (
            hazard is None
            or hazard.site_id != report.site_id
            or hazard.status in FINISHED_STATUSES
            or report.kind != IntakeKind.report.value
        ):
            raise Invalid("merge_target_invalid")
        photo_ids = [uuid.UUID(p) for p in report.photo_ids or []]
        attach_photos(session=session, photo_ids=photo_ids, site_id=report.site_id, hazard_id=hazard.id)
        stamp_change(session, hazard)
        report.hazard_id = hazard.id
        _handled(report, user, IntakeStatus.merged.value)
        session.add(report)
        session.flush()
        return to_public(session, user, report)


def decline(
    *, session: Session, settings: Settings, user: User, report_id: uuid.UUID, data: DeclineIn
) -> IntakeReportPublic:
    with write_unit(session):
        report = _pending(session, user, report_id)
        report.decline_reason = data.reason
        _handled(report, user, IntakeStatus.declined.value)
        session.add(report)
        external.tell_platform(
            session=session, settings=settings, report=report, outcome="declined", reason=data.reason
        )
        session.flush()
        return to_public(session, user, report)


# ---- revisits ------------------------------------------------------------------------------------------------


def answer_revisit(
    *, session: Session, settings: Settings, report: IntakeReport, data: RevisitIn
) -> IntakeReport | None:
    """Record the reporter's answer (inside the caller's unit; `report` locked); "not fixed" queues a reopen
    request for the site's officer. Returns that request, if any."""
    hazard = session.get(Hazard, report.hazard_id) if report.hazard_id else None
    until = revisit_until(hazard)
    now = utcnow()
    if (
        report.kind != IntakeKind.report.value
        or report.status not in (IntakeStatus.accepted.value, IntakeStatus.merged.value)
        or report.revisit_answer is not None
        or until is None
        or now > until
    ):
        raise Conflict("revisit_not_open", days=rules.REVISIT_DAYS)
    report.revisit_answer = "fixed" if data.fixed else "not_fixed"
    report.revisit_note = data.note
    report.revisit_at = now
    report.updated_at = now
    session.add(report)
    if data.fixed:
        return None
    request = IntakeReport(
        id=uuid.uuid5(report.id, f"reopen:{hazard.closed_at.isoformat()}"),
        kind=IntakeKind.reopen_request.value,
        source=report.source,
        status=IntakeStatus.pending.value,
        site_id=report.site_id,
        category=report.category,
        description=(data.note or "上报人答复：问题仍未解决。")[: rules.MAX_DESCRIPTION],
        reporter_phone=report.reporter_phone,
        reporter_id=report.reporter_id,
        hazard_id=hazard.id,
        origin_id=report.id,
        photo_ids=[],
        reported_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    events.report_received(session=session, settings=settings, report=request)
    return request


def revisit(
    *, session: Session, settings: Settings, user: User, report_id: uuid.UUID, data: RevisitIn
) -> IntakeReportPublic:
    """The grid worker who filed the report answers whether it was fixed."""
    with write_unit(session):
        report = visible_report(session, user, report_id, lock=True)
        if report.reporter_id != user.id:
            raise Forbidden("revisit_reporter_only")
        answer_revisit(session=session, settings=settings, report=report, data=data)
        session.flush()
        return to_public(session, user, report)


# ---- grid workers' sites -------------------------------------------------------------------------------------


def assign_gridworker(*, session: Session, site_id: uuid.UUID, user_id: uuid.UUID, actor_id: uuid.UUID) -> None:
    """A grid worker reports at this site from now on (assigning twice changes nothing)."""
    worker = session.get(User, user_id)
    if worker is None or worker.role != Role.gridworker.value:
        raise Invalid("unknown_user", field="user_id")
    if session.get(Site, site_id) is None:
        raise not_found("site")
    with write_unit(session):
        exists = session.exec(
            select(GridAssignment.id).where(GridAssignment.user_id == user_id, GridAssignment.site_id == site_id)
        ).first()
        if exists is None:
            session.add(GridAssignment(user_id=user_id, site_id=site_id))
            audit.record(session=session, actor_id=actor_id, action="assign", target_type="site", target_id=site_id)


def unassign_gridworker(*, session: Session, site_id: uuid.UUID, user_id: uuid.UUID, actor_id: uuid.UUID) -> None:
    with write_unit(session):
        row = session.exec(
            select(GridAssignment).where(GridAssignment.user_id == user_id, GridAssignment.site_id == site_id)
        ).first()
        if row is None:
            raise not_found("assignment")
        session.delete(row)
        audit.record(session=session, actor_id=actor_id, action="unassign", target_type="site", target_id=site_id)


def renew_public_code(*, session: Session, site_id: uuid.UUID, actor_id: uuid.UUID) -> str:
    """Retire the site's public report code (its old posters' QR codes answer 404 from now on); a new one."""
    with write_unit(session):
        site = session.get(Site, site_id, with_for_update=True)
        if site is None:
            raise not_found("site")
        site.public_code = new_public_code()
        site.updated_at = utcnow()
        session.add(site)
        audit.record(session=session, actor_id=actor_id, action="renew_code", target_type="site", target_id=site_id)
        return site.public_code


def public_url(settings: Settings, code: str) -> str:
    """The address a site's poster QR code holds."""
    return (settings.public_base_url or settings.console_base_url).rstrip("/") + f"/r/{code}"
