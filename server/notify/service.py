"""Subscriptions (who hears what) and the delivery log with its retry."""

from __future__ import annotations

import re
import secrets
import uuid

from sqlalchemy import ColumnElement, true
from sqlmodel import Session, select

from server.common import utcnow
from server.db import write_unit
from server.errors import Conflict, Invalid, not_found
from server.notify.models import (
    DeliveryPublic,
    DeliveryStatus,
    OutboxMessage,
    Subscription,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionPublic,
)
from server.paging import newest_first, split_page
from server.users.models import Organization, Role, User

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def subscription_condition(user: User) -> ColumnElement[bool]:
    """Admins see every subscription; a company its own; anyone else only their personal ones."""
    if user.role == Role.admin.value:
        return true()
    if user.role == Role.property.value:
        return Subscription.organization_id == user.organization_id
    return Subscription.user_id == user.id


def _check_target(data: SubscriptionIn) -> None:
    if data.channel.value == "email":
        if not EMAIL.match(data.target):
            raise Invalid("bad_subscription_target", channel=data.channel.value)
    elif not data.target.startswith(("http://", "https://")):
        raise Invalid("bad_subscription_target", channel=data.channel.value)


def create_subscription(*, session: Session, user: User, data: SubscriptionIn) -> SubscriptionCreated:
    """Admins subscribe any company, user or the coordinators; a company only itself; others only themselves."""
    _check_target(data)
    org_id, user_id, street = data.organization_id, data.user_id, data.street
    if user.role == Role.property.value:
        if org_id not in (None, user.organization_id) or user_id is not None or street is not None:
            raise Invalid("subscription_own_only")
        org_id = user.organization_id
        if org_id is None:
            raise Invalid("subscription_own_only")
    elif user.role != Role.admin.value:
        if org_id is not None or user_id not in (None, user.id) or street is not None:
            raise Invalid("subscription_own_only")
        user_id = user.id
    if org_id is not None and session.get(Organization, org_id) is None:
        raise Invalid("unknown_organization", field="organization_id")
    if user_id is not None and session.get(User, user_id) is None:
        raise Invalid("unknown_user", field="user_id")
    secret = data.secret
    if data.channel.value == "webhook" and not secret:
        secret = secrets.token_urlsafe(32)  # every webhook is signed; the caller reads this once
    sub = Subscription(
        organization_id=org_id,
        user_id=user_id,
        street=street,
        channel=data.channel.value,
        target=data.target,
        events=[e.value for e in data.events],
        secret=secret,
        language=data.language,
        created_by=user.id,
    )
    with write_unit(session):
        session.add(sub)
    return SubscriptionCreated(**SubscriptionPublic.model_validate(sub).model_dump(), secret=secret)


def list_subscriptions(
    *, session: Session, user: User, cursor: str | None, limit: int
) -> tuple[list[SubscriptionPublic], str | None]:
    query = select(Subscription).where(Subscription.active, subscription_condition(user))
    rows, next_cursor = split_page(
        session.exec(newest_first(query, Subscription, cursor=cursor, limit=limit)).all(), limit
    )
    return [SubscriptionPublic.model_validate(s) for s in rows], next_cursor


def delete_subscription(*, session: Session, user: User, subscription_id: uuid.UUID) -> None:
    """Stops it: messages not yet sent to it die with a reason; the log keeps what was sent."""
    with write_unit(session):
        sub = session.exec(
            select(Subscription)
            .where(Subscription.id == subscription_id, Subscription.active, subscription_condition(user))
            .with_for_update()
        ).first()
        if sub is None:
            raise not_found("subscription")
        sub.active = False
        session.add(sub)


def list_deliveries(
    *, session: Session, status: DeliveryStatus | None, cursor: str | None, limit: int
) -> tuple[list[DeliveryPublic], str | None]:
    query = select(OutboxMessage)
    if status is not None:
        query = query.where(OutboxMessage.status == status.value)
    rows, next_cursor = split_page(
        session.exec(newest_first(query, OutboxMessage, cursor=cursor, limit=limit)).all(), limit
    )
    return [DeliveryPublic.model_validate(m) for m in rows], next_cursor


def retry_delivery(*, session: Session, delivery_id: uuid.UUID) -> DeliveryPublic:
    """A dead (or waiting) message is due now, with a fresh retry window; a sent one stays sent."""
    with write_unit(session):
        message = session.exec(select(OutboxMessage).where(OutboxMessage.id == delivery_id).with_for_update()).first()
        if message is None:
            raise not_found("delivery")
        if message.status == DeliveryStatus.sent.value:
            raise Conflict("delivery_already_sent")
        now = utcnow()
        message.status = DeliveryStatus.pending.value
        message.next_attempt_at = now
        message.window_started_at = now
        session.add(message)
        session.flush()
        return DeliveryPublic.model_validate(message)
