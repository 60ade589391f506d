"""The hazard lifecycle as data, and one pure function that applies it.

TRANSITIONS maps (state, action) to the next state, who may take the step and what evidence it needs.
`transition()` checks a request against it without touching a database: the server judges with it, the
phone uses it to refuse an impossible step on the spot and to show a hazard as its queued steps will
leave it, and the console shows only the buttons it allows.

Notify and acknowledge belong to a rectification notice (整改通知书): issuing a notice notifies its
hazards, signing for it (签收) acknowledges them. They are in the table so the states are complete, but
they are marked `by_notice` and are taken only through the notice, never as a bare transition.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rulebook.messages import RuleViolation

STATUS_NAMES: dict[str, dict[str, str]] = {
    "open": {"zh": "待处理", "en": "open"},
    "notified": {"zh": "已下发通知", "en": "notified"},
    "rectifying": {"zh": "整改中", "en": "being fixed"},
    "awaiting_verification": {"zh": "待复查", "en": "awaiting verification"},
    "closed": {"zh": "已销号", "en": "closed"},
    "cancelled": {"zh": "已撤销", "en": "cancelled"},
}
STATUSES: tuple[str, ...] = tuple(STATUS_NAMES)
FINISHED_STATUSES: tuple[str, ...] = ("closed", "cancelled")
OPEN_STATUSES: tuple[str, ...] = tuple(s for s in STATUSES if s not in FINISHED_STATUSES)

ACTION_NAMES: dict[str, dict[str, str]] = {
    "notify": {"zh": "下发整改通知", "en": "notify the company"},
    "acknowledge": {"zh": "签收", "en": "acknowledge"},
    "submit_evidence": {"zh": "提交整改材料", "en": "submit evidence"},
    "verify": {"zh": "复查销号", "en": "verify"},
    "reject": {"zh": "退回整改", "en": "reject the evidence"},
    "fix_on_spot": {"zh": "现场整改", "en": "fix on the spot"},
    "reopen": {"zh": "重新打开", "en": "reopen"},
    "cancel": {"zh": "撤销", "en": "cancel"},
}
ACTIONS: tuple[str, ...] = tuple(ACTION_NAMES)

OFFICER = frozenset({"officer"})
PROPERTY = frozenset({"property"})
# A village without a property company brings its evidence to the officer, who records it.
EVIDENCE_GIVERS = frozenset({"property", "officer"})
CANCELLERS = frozenset({"officer", "admin"})


@dataclass(frozen=True)
class Rule:
    to: str
    roles: frozenset[str]
    photo_kind: str | None = None  # at least one photo of this kind is the evidence
    needs_note: bool = False
    needs_organization: bool = False
    sets_deadline: bool = False  # the step may set a new deadline
    by_notice: bool = False  # taken only through a rectification notice


def _cancel() -> Rule:
    return Rule("cancelled", CANCELLERS, needs_note=True)


def _evidence() -> Rule:
    return Rule("awaiting_verification", EVIDENCE_GIVERS, photo_kind="rectification")


TRANSITIONS: dict[tuple[str, str], Rule] = {
    ("open", "notify"): Rule("notified", OFFICER, needs_organization=True, sets_deadline=True, by_notice=True),
    # Fixed on the spot: the photo of the fixed state is the verification evidence.
    ("open", "fix_on_spot"): Rule("closed", OFFICER, photo_kind="verification"),
    ("open", "cancel"): _cancel(),
    ("notified", "acknowledge"): Rule("rectifying", PROPERTY, by_notice=True),
    ("notified", "submit_evidence"): _evidence(),
    ("notified", "cancel"): _cancel(),
    ("rectifying", "submit_evidence"): _evidence(),
    ("rectifying", "cancel"): _cancel(),
    ("awaiting_verification", "verify"): Rule("closed", OFFICER, photo_kind="verification"),
    ("awaiting_verification", "reject"): Rule("rectifying", OFFICER, needs_note=True),
    ("awaiting_verification", "cancel"): _cancel(),
    ("closed", "reopen"): Rule("rectifying", OFFICER, needs_note=True),
}


def rule_for(action: str) -> Rule | None:
    """What an action needs, whatever the state (the evidence an action asks for does not depend on it)."""
    return next((rule for (_state, a), rule in TRANSITIONS.items() if a == action), None)


def allowed_actions(state: str, role: str) -> list[str]:
    """What this role may do from this state: the buttons a client shows (notice steps included)."""
    return [action for (frm, action), rule in TRANSITIONS.items() if frm == state and role in rule.roles]


def transition(
    *,
    state: str,
    action: str,
    role: str,
    photo_kinds: Iterable[str] = (),
    note: str | None = None,
    has_organization: bool = True,
    through_notice: bool = False,
) -> str:
    """The next state, or RuleViolation saying why not — its code tells 409 state, 403 role, 422 evidence."""
    if action not in ACTION_NAMES:
        raise RuleViolation("unknown_action", action=action, allowed=list(ACTIONS))
    rule = TRANSITIONS.get((state, action))
    if rule is None:
        possible = sorted(a for (frm, a) in TRANSITIONS if frm == state)
        raise RuleViolation("invalid_transition", status=state, action=action, possible=possible)
    if rule.by_notice and not through_notice:
        raise RuleViolation("use_notices", action=action)
    if role not in rule.roles:
        raise RuleViolation("role_not_allowed", action=action, roles=sorted(rule.roles), role=role)
    if rule.needs_organization and not has_organization:
        raise RuleViolation("no_organization")
    if rule.needs_note and not (note and note.strip()):
        raise RuleViolation("note_required", action=action)
    if rule.photo_kind and rule.photo_kind not in set(photo_kinds):
        raise RuleViolation("photo_required_for_action", action=action, kind=rule.photo_kind)
    return rule.to


def with_queued_steps(hazard: dict[str, Any], queued: list[dict[str, Any]]) -> dict[str, Any]:
    """The hazard as it will be once `queued` steps (bodies with an action, oldest first) are accepted.

    Adds `pending_actions` (the queued action names) so a screen can mark the hazard "waiting to sync"."""
    shown = copy.deepcopy(hazard)
    shown["pending_actions"] = []
    for body in queued:
        rule = TRANSITIONS.get((shown.get("status", ""), body["action"]))
        if rule is None:
            continue
        shown["status"] = rule.to
        shown["version"] = int(shown.get("version", 1)) + 1
        if body.get("deadline"):
            shown["deadline"] = body["deadline"]
        shown["pending_actions"].append(body["action"])
    return shown
