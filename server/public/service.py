"""Residents' reports from a site's poster: the public page's form lands in the intake queue under a tracking
code; the tracking page shows that report's standing only. Rate limits count stored reports (per sender address
and per site, the last hour), so they hold across workers and restarts."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from pydantic import BaseModel, ValidationError, field_validator
from pydantic import Field as PField
from sqlalchemy import func
from sqlmodel import Session, select

from rulebook import intake as rules
from rulebook.categories import CATEGORIES
from server.common import utcnow
from server.config import Settings
from server.db import end_read, write_unit
from server.errors import Invalid, TooManyRequests, not_found
from server.hazards.models import Hazard
from server.intake import service as intake
from server.intake.models import PUBLIC_REPORTER_ID, IntakeKind, IntakeReport, IntakeStatus, RevisitIn
from server.notify import events
from server.photos import imaging
from server.photos.models import PhotoFields
from server.photos.service import attach_photos, upload_photo
from server.photos.storage import PhotoStore
from server.sites.models import Site
from server.users.models import User

TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone
TRACKING_LENGTH = 12  # 60 bits: not guessable


class PublicReportForm(BaseModel):
    category: str
    description: str = PField(min_length=1, max_length=rules.MAX_DESCRIPTION)
    phone: str | None = None

    @field_validator("category")
    @classmethod
    def known_category(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise ValueError("unknown category")
        return value

    @field_validator("phone")
    @classmethod
    def phone_number(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if not value:
            return None
        if not rules.valid_phone(value):
            raise ValueError("bad phone")
        return value


def read_form(values: dict[str, str]) -> PublicReportForm:
    """The form's fields, or Invalid with the first thing a person should fix."""
    try:
        return PublicReportForm.model_validate(
            {
                "category": values.get("category", ""),
                "description": values.get("description", "").strip(),
                "phone": values.get("phone"),
            }
        )
    except ValidationError as exc:
        field = exc.errors()[0]["loc"][0]
        if field == "phone":
            raise Invalid("bad_phone") from None
        if field == "category":
            raise Invalid("unknown_category", category=values.get("category", ""), allowed=list(CATEGORIES)) from None
        raise Invalid("report_description_required", max=rules.MAX_DESCRIPTION) from None


def site_for_code(session: Session, code: str) -> Site:
    """The site whose poster carries this code; an unknown or retired code is 404."""
    site = session.exec(select(Site).where(Site.public_code == code)).first() if 8 <= len(code) <= 32 else None
    if site is None:
        raise not_found("site")
    return site


def check_rate(*, session: Session, settings: Settings, site_id: uuid.UUID, address: str) -> None:
    since = utcnow() - timedelta(hours=1)
    recent = select(func.count()).select_from(IntakeReport).where(IntakeReport.created_at >= since)
    from_address = session.exec(recent.where(IntakeReport.client_address == address)).one()
    if from_address >= settings.public_reports_per_ip:
        raise TooManyRequests("too_many_public_reports")
    at_site = session.exec(recent.where(IntakeReport.site_id == site_id, IntakeReport.source == "resident")).one()
    if at_site >= settings.public_reports_per_site:
        raise TooManyRequests("too_many_site_reports")


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def store_photos(
    *,
    session: Session,
    settings: Settings,
    store: PhotoStore,
    gate: imaging.DecodeGate | None,
    photos: list[bytes],
) -> list[uuid.UUID]:
    """Each photo through the same pipeline (format sniffing, pixel and decoding budgets) as every upload."""
    uploader = session.get(User, PUBLIC_REPORTER_ID)
    ids = []
    for content in photos:
        photo, _created = upload_photo(
            session=session,
            settings=settings,
            store=store,
            user=uploader,
            photo_id=uuid.uuid4(),
            fields=PhotoFields(kind="problem"),
            content=content,
            gate=gate,
        )
        ids.append(photo.id)
    return ids


def file_public_report(
    *,
    session: Session,
    settings: Settings,
    store: PhotoStore,
    gate: imaging.DecodeGate | None,
    site: Site,
    form: PublicReportForm,
    photos: list[bytes],
    address: str,
) -> IntakeReport:
    """A resident's report: checked against the limits, photos stored, then one unit of work."""
    check_rate(session=session, settings=settings, site_id=site.id, address=address)
    end_read(session)
    photo_ids = store_photos(session=session, settings=settings, store=store, gate=gate, photos=photos)
    site_id = site.id
    with write_unit(session):
        check_rate(session=session, settings=settings, site_id=site_id, address=address)  # again, under the lock
        now = utcnow()
        report = IntakeReport(
            id=uuid.uuid4(),
            kind=IntakeKind.report.value,
            source="resident",
            status=IntakeStatus.pending.value,
            site_id=site_id,
            category=form.category,
            description=form.description,
            reporter_phone=form.phone,
            photo_ids=[str(p) for p in photo_ids],
            reported_at=now,
            tracking_code=new_tracking_code(),
            client_address=address[:64],
            created_at=now,
            updated_at=now,
        )
        session.add(report)
        session.flush()
        attach_photos(session=session, photo_ids=photo_ids, site_id=site_id)
        events.report_received(session=session, settings=settings, report=report)
    return report


def report_for_tracking(session: Session, tracking: str) -> IntakeReport:
    report = None
    if len(tracking) == TRACKING_LENGTH and tracking.isalnum():
        report = session.exec(select(IntakeReport).where(IntakeReport.tracking_code == tracking.upper())).first()
    if report is None:
        raise not_found("intake")
    return report


def tracking_view(session: Session, report: IntakeReport) -> dict:
    """What the tracking page shows: the report's own words and standing, nothing of the hazard's insides."""
    hazard = session.get(Hazard, report.hazard_id) if report.hazard_id else None
    site = session.get(Site, report.site_id)
    until = intake.revisit_until(hazard)
    reopened = session.exec(
        select(IntakeReport.status).where(
            IntakeReport.origin_id == report.id, IntakeReport.kind == IntakeKind.reopen_request.value
        )
    ).first()
    return {
        "tracking_code": report.tracking_code,
        "site_name": site.name if site else "",
        "category": report.category,
        "description": report.description,
        "created_at": report.created_at,
        "status": rules.public_status(report.status, hazard.status if hazard else None),
        "decline_reason": report.decline_reason if report.status == "declined" else None,
        "revisit_open": report.revisit_answer is None and until is not None and utcnow() <= until,
        "revisit_until": until,
        "revisit_answer": report.revisit_answer,
        "reopen_status": reopened,
    }


def public_revisit(*, session: Session, settings: Settings, tracking: str, fixed: bool) -> IntakeReport:
    with write_unit(session):
        report = report_for_tracking(session, tracking)
        session.refresh(report, with_for_update=True)
        intake.answer_revisit(session=session, settings=settings, report=report, data=RevisitIn(fixed=fixed))
    return report
