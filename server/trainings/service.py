"""Training sessions logged by officers."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel import Session, select

from server.audit import service as audit
from server.checklists.templates import CATEGORIES
from server.common import canonical_hash, utcnow
from server.errors import Invalid
from server.idempotency import check_same_request, stored_in_scope, write_once
from server.paging import cut, keyset
from server.photos.service import attach_photos, require_photos
from server.scope import fieldwork_condition, site_condition
from server.sites.models import Site
from server.trainings.models import TrainingIn, TrainingPublic, TrainingSession
from server.users.models import User


def to_public(row: TrainingSession) -> TrainingPublic:
    return TrainingPublic(
        **row.model_dump(exclude={"request_hash", "photo_ids"}), photo_ids=[uuid.UUID(str(p)) for p in row.photo_ids]
    )


def log_training(
    *, session: Session, user: User, training_id: uuid.UUID, data: TrainingIn
) -> tuple[TrainingPublic, bool]:
    request_hash = canonical_hash(data.model_dump(mode="json"))
    existing = stored_in_scope(
        session, TrainingSession, training_id, fieldwork_condition(user, TrainingSession.site_id), "training"
    )
    if existing is not None:
        return _replay(existing, request_hash), False
    unknown = [t for t in data.topics if t not in CATEGORIES]
    if unknown:
        raise Invalid("unknown_topics", topics=unknown, allowed=list(CATEGORIES))
    if session.exec(select(Site.id).where(Site.id == data.site_id, site_condition(user))).first() is None:
        raise Invalid("unknown_site", site_id=str(data.site_id))
    if data.held_at > utcnow() + timedelta(hours=1):
        raise Invalid("time_in_future", field="held_at")
    require_photos(session=session, user=user, photo_ids=data.photo_ids)

    def write() -> TrainingSession:
        row = TrainingSession(
            id=training_id,
            **data.model_dump(exclude={"photo_ids", "topics"}),
            topics=sorted(set(data.topics)),
            photo_ids=[str(p) for p in data.photo_ids],
            officer_id=user.id,
            request_hash=request_hash,
        )
        session.add(row)
        audit.record(session=session, actor_id=user.id, action="log", target_type="training", target_id=training_id)
        session.flush()  # the training row first: photo links point at it
        attach_photos(session=session, photo_ids=data.photo_ids, site_id=data.site_id, training_id=training_id)
        return row

    row, created = write_once(session, TrainingSession, training_id, write, replay=lambda existing: existing)
    if not created:
        return _replay(row, request_hash), False
    return to_public(row), True


def _replay(existing: TrainingSession, request_hash: str) -> TrainingPublic:
    check_same_request(existing.request_hash, request_hash, "training session")
    return to_public(existing)


def page_trainings(
    *, session: Session, user: User, site_id: uuid.UUID | None, since: datetime | None, cursor: str | None, limit: int
) -> tuple[list[TrainingPublic], str | None]:
    """Newest held first."""
    query = select(TrainingSession).where(fieldwork_condition(user, TrainingSession.site_id))
    if site_id:
        query = query.where(TrainingSession.site_id == site_id)
    if since:
        query = query.where(TrainingSession.held_at >= since)
    query = keyset(query, TrainingSession.held_at, TrainingSession.id, cursor=cursor, limit=limit, descending=True)
    rows, next_cursor = cut(session.exec(query).all(), limit, "held_at")
    return [to_public(r) for r in rows], next_cursor


def list_trainings(
    *, session: Session, user: User, site_id: uuid.UUID | None = None, since: datetime | None = None, limit: int = 200
) -> list[TrainingPublic]:
    query = select(TrainingSession).where(fieldwork_condition(user, TrainingSession.site_id))
    if site_id:
        query = query.where(TrainingSession.site_id == site_id)
    if since:
        query = query.where(TrainingSession.held_at >= since)
    rows = session.exec(query.order_by(TrainingSession.held_at.desc()).limit(limit)).all()
    return [to_public(r) for r in rows]
