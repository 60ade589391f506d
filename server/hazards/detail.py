"""A hazard with everything a person needs to act on it: timeline, photos by kind, allowed actions."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from rulebook.lifecycle import allowed_actions
from server.hazards.history import hazard_history
from server.hazards.models import HazardDetail
from server.hazards.service import get_hazard, to_public
from server.photos import service as photos
from server.sites.models import Site
from server.users.models import Organization, User


def hazard_detail(*, session: Session, user: User, hazard_id: uuid.UUID) -> HazardDetail:
    hazard = get_hazard(session=session, user=user, hazard_id=hazard_id)
    site = session.get(Site, hazard.site_id)
    org = session.get(Organization, hazard.organization_id) if hazard.organization_id else None
    return HazardDetail(
        **to_public(session, hazard).model_dump(),
        site_name=site.name if site else "",
        organization_name=org.name if org else None,
        allowed_actions=allowed_actions(hazard.status, user.role),
        history=hazard_history(session=session, hazard_id=hazard.id),
        photos=photos.photos_by_kind(session=session, hazard_id=hazard.id),
    )
