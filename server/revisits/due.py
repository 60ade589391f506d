"""Making a revisit due when a red hazard closes: called by the close transition, in its unit of work."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from rulebook.joint import REVISIT_SEVERITIES
from server.config import Settings
from server.hazards.models import Hazard
from server.revisits.models import Revisit


def revisit_id_for(hazard_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(hazard_id, "revisit")


def due_on(closed_at: datetime, settings: Settings) -> date:
    """The local day, N days (SAFEROUND_REVISIT_DAYS) after the close, the revisit falls due."""
    return closed_at.astimezone(settings.tz).date() + timedelta(days=settings.revisit_days)


def hazard_closed(*, session: Session, settings: Settings, hazard: Hazard) -> Revisit | None:
    """A closed red hazard gets its revisit (again due, if it was closed, revisited and closed before)."""
    if hazard.severity not in REVISIT_SEVERITIES or hazard.closed_at is None:
        return None
    row = session.exec(select(Revisit).where(Revisit.hazard_id == hazard.id).with_for_update()).first()
    if row is None:
        row = Revisit(
            id=revisit_id_for(hazard.id),
            hazard_id=hazard.id,
            site_id=hazard.site_id,
            closed_at=hazard.closed_at,
            due_on=due_on(hazard.closed_at, settings),
            created_at=hazard.closed_at,
            updated_at=hazard.closed_at,
        )
    else:
        row.closed_at = hazard.closed_at
        row.due_on = due_on(hazard.closed_at, settings)
        row.status = "due"
        row.answered_by = row.answered_at = row.photo_id = row.note = None
        row.updated_at = hazard.closed_at
    session.add(row)
    return row
