"""The phone's copy of the hazard lifecycle agrees with the server's, decision for decision."""

from __future__ import annotations

import itertools

import pytest

from mobile.services import hazard_rules
from server.errors import DomainError
from server.hazards import workflow
from server.hazards.models import HazardStatus

ROLES = ("officer", "property", "admin")
KINDS = ("scene", "problem", "rectification", "verification", "training")


def test_same_table():
    server = {(s.value, a.value): (r.to.value, set(r.roles), set(r.photo_kinds), r.needs_note)
              for (s, a), r in workflow.TRANSITIONS.items()}
    phone = {k: (to, set(roles), set(kinds), note) for k, (to, roles, kinds, note) in hazard_rules.TRANSITIONS.items()}
    assert phone == server
    assert set(hazard_rules.ACTIONS) == {a.value for a in workflow.Action}


@pytest.mark.parametrize("state", [s.value for s in HazardStatus])
def test_same_decision_for_every_request(state):
    for action, role, kinds, note, org in itertools.product(
            hazard_rules.ACTIONS, ROLES, [(), ("problem",), ("rectification",), ("verification",)],
            [None, "原因"], [True, False]):
        try:
            server = workflow.transition(state=state, action=action, role=role, photo_kinds=kinds, note=note,
                                         has_organization=org).value
        except DomainError as exc:
            server = exc.code
        try:
            phone = hazard_rules.check_transition(state=state, action=action, role=role, photo_kinds=set(kinds),
                                                  note=note, has_organization=org)
        except hazard_rules.TransitionRefused as exc:
            phone = exc.code
        assert phone == server, (state, action, role, kinds, note, org)
    assert hazard_rules.allowed_actions(state, "officer") == [a.value for a in workflow.allowed_actions(state, "officer")]
