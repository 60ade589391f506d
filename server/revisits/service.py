"""Revisits (回访) of closed red hazards: the officer's due list and the answer — still fixed, or reopened.

A reopen goes through the hazard's one write path (server/hazards/transitions.py, the lifecycle's `reopen`),
and the revisit's answer is written in that same unit of work."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, select

from rulebook.joint import REVISIT_OUTCOMES, REVISIT_REOPEN_NOTE
from server.audit import service as audit
from server.common import utcnow
from server.config import Settings
from server.db import write_unit
from server.errors import Conflict, Invalid, not_found
from server.hazards.models import Hazard, TransitionIn
from server.hazards.transitions import apply_transition
from server.paging import newest_first, split_page
from server.photos import service as photos
from server.revisits.models import Revisit, RevisitAnswerIn, RevisitPage, RevisitPublic
from server.scope import fieldwork_condition
from server.sites.models import Site
from server.users.models import User


def to_public_many(session: Session, rows: list[Revisit]) -> list[RevisitPublic]:
    if not rows:
        return []
    hazards = {h.id: h for h in session.exec(select(Hazard).where(Hazard.id.in_([r.hazard_id for r in rows]))).all()}
    sites = dict(session.exec(select(Site.id, Site.name).where(Site.id.in_({r.site_id for r in rows}))).all())
    out = []
    for row in rows:
        hazard = hazards[row.hazard_id]
        out.append(
            RevisitPublic(
                **row.model_dump(),
                site_name=sites.get(row.site_id, ""),
                category=hazard.category,
                item_id=hazard.item_id,
                severity=hazard.severity,
                description=hazard.description,
                hazard_status=hazard.status,
                hazard_version=hazard.version,
            )
        )
    return out


def list_revisits(
    *,
    session: Session,
    settings: Settings,
    user: User,
    status: str | None = "due",
    site_id: uuid.UUID | None = None,
    limit: int = 100,
    cursor: str | None = None,
    now: datetime | None = None,
) -> RevisitPage:
    """Revisits at the caller's sites. `due`: those whose day has come and whose hazard is still closed."""
    query = select(Revisit).where(fieldwork_condition(user, Revisit.site_id))
    if status:
        query = query.where(Revisit.status == status)
    if status == "due":
        today = (now or utcnow()).astimezone(settings.tz).date()
        query = query.where(
            Revisit.due_on <= today,
            Revisit.hazard_id.in_(select(Hazard.id).where(Hazard.status == "closed")),
        )
    if site_id:
        query = query.where(Revisit.site_id == site_id)
    rows, next_cursor = split_page(session.exec(newest_first(query, Revisit, cursor=cursor, limit=limit)).all(), limit)
    return RevisitPage(items=to_public_many(session, rows), next_cursor=next_cursor)


def get_revisit(*, session: Session, user: User, revisit_id: uuid.UUID) -> Revisit:
    row = session.exec(
        select(Revisit).where(Revisit.id == revisit_id, fieldwork_condition(user, Revisit.site_id))
    ).first()
    if row is None:
        raise not_found("revisit")
    return row


def answer_revisit(
    *,
    session: Session,
    settings: Settings,
    user: User,
    revisit_id: uuid.UUID,
    data: RevisitAnswerIn,
    now: datetime | None = None,
) -> tuple[RevisitPublic, bool]:
    """Confirm (still fixed) or reopen (with a photo). Returns (revisit, changed); the same answer given
    again (the phone's outbox retrying) returns the stored revisit and changes nothing."""
    row = get_revisit(session=session, user=user, revisit_id=revisit_id)
    wanted = REVISIT_OUTCOMES[data.outcome]
    if row.status != "due":
        if row.status == wanted:
            return to_public_many(session, [row])[0], False
        raise Conflict("revisit_answered", status=row.status)
    today = (now or utcnow()).astimezone(settings.tz).date()
    if row.due_on > today:
        raise Conflict("revisit_not_due", due_on=row.due_on.isoformat())
    if data.outcome == "reopen" and data.photo_id is None:
        raise Invalid("revisit_photo_required")
    photo_ids = [data.photo_id] if data.photo_id else []
    photos.require_photos(session=session, user=user, photo_ids=photo_ids)
    hazard_status = session.exec(select(Hazard.status).where(Hazard.id == row.hazard_id)).one()
    if hazard_status != "closed":
        raise Conflict("revisit_hazard_open", status=hazard_status)
    closed_at = row.closed_at

    def answer(hazard: Hazard) -> None:
        locked = session.exec(select(Revisit).where(Revisit.id == revisit_id).with_for_update()).one()
        if locked.status != "due" or locked.closed_at != closed_at:  # answered meanwhile
            raise Conflict("revisit_answered", status=locked.status)
        moment = utcnow()
        locked.status = wanted
        locked.answered_by = user.id
        locked.answered_at = moment
        locked.photo_id = data.photo_id
        locked.note = data.note
        locked.updated_at = moment
        session.add(locked)
        audit.record(
            session=session,
            actor_id=user.id,
            action="revisit",
            target_type="hazard",
            target_id=hazard.id,
            to_state=wanted,
            detail={"revisit_id": str(revisit_id), "note": data.note, "photo_id": str(data.photo_id or "")},
        )

    if data.outcome == "reopen":
        version = session.exec(select(Hazard.version).where(Hazard.id == row.hazard_id)).one()
        apply_transition(
            session=session,
            settings=settings,
            user=user,
            hazard_id=row.hazard_id,
            transition_id=uuid.uuid5(row.id, f"reopen:{closed_at.isoformat()}"),
            data=TransitionIn(
                action="reopen",
                base_version=version,
                note=data.note or REVISIT_REOPEN_NOTE["zh"],
                photo_ids=photo_ids,
            ),
            also=answer,
        )
    else:
        with write_unit(session):
            hazard = session.exec(select(Hazard).where(Hazard.id == row.hazard_id)).one()
            answer(hazard)
            photos.attach_photos(session=session, photo_ids=photo_ids, site_id=row.site_id, hazard_id=row.hazard_id)
    session.expire_all()
    return to_public_many(session, [get_revisit(session=session, user=user, revisit_id=revisit_id)])[0], True
