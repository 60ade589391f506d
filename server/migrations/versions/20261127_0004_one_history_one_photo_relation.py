"""one history, one photo relation

hazard_transition becomes the hazard's history: every accepted step, including those the server takes
(creation, notice-driven notify/acknowledge, escalation), so actor_id and request_hash become nullable and
existing hazards get their missing steps from the audit trail. hazard.photo_ids goes: photo_link is the
relation (links it lacks are added first).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 09:00:00
"""
import json
import uuid
from datetime import timedelta
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import server.common

revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UTC = server.common.UTCDateTime(timezone=True)
hazard = sa.table("hazard", sa.column("id", sa.Uuid), sa.column("site_id", sa.Uuid), sa.column("photo_ids", sa.JSON),
                  sa.column("created_at", UTC))
photo = sa.table("photo", sa.column("id", sa.Uuid))
photo_link = sa.table("photo_link", sa.column("id", sa.Uuid), sa.column("photo_id", sa.Uuid),
                      sa.column("site_id", sa.Uuid), sa.column("hazard_id", sa.Uuid),
                      sa.column("inspection_id", sa.Uuid), sa.column("training_id", sa.Uuid),
                      sa.column("created_at", UTC))
step = sa.table("hazard_transition", sa.column("id", sa.Uuid), sa.column("hazard_id", sa.Uuid),
                sa.column("action", sa.String), sa.column("from_status", sa.String), sa.column("to_status", sa.String),
                sa.column("actor_id", sa.Uuid), sa.column("note", sa.String), sa.column("photo_ids", sa.JSON),
                sa.column("request_hash", sa.String), sa.column("result", sa.JSON), sa.column("created_at", UTC))
audit = sa.table("audit_event", sa.column("id", sa.Integer), sa.column("at", UTC), sa.column("actor_id", sa.String),
                 sa.column("action", sa.String), sa.column("target_type", sa.String), sa.column("target_id", sa.String),
                 sa.column("from_state", sa.String), sa.column("to_state", sa.String), sa.column("detail", sa.JSON))
notice = sa.table("notice", sa.column("id", sa.Uuid), sa.column("number", sa.String))


def _json(value):  # type: ignore[no-untyped-def]
    return json.loads(value) if isinstance(value, str) else value


def _link_hazard_photos(conn) -> None:  # type: ignore[no-untyped-def]
    """Every photo a hazard named gets a photo_link to it; a missing link is dated just after the link of
    the photo named before it, so links keep the order the hazard named its photos in."""
    known = {row[0] for row in conn.execute(sa.select(photo.c.id))}
    linked: dict = {}
    for hazard_id, photo_id, created_at in conn.execute(
            sa.select(photo_link.c.hazard_id, photo_link.c.photo_id, photo_link.c.created_at)
            .where(photo_link.c.hazard_id.is_not(None))):
        key = (hazard_id, photo_id)
        linked[key] = min(linked.get(key, created_at), created_at)
    rows = []
    for hazard_id, site_id, photo_ids, created_at in conn.execute(
            sa.select(hazard.c.id, hazard.c.site_id, hazard.c.photo_ids, hazard.c.created_at)):
        last = created_at
        for raw in _json(photo_ids) or []:
            photo_id = uuid.UUID(str(raw))
            if (hazard_id, photo_id) in linked:
                last = linked[(hazard_id, photo_id)]
            elif photo_id in known:
                last = last + timedelta(microseconds=1)
                linked[(hazard_id, photo_id)] = last
                rows.append({"id": uuid.uuid5(hazard_id, f"photo:{photo_id}"), "photo_id": photo_id,
                             "site_id": site_id, "hazard_id": hazard_id, "inspection_id": None,
                             "training_id": None, "created_at": last})
    if rows:
        conn.execute(photo_link.insert(), rows)


def _history_from_audit(conn) -> None:  # type: ignore[no-untyped-def]
    """The steps hazard_transition lacks (creation, notice-driven, escalation), from the audit trail, with the
    ids the server gives such steps now (server/hazards/history.py)."""
    have = {row[0] for row in conn.execute(sa.select(step.c.id))}
    numbers = {row[0]: row[1] for row in conn.execute(sa.select(notice.c.id, notice.c.number))}
    rows = []
    for event in conn.execute(sa.select(audit).where(audit.c.target_type == "hazard").order_by(audit.c.id)):
        detail = _json(event.detail) or {}
        hazard_id = uuid.UUID(event.target_id)
        note = None
        if event.action in ("raise", "report"):
            step_id = uuid.uuid5(hazard_id, "created")
        elif "transition_id" in detail:
            continue  # taken through PUT .../transitions: already a row
        elif event.action in ("notify", "acknowledge") and detail.get("notice_id"):
            notice_id = uuid.UUID(detail["notice_id"])
            step_id = uuid.uuid5(notice_id, f"{hazard_id}:{event.action}")
            note = numbers.get(notice_id)
        elif event.action == "escalate":
            step_id = uuid.uuid5(hazard_id, f"escalate:audit:{event.id}")
        else:
            continue
        if step_id in have:
            continue
        have.add(step_id)
        rows.append({"id": step_id, "hazard_id": hazard_id, "action": event.action,
                     "from_status": event.from_state or "", "to_status": event.to_state or "",
                     "actor_id": uuid.UUID(event.actor_id) if event.actor_id else None, "note": note,
                     "photo_ids": [], "request_hash": None, "result": {}, "created_at": event.at})
    if rows:
        conn.execute(step.insert(), rows)


def upgrade() -> None:
    with op.batch_alter_table('hazard_transition', schema=None) as batch_op:
        batch_op.alter_column('actor_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.alter_column('request_hash', existing_type=sa.String(length=64), nullable=True)
        batch_op.create_index('ix_hazard_transition_hazard_created', ['hazard_id', 'created_at'], unique=False)
    conn = op.get_bind()
    _link_hazard_photos(conn)
    _history_from_audit(conn)
    with op.batch_alter_table('hazard', schema=None) as batch_op:
        batch_op.drop_column('photo_ids')


def downgrade() -> None:
    with op.batch_alter_table('hazard', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_ids', sa.JSON(), nullable=False, server_default='[]'))
    conn = op.get_bind()
    kinds = sa.table("photo", sa.column("id", sa.Uuid), sa.column("kind", sa.String))
    named: dict = {}
    for hazard_id, photo_id in conn.execute(
            sa.select(photo_link.c.hazard_id, photo_link.c.photo_id).join(kinds, kinds.c.id == photo_link.c.photo_id)
            .where(photo_link.c.hazard_id.is_not(None), kinds.c.kind.in_(("problem", "scene")))
            .order_by(photo_link.c.created_at)):
        ids = named.setdefault(hazard_id, [])
        if str(photo_id) not in ids:
            ids.append(str(photo_id))
    for hazard_id, ids in named.items():
        conn.execute(hazard.update().where(hazard.c.id == hazard_id).values(photo_ids=ids))
    conn.execute(step.delete().where(step.c.request_hash.is_(None)))
    with op.batch_alter_table('hazard_transition', schema=None) as batch_op:
        batch_op.drop_index('ix_hazard_transition_hazard_created')
        batch_op.alter_column('request_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('actor_id', existing_type=sa.Uuid(), nullable=False)
