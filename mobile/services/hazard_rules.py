"""The hazard lifecycle as the phone knows it, to refuse an impossible step on the spot and to show
the state a hazard will have once the phone's queued transitions reach the server.

A copy of the table in server/hazards/workflow.py (the phone does not ship the server);
tests/mobile/test_hazard_rules.py checks the two agree. The server stays the judge.
"""

from __future__ import annotations

import copy
from typing import Any

# Fixed on the spot: the photo of the fixed state is the verification evidence.
REPAIR_PHOTOS = frozenset({"verification"})

# (state, action) -> (next state, roles, photo kinds of which one is needed, note needed)
TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str], frozenset[str], bool]] = {
    ("open", "notify"): ("notified", frozenset({"officer"}), frozenset(), False),
    ("open", "fix_on_spot"): ("closed", frozenset({"officer"}), REPAIR_PHOTOS, False),
    ("open", "cancel"): ("cancelled", frozenset({"officer", "admin"}), frozenset(), True),
    ("notified", "acknowledge"): ("rectifying", frozenset({"property"}), frozenset(), False),
    ("notified", "submit_evidence"): ("awaiting_verification", frozenset({"property", "officer"}),
                                      frozenset({"rectification"}), False),
    ("notified", "cancel"): ("cancelled", frozenset({"officer", "admin"}), frozenset(), True),
    ("rectifying", "submit_evidence"): ("awaiting_verification", frozenset({"property", "officer"}),
                                        frozenset({"rectification"}), False),
    ("rectifying", "cancel"): ("cancelled", frozenset({"officer", "admin"}), frozenset(), True),
    ("awaiting_verification", "verify"): ("closed", frozenset({"officer"}), frozenset({"verification"}), False),
    ("awaiting_verification", "reject"): ("rectifying", frozenset({"officer"}), frozenset(), True),
    ("awaiting_verification", "cancel"): ("cancelled", frozenset({"officer", "admin"}), frozenset(), True),
    ("closed", "reopen"): ("rectifying", frozenset({"officer"}), frozenset(), True),
}
ACTIONS = ("notify", "acknowledge", "submit_evidence", "verify", "reject", "fix_on_spot", "reopen", "cancel")


class TransitionRefused(ValueError):
    """The phone already knows the server would refuse this step; `code` matches the server's."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def allowed_actions(state: str, role: str) -> list[str]:
    """The buttons to show for a hazard in `state` to a user with `role`."""
    return [action for (frm, action), rule in TRANSITIONS.items() if frm == state and role in rule[1]]


def check_transition(*, state: str, action: str, role: str, photo_kinds: set[str], note: str | None,
                     has_organization: bool = True) -> str:
    """The next state, or TransitionRefused saying why not (same reasons, same order as the server)."""
    if action not in ACTIONS:
        raise TransitionRefused("unknown_action", f"Unknown action '{action}'; use one of {', '.join(ACTIONS)}.")
    rule = TRANSITIONS.get((state, action))
    if rule is None:
        possible = sorted(a for (frm, a) in TRANSITIONS if frm == state)
        hint = f" From {state} you can: {', '.join(possible)}." if possible else ""
        raise TransitionRefused("invalid_transition", f"A hazard that is {state} cannot {action}.{hint}")
    to, roles, kinds, needs_note = rule
    if role not in roles:
        raise TransitionRefused("role_not_allowed", f"Only {' or '.join(sorted(roles))} users can {action}.")
    if action == "notify" and not has_organization:
        raise TransitionRefused("no_organization", "This hazard has no responsible property company to notify; "
                                "fix it on the spot or ask the coordinator to give its site a company.")
    if needs_note and not (note and note.strip()):
        raise TransitionRefused("note_required", f"To {action}, give a reason in the note.")
    if kinds and not photo_kinds & kinds:
        raise TransitionRefused("photo_required", f"To {action}, attach at least one {' or '.join(sorted(kinds))} "
                                "photo.")
    return to


def with_queued_transitions(hazard: dict[str, Any], queued: list[dict[str, Any]]) -> dict[str, Any]:
    """The hazard as it will be once `queued` (transition bodies, oldest first) are accepted.

    Adds `pending_actions` (the queued action names) so a screen can mark the hazard "waiting to sync"."""
    shown = copy.deepcopy(hazard)
    shown["pending_actions"] = []
    for body in queued:
        rule = TRANSITIONS.get((shown.get("status", ""), body["action"]))
        if rule is None:
            continue
        shown["status"] = rule[0]
        shown["version"] = int(shown.get("version", 1)) + 1
        if body.get("deadline"):
            shown["deadline"] = body["deadline"]
        shown["pending_actions"].append(body["action"])
    return shown
