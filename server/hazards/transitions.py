"""Applying a workflow transition to a stored hazard: idempotent by transition id, guarded by version.

Notify and acknowledge are not taken here: a notice does them (server/notices/service.py), so each state
change has one way in."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlmodel import Session, select

from rulebook import lifecycle
from server.audit import service as audit
from server.common import canonical_hash, utcnow
from server.config import Settings
from server.errors import Conflict, Invalid, PreconditionFailed, not_found
from server.hazards.history import record_step
from server.hazards.models import Hazard, HazardPublic, HazardStatus, HazardTransition, TransitionIn
from server.hazards.service import default_deadline, to_public
from server.idempotency import check_same_request, stored_in_scope, write_once
from server.intake import external as intake
from server.notify import events as notify
from server.photos import service as photos
from server.revisits import due as revisits
from server.scope import hazard_condition
from server.sync.changes import stamp_change
from server.users.models import User


def lock_visible_hazard(*, session: Session, user: User, hazard_id: uuid.UUID) -> Hazard:
    hazard = session.exec(
        select(Hazard).where(Hazard.id == hazard_id, hazard_condition(user)).with_for_update()
    ).first()
    if hazard is None:
        raise not_found("hazard")
    return hazard


def apply_transition(
    *,
    session: Session,
    settings: Settings,
    user: User,
    hazard_id: uuid.UUID,
    transition_id: uuid.UUID,
    data: TransitionIn,
    also: Callable[[Hazard], None] | None = None,
) -> tuple[HazardPublic, bool]:
    """Move a hazard along its lifecycle. Returns (hazard, created); a replay returns the stored result.

    `also` runs inside the same unit of work once the step is written (a revisit's answer that reopens)."""
    request_hash = canonical_hash({"hazard_id": str(hazard_id), **data.model_dump(mode="json")})
    visible_hazards = select(Hazard.id).where(hazard_condition(user))
    stored = stored_in_scope(
        session, HazardTransition, transition_id, HazardTransition.hazard_id.in_(visible_hazards), "hazard"
    )
    if stored is not None:
        return _replay(stored, request_hash), False
    if data.action not in lifecycle.ACTIONS:
        raise Invalid("unknown_action", action=data.action, allowed=list(lifecycle.ACTIONS))
    if lifecycle.rule_for(data.action).by_notice:  # the notice carries the number, the deadline and the receipt
        raise Conflict("use_notices", action=data.action)
    if data.deadline is not None:
        raise Invalid("deadline_not_allowed")
    kinds = photos.require_photos(session=session, user=user, photo_ids=data.photo_ids)

    def write() -> HazardPublic:
        hazard = lock_visible_hazard(session=session, user=user, hazard_id=hazard_id)
        if data.base_version != hazard.version:
            raise PreconditionFailed(
                yours=data.base_version,
                current=hazard.version,
                status=hazard.status,
                extra={"hazard": to_public(session, hazard).model_dump(mode="json")},
            )
        new_status = lifecycle.transition(
            state=hazard.status,
            action=data.action,
            role=user.role,
            photo_kinds=kinds.values(),
            note=data.note,
            has_organization=hazard.organization_id is not None,
        )
        deadline = None
        if data.action == "reopen":  # found broken again: a fresh deadline from today
            deadline = default_deadline(found_at=utcnow(), severity=hazard.severity, settings=settings)
        from_status = hazard.status
        move_hazard(session=session, hazard=hazard, to_status=new_status, deadline=deadline)
        photos.attach_photos(session=session, photo_ids=data.photo_ids, site_id=hazard.site_id, hazard_id=hazard.id)
        audit.record(
            session=session,
            actor_id=user.id,
            action=data.action,
            target_type="hazard",
            target_id=hazard.id,
            from_state=from_status,
            to_state=new_status,
            detail={
                "note": data.note,
                "photo_ids": [str(p) for p in data.photo_ids],
                "transition_id": str(transition_id),
            },
        )
        session.flush()
        result = to_public(session, hazard)
        record_step(
            session,
            step_id=transition_id,
            hazard=hazard,
            action=data.action,
            from_status=from_status,
            to_status=new_status,
            actor_id=user.id,
            note=data.note,
            photo_ids=data.photo_ids,
            request_hash=request_hash,
            result=result.model_dump(mode="json"),
        )
        if new_status == "closed":  # a hotline's work order that became this hazard is resolved
            intake.hazard_closed(session=session, settings=settings, hazard_id=hazard.id)
            revisits.hazard_closed(session=session, settings=settings, hazard=hazard)  # red: revisit due later
        if also is not None:
            also(hazard)
        if data.action == "submit_evidence":
            notify.evidence_submitted(session=session, settings=settings, hazard=hazard, step_id=transition_id)
        return result

    return write_once(
        session, HazardTransition, transition_id, write, replay=lambda stored: _replay(stored, request_hash)
    )


def move_hazard(*, session: Session, hazard: Hazard, to_status: str, deadline=None) -> None:  # type: ignore[no-untyped-def]
    """The bookkeeping of a state change (the caller locked the hazard and checked the step against the
    workflow, inside its unit of work); it puts the hazard at the end of the changes feed."""
    now = utcnow()
    hazard.status = HazardStatus(to_status).value
    hazard.version += 1
    hazard.updated_at = now
    if deadline is not None:
        hazard.deadline = deadline
    if to_status == HazardStatus.closed:
        hazard.closed_at = now
        hazard.escalation_level = 0
    elif to_status == HazardStatus.cancelled:
        hazard.escalation_level = 0
    else:
        hazard.closed_at = None
    if deadline is not None and deadline > now:
        hazard.escalation_level = 0
    stamp_change(session, hazard)


def _replay(stored: HazardTransition, request_hash: str) -> HazardPublic:
    check_same_request(stored.request_hash, request_hash, "transition")
    return HazardPublic.model_validate(stored.result)


def reopen_for_report(*, session: Session, settings: Settings, user: User, hazard_id: uuid.UUID, step_id, note: str):  # type: ignore[no-untyped-def]
    """A reporter said "not fixed" and the officer accepted it: the lifecycle's reopen, inside the caller's unit
    of work, with a history step named after the reopen request."""
    hazard = lock_visible_hazard(session=session, user=user, hazard_id=hazard_id)
    new_status = lifecycle.transition(state=hazard.status, action="reopen", role=user.role, note=note)
    from_status = hazard.status
    deadline = default_deadline(found_at=utcnow(), severity=hazard.severity, settings=settings)
    move_hazard(session=session, hazard=hazard, to_status=new_status, deadline=deadline)
    audit.record(
        session=session,
        actor_id=user.id,
        action="reopen",
        target_type="hazard",
        target_id=hazard.id,
        from_state=from_status,
        to_state=new_status,
        detail={"note": note, "intake_step": str(step_id)},
    )
    session.flush()
    record_step(
        session,
        step_id=step_id,
        hazard=hazard,
        action="reopen",
        from_status=from_status,
        to_status=new_status,
        actor_id=user.id,
        note=note,
    )
    return hazard
