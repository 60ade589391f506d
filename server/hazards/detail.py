"""A hazard with everything a person needs to act on it: timeline, photos by kind, allowed actions."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from server.audit.models import AuditEvent
from server.hazards.models import HazardDetail, HistoryEntry
from server.hazards.service import get_hazard, to_public
from rulebook.lifecycle import allowed_actions
from server.photos import service as photos
from server.sites.models import Site
from server.users.models import Organization, User


def hazard_history(*, session: Session, hazard_id: uuid.UUID) -> list[HistoryEntry]:
    events = session.exec(select(AuditEvent).where(AuditEvent.target_type == "hazard",
                                                   AuditEvent.target_id == str(hazard_id))
                          .order_by(AuditEvent.id)).all()
    actor_ids = {uuid.UUID(e.actor_id) for e in events if e.actor_id}
    names = {u.id: (u.display_name or u.username)
             for u in session.exec(select(User).where(User.id.in_(actor_ids))).all()} if actor_ids else {}
    return [
        HistoryEntry(at=e.at, actor_id=e.actor_id, actor_name=names.get(uuid.UUID(e.actor_id)) if e.actor_id else None,
                     action=e.action, from_state=e.from_state, to_state=e.to_state, note=e.detail.get("note"),
                     photo_ids=e.detail.get("photo_ids", []))
        for e in events
    ]


def hazard_detail(*, session: Session, user: User, hazard_id: uuid.UUID) -> HazardDetail:
    hazard = get_hazard(session=session, user=user, hazard_id=hazard_id)
    site = session.get(Site, hazard.site_id)
    org = session.get(Organization, hazard.organization_id) if hazard.organization_id else None
    return HazardDetail(
        **to_public(hazard).model_dump(),
        site_name=site.name if site else "",
        organization_name=org.name if org else None,
        allowed_actions=allowed_actions(hazard.status, user.role),
        history=hazard_history(session=session, hazard_id=hazard.id),
        photos=photos.photos_by_kind(session=session, hazard_id=hazard.id),
    )
