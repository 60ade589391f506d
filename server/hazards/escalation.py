"""Deadlines and escalation: level 1 at the deadline, level 2 some days later (default 3)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, select

from server.audit import service as audit
from server.common import utcnow
from server.config import Settings
from rulebook.lifecycle import FINISHED_STATUSES
from server.hazards.models import Hazard


def escalation_level(hazard: Hazard, *, now: datetime, level2_after: timedelta) -> int:
    if hazard.status in FINISHED_STATUSES or now < hazard.deadline:
        return 0
    return 2 if now >= hazard.deadline + level2_after else 1


def refresh_escalations(*, session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Bring every hazard's escalation level up to date; one audit event per change. Returns the count."""
    now = now or utcnow()
    level2_after = timedelta(days=settings.escalation_level2_after_days)
    candidates = session.exec(
        select(Hazard).where(or_(
            Hazard.escalation_level != 0,
            Hazard.status.not_in(FINISHED_STATUSES) & (Hazard.deadline <= now),
        )).with_for_update()
    ).all()
    changed = 0
    for hazard in candidates:
        level = escalation_level(hazard, now=now, level2_after=level2_after)
        if level == hazard.escalation_level:
            continue
        audit.record(session=session, actor_id=None, action="escalate", target_type="hazard", target_id=hazard.id,
                     from_state=str(hazard.escalation_level), to_state=str(level),
                     detail={"deadline": hazard.deadline.isoformat()})
        hazard.escalation_level = level
        hazard.updated_at = now
        session.add(hazard)
        changed += 1
    session.commit()
    return changed
