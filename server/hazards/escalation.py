"""Deadlines and escalation: level 1 at the deadline, level 2 some days later (default 3)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, select

from rulebook.lifecycle import FINISHED_STATUSES
from server.audit import service as audit
from server.common import utcnow
from server.config import Settings
from server.db import write_unit
from server.hazards.history import escalation_step_id, record_step
from server.hazards.models import Hazard
from server.notify import events as notify
from server.sync.changes import stamp_change


def escalation_level(hazard: Hazard, *, now: datetime, level2_after: timedelta) -> int:
    if hazard.status in FINISHED_STATUSES or now < hazard.deadline:
        return 0
    return 2 if now >= hazard.deadline + level2_after else 1


def refresh_escalations(*, session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Bring every hazard's escalation level up to date, in one unit of work; each change is a step in the
    hazard's history (from/to are levels), an audit event and a change in the feed. Returns the count."""
    now = now or utcnow()
    level2_after = timedelta(days=settings.escalation_level2_after_days)
    changed = 0
    with write_unit(session):
        candidates = session.exec(
            select(Hazard)
            .where(
                or_(
                    Hazard.escalation_level != 0,
                    Hazard.status.not_in(FINISHED_STATUSES) & (Hazard.deadline <= now),
                )
            )
            .order_by(Hazard.id)
            .with_for_update()
        ).all()
        for hazard in candidates:
            level = escalation_level(hazard, now=now, level2_after=level2_after)
            if level == hazard.escalation_level:
                continue
            record_step(
                session,
                step_id=escalation_step_id(hazard, hazard.escalation_level, level),
                hazard=hazard,
                action="escalate",
                from_status=str(hazard.escalation_level),
                to_status=str(level),
                actor_id=None,
            )
            audit.record(
                session=session,
                actor_id=None,
                action="escalate",
                target_type="hazard",
                target_id=hazard.id,
                from_state=str(hazard.escalation_level),
                to_state=str(level),
                detail={"deadline": hazard.deadline.isoformat()},
            )
            passed = range(hazard.escalation_level + 1, level + 1)  # 0 -> 2 tells level 1's people too
            hazard.escalation_level = level
            hazard.updated_at = now
            stamp_change(session, hazard)
            for reached in passed:
                notify.escalated(session=session, settings=settings, hazard=hazard, level=reached)
            changed += 1
    return changed
