"""The transition table, checked without a database."""

from __future__ import annotations

import pytest

from server.errors import Forbidden, Invalid, InvalidTransition
from server.hazards.models import HazardStatus
from server.hazards.workflow import TRANSITIONS, Action, allowed_actions, transition

LIFE = [  # (state, action, role, photo kinds, note) -> next state
    ("open", "notify", "officer", [], None, "notified"),
    ("notified", "acknowledge", "property", [], None, "rectifying"),
    ("rectifying", "submit_evidence", "property", ["rectification"], None, "awaiting_verification"),
    ("awaiting_verification", "reject", "officer", [], "还有一处软管未更换", "rectifying"),
    ("awaiting_verification", "verify", "officer", ["verification"], None, "closed"),
    ("open", "fix_on_spot", "officer", ["verification"], None, "closed"),
    ("closed", "reopen", "officer", [], "复查发现问题再次出现", "rectifying"),
    ("notified", "cancel", "admin", [], "重复上报", "cancelled"),
]


@pytest.mark.parametrize("state,action,role,kinds,note,expected", LIFE)
def test_allowed_steps_lead_where_the_design_says(state, action, role, kinds, note, expected):
    assert transition(state=state, action=action, role=role, photo_kinds=kinds, note=note) == expected


def test_property_users_can_never_close_verify_or_cancel():
    for (state, action), rule in TRANSITIONS.items():
        if rule.to in (HazardStatus.closed, HazardStatus.cancelled):
            assert "property" not in rule.roles, (state, action)
    with pytest.raises(Forbidden):
        transition(state="awaiting_verification", action="verify", role="property", photo_kinds=["verification"])
    with pytest.raises(Forbidden):
        transition(state="open", action="cancel", role="property", note="x")


def test_actions_from_the_wrong_state_are_refused_with_what_is_possible():
    with pytest.raises(InvalidTransition) as err:
        transition(state="open", action="verify", role="officer", photo_kinds=["verification"])
    assert "cannot verify" in err.value.detail and "notify" in err.value.detail
    with pytest.raises(InvalidTransition):
        transition(state="cancelled", action="reopen", role="officer", note="x")


def test_evidence_and_reasons_are_required():
    with pytest.raises(Invalid) as err:
        transition(state="rectifying", action="submit_evidence", role="property", photo_kinds=["problem"])
    assert "rectification photo" in err.value.detail
    with pytest.raises(Invalid):
        transition(state="awaiting_verification", action="verify", role="officer", photo_kinds=[])
    with pytest.raises(Invalid):
        transition(state="awaiting_verification", action="reject", role="officer", note="  ")
    with pytest.raises(Invalid):
        transition(state="open", action="cancel", role="officer")


def test_notify_needs_a_responsible_company():
    with pytest.raises(InvalidTransition) as err:
        transition(state="open", action="notify", role="officer", has_organization=False)
    assert err.value.code == "no_organization"


def test_allowed_actions_lists_the_buttons_for_a_role():
    assert set(allowed_actions("open", "officer")) == {Action.notify, Action.fix_on_spot, Action.cancel}
    assert set(allowed_actions("notified", "property")) == {Action.acknowledge, Action.submit_evidence}
    assert allowed_actions("closed", "property") == []
