"""Subscriptions and the delivery log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from server.deps import AdminUser, SessionDep, require_role
from server.notify import service
from server.notify.models import (
    DeliveryPage,
    DeliveryPublic,
    DeliveryStatus,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionPage,
)
from server.users.models import Role, User

router = APIRouter(tags=["notifications"])
Subscriber = Annotated[User, Depends(require_role(Role.admin, Role.property, Role.officer))]
Limit = Annotated[int, Query(ge=1, le=500)]


@router.post("/subscriptions", response_model=SubscriptionCreated, status_code=201)
def create_subscription(body: SubscriptionIn, user: Subscriber, session: SessionDep) -> SubscriptionCreated:
    return service.create_subscription(session=session, user=user, data=body)


@router.get("/subscriptions", response_model=SubscriptionPage)
def list_subscriptions(
    user: Subscriber, session: SessionDep, limit: Limit = 100, cursor: str | None = None
) -> SubscriptionPage:
    items, next_cursor = service.list_subscriptions(session=session, user=user, cursor=cursor, limit=limit)
    return SubscriptionPage(items=items, next_cursor=next_cursor)


@router.delete("/subscriptions/{subscription_id}", status_code=204)
def delete_subscription(subscription_id: uuid.UUID, user: Subscriber, session: SessionDep) -> Response:
    service.delete_subscription(session=session, user=user, subscription_id=subscription_id)
    return Response(status_code=204)


@router.get("/deliveries", response_model=DeliveryPage)
def list_deliveries(
    _: AdminUser,
    session: SessionDep,
    status: DeliveryStatus | None = None,
    limit: Limit = 100,
    cursor: str | None = None,
) -> DeliveryPage:
    items, next_cursor = service.list_deliveries(session=session, status=status, cursor=cursor, limit=limit)
    return DeliveryPage(items=items, next_cursor=next_cursor)


@router.post("/deliveries/{delivery_id}/retry", response_model=DeliveryPublic)
def retry_delivery(delivery_id: uuid.UUID, _: AdminUser, session: SessionDep) -> DeliveryPublic:
    return service.retry_delivery(session=session, delivery_id=delivery_id)
