"""The hazard lifecycle as data, and one pure function that applies it.

TRANSITIONS maps (state, action) to the next state, who may do it and what evidence it needs.
transition() checks a request against it without touching a database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from server.errors import Forbidden, Invalid, InvalidTransition
from server.hazards.models import HazardStatus as S


class Action(str, Enum):
    notify = "notify"
    acknowledge = "acknowledge"
    submit_evidence = "submit_evidence"
    verify = "verify"
    reject = "reject"
    fix_on_spot = "fix_on_spot"
    reopen = "reopen"
    cancel = "cancel"


OFFICER = frozenset({"officer"})
PROPERTY = frozenset({"property"})
# A village without a property company brings its evidence to the officer, who records it.
EVIDENCE_GIVERS = frozenset({"property", "officer"})
CANCELLERS = frozenset({"officer", "admin"})
# Fixed on the spot: the photo of the fixed state is the verification evidence.
REPAIR_PHOTOS = frozenset({"verification"})


@dataclass(frozen=True)
class Rule:
    to: S
    roles: frozenset[str]
    photo_kinds: frozenset[str] = frozenset()  # at least one photo of these kinds
    needs_note: bool = False
    needs_organization: bool = False


def _cancel() -> Rule:
    return Rule(S.cancelled, CANCELLERS, needs_note=True)


TRANSITIONS: dict[tuple[S, Action], Rule] = {
    (S.open, Action.notify): Rule(S.notified, OFFICER, needs_organization=True),
    (S.open, Action.fix_on_spot): Rule(S.closed, OFFICER, photo_kinds=REPAIR_PHOTOS),
    (S.open, Action.cancel): _cancel(),
    (S.notified, Action.acknowledge): Rule(S.rectifying, PROPERTY),
    (S.notified, Action.submit_evidence): Rule(S.awaiting_verification, EVIDENCE_GIVERS,
                                               photo_kinds=frozenset({"rectification"})),
    (S.notified, Action.cancel): _cancel(),
    (S.rectifying, Action.submit_evidence): Rule(S.awaiting_verification, EVIDENCE_GIVERS,
                                                 photo_kinds=frozenset({"rectification"})),
    (S.rectifying, Action.cancel): _cancel(),
    (S.awaiting_verification, Action.verify): Rule(S.closed, OFFICER, photo_kinds=frozenset({"verification"})),
    (S.awaiting_verification, Action.reject): Rule(S.rectifying, OFFICER, needs_note=True),
    (S.awaiting_verification, Action.cancel): _cancel(),
    (S.closed, Action.reopen): Rule(S.rectifying, OFFICER, needs_note=True),
}

ACTION_WORDS = {
    Action.notify: "notify the company", Action.acknowledge: "acknowledge", Action.submit_evidence:
    "submit evidence", Action.verify: "verify", Action.reject: "reject the evidence", Action.fix_on_spot:
    "fix on the spot", Action.reopen: "reopen", Action.cancel: "cancel",
}


def allowed_actions(state: str, role: str) -> list[Action]:
    """What this role may do from this state: the buttons a client shows."""
    return [action for (frm, action), rule in TRANSITIONS.items() if frm == state and role in rule.roles]


def transition(*, state: str, action: str, role: str, photo_kinds: Iterable[str] = (), note: str | None = None,
               has_organization: bool = True) -> S:
    """The next state, or the domain error that says why not (409 state, 403 role, 422 evidence)."""
    state, action = S(state), Action(action)
    rule = TRANSITIONS.get((state, action))
    words = ACTION_WORDS[action]
    if rule is None:
        possible = sorted(a.value for (frm, a) in TRANSITIONS if frm == state)
        hint = f" From {state.value} you can: {', '.join(possible)}." if possible else ""
        raise InvalidTransition(f"A hazard that is {state.value} cannot {words}.{hint}")
    if role not in rule.roles:
        raise Forbidden(f"Only {' or '.join(sorted(rule.roles))} users can {words}; you are {role}.",
                        code="role_not_allowed")
    if rule.needs_organization and not has_organization:
        raise InvalidTransition("This hazard has no responsible property company to notify; fix it on the spot "
                                "or give its site a property company first.", code="no_organization")
    if rule.needs_note and not (note and note.strip()):
        raise Invalid(f"To {words}, give a reason in 'note'.", code="note_required")
    if rule.photo_kinds and not set(photo_kinds) & rule.photo_kinds:
        kinds = " or ".join(sorted(rule.photo_kinds))
        raise Invalid(f"To {words}, attach at least one {kinds} photo.", code="photo_required")
    return rule.to
