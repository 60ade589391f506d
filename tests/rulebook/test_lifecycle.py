"""The transition table, checked without a database: what the server, the phone and the console all obey."""

from __future__ import annotations

import pytest

from rulebook.lifecycle import FINISHED_STATUSES, TRANSITIONS, allowed_actions, transition, with_queued_steps
from rulebook.messages import RuleViolation

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


def refused(**step) -> RuleViolation:
    with pytest.raises(RuleViolation) as err:
        transition(**step)
    return err.value


@pytest.mark.parametrize("state,action,role,kinds,note,expected", LIFE)
def test_allowed_steps_lead_where_the_design_says(state, action, role, kinds, note, expected):
    assert (
        transition(
            state=state,
            action=action,
            role=role,
            photo_kinds=kinds,
            note=note,
            through_notice=action in ("notify", "acknowledge"),
        )
        == expected
    )


def test_notify_and_acknowledge_are_taken_only_through_a_notice():
    err = refused(state="open", action="notify", role="officer")
    assert err.code == "use_notices"
    assert "/notices" in err.sentence("zh") and "整改通知书" in err.sentence("zh")
    assert refused(state="notified", action="acknowledge", role="property").code == "use_notices"


def test_property_users_can_never_close_verify_or_cancel():
    for (state, action), rule in TRANSITIONS.items():
        if rule.to in FINISHED_STATUSES:
            assert "property" not in rule.roles, (state, action)
    err = refused(state="awaiting_verification", action="verify", role="property", photo_kinds=["verification"])
    assert err.code == "role_not_allowed"
    assert err.sentence("zh") == "只有安全员可以复查销号；您的身份是物业。"
    assert refused(state="open", action="cancel", role="property", note="x").code == "role_not_allowed"


def test_actions_from_the_wrong_state_are_refused_with_what_is_possible():
    err = refused(state="open", action="verify", role="officer", photo_kinds=["verification"])
    assert err.code == "invalid_transition"
    assert err.sentence("en") == (
        "A hazard that is open cannot verify. From here you can: cancel, fix on the spot, notify the company."
    )
    assert err.sentence("zh").startswith("处于“待处理”状态的隐患不能复查销号。当前可以：")
    assert refused(state="cancelled", action="reopen", role="officer", note="x").code == "invalid_transition"


def test_evidence_and_reasons_are_required():
    err = refused(state="rectifying", action="submit_evidence", role="property", photo_kinds=["problem"])
    assert err.code == "photo_required_for_action"
    assert err.sentence("zh") == "提交整改材料需要至少一张整改照片。"
    assert refused(state="awaiting_verification", action="verify", role="officer").code == "photo_required_for_action"
    assert refused(state="awaiting_verification", action="reject", role="officer", note="  ").code == "note_required"
    assert refused(state="open", action="cancel", role="officer").code == "note_required"


def test_notify_needs_a_responsible_company():
    err = refused(state="open", action="notify", role="officer", has_organization=False, through_notice=True)
    assert err.code == "no_organization"


def test_unknown_actions_are_named():
    err = refused(state="open", action="approve", role="officer")
    assert err.code == "unknown_action" and "approve" in err.sentence("zh")


def test_allowed_actions_lists_the_buttons_for_a_role():
    assert set(allowed_actions("open", "officer")) == {"notify", "fix_on_spot", "cancel"}
    assert set(allowed_actions("notified", "property")) == {"acknowledge", "submit_evidence"}
    assert allowed_actions("closed", "property") == []


def test_queued_steps_show_the_hazard_as_the_server_will_have_it():
    hazard = {"id": "h", "status": "open", "version": 1}
    shown = with_queued_steps(hazard, [{"action": "fix_on_spot"}, {"action": "reopen"}, {"action": "verify"}])
    assert shown["status"] == "rectifying" and shown["version"] == 3
    assert shown["pending_actions"] == ["fix_on_spot", "reopen"]  # verify is impossible from rectifying
    assert hazard["status"] == "open"  # the cached record is untouched
