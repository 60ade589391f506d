"""Work orders from a city hotline platform (12345-style, 接诉即办).

The platform signs each request like SafeRound signs its webhooks: X-SafeRound-Integration names it,
X-SafeRound-Timestamp (Unix seconds, within the replay window) and X-SafeRound-Signature (hex HMAC-SHA256 of
"{timestamp}.{raw body}" with the integration's secret). An order lands once in the intake queue under
uuid5(integration, order id): the same order again answers the first result. When its hazard closes (or the
report is declined), the platform's callback hears it through the outbox."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid

from sqlmodel import Session, select

from rulebook.categories import CATEGORIES
from server.common import canonical_hash
from server.config import Settings
from server.db import write_unit
from server.errors import Conflict, Invalid, Unauthorized
from server.idempotency import check_same_request, write_once
from server.intake.models import (
    ExternalOrderIn,
    IntakeIntegration,
    IntakePublic,
    IntakeReport,
    IntakeSource,
    IntakeStatus,
    IntegrationCreated,
    IntegrationIn,
)
from server.notify import events
from server.notify.models import Subscription
from server.sites.models import Site
from server.users.models import User


def create_integration(*, session: Session, user: User, data: IntegrationIn) -> IntegrationCreated:
    secret = data.secret or secrets.token_urlsafe(32)
    with write_unit(session):
        if session.exec(select(IntakeIntegration).where(IntakeIntegration.name == data.name)).first():
            raise Conflict("integration_name_taken", name=data.name)
        callback = None
        if data.callback_url:  # the platform's callback is a webhook subscription signed with the same secret
            callback = Subscription(
                channel="webhook",
                target=data.callback_url,
                events=["report_outcome"],
                secret=secret,
                created_by=user.id,
            )
            session.add(callback)
            session.flush()
        integration = IntakeIntegration(
            name=data.name,
            secret=secret,
            callback_subscription_id=callback.id if callback else None,
            created_by=user.id,
        )
        session.add(integration)
    return IntegrationCreated(id=integration.id, name=integration.name, callback_url=data.callback_url, secret=secret)


def authenticate(
    *, session: Session, settings: Settings, name: str | None, timestamp: str | None, signature: str | None, body: bytes
) -> IntakeIntegration:
    """The integration that signed this request, or 401 (an unknown name looks like a bad signature)."""
    integration = None
    if name:
        integration = session.exec(
            select(IntakeIntegration).where(IntakeIntegration.name == name, IntakeIntegration.active)
        ).first()
    if integration is None or not timestamp or not signature or not timestamp.isdigit():
        raise Unauthorized("bad_signature")
    expected = hmac.new(integration.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise Unauthorized("bad_signature")
    if abs(time.time() - int(timestamp)) > settings.intake_replay_window_seconds:
        raise Unauthorized("stale_signature", max_age=settings.intake_replay_window_seconds)
    return integration


def receive_order(
    *, session: Session, settings: Settings, integration: IntakeIntegration, data: ExternalOrderIn
) -> tuple[IntakePublic, bool]:
    """Land the order in the intake queue (once) and tell the site's officers, in one unit of work."""
    request_hash = canonical_hash(data.model_dump(mode="json"))
    report_id = uuid.uuid5(integration.id, data.order_id)

    def replay(stored: IntakeReport) -> IntakePublic:
        check_same_request(stored.request_hash, request_hash, "intake")
        return IntakePublic.model_validate(stored)

    stored = session.get(IntakeReport, report_id)
    if stored is not None:
        return replay(stored), False
    if data.category not in CATEGORIES:
        raise Invalid("unknown_category", category=data.category, allowed=list(CATEGORIES))
    if session.get(Site, data.site_id) is None:
        raise Invalid("unknown_external_site", site_id=str(data.site_id))

    def write() -> IntakePublic:
        report = IntakeReport(
            id=report_id,
            source=IntakeSource.external.value,
            status=IntakeStatus.pending.value,
            site_id=data.site_id,
            category=data.category,
            description=data.description,
            reporter_phone=data.reporter_phone,
            reported_at=data.reported_at,
            integration_id=integration.id,
            external_id=data.order_id,
            request_hash=request_hash,
        )
        session.add(report)
        session.flush()
        events.report_received(session=session, settings=settings, report=report)
        return IntakePublic.model_validate(report)

    return write_once(session, IntakeReport, report_id, write, replay=replay)


def tell_platform(*, session: Session, settings: Settings, report: IntakeReport, outcome: str, reason: str = "") -> int:
    """Queue the callback to the platform that filed `report` (inside the caller's unit of work)."""
    if report.integration_id is None:
        return 0
    integration = session.get(IntakeIntegration, report.integration_id)
    if integration is None or integration.callback_subscription_id is None:
        return 0
    subscription = session.get(Subscription, integration.callback_subscription_id)
    if subscription is None:
        return 0
    return events.report_outcome(
        session=session, settings=settings, report=report, subscription=subscription, outcome=outcome, reason=reason
    )


def hazard_closed(*, session: Session, settings: Settings, hazard_id: uuid.UUID) -> int:
    """A hazard closed: the platforms whose work orders became it hear the order is resolved."""
    told = 0
    for report in session.exec(
        select(IntakeReport).where(IntakeReport.hazard_id == hazard_id, IntakeReport.integration_id.is_not(None))
    ).all():
        told += tell_platform(session=session, settings=settings, report=report, outcome="resolved")
    return told
