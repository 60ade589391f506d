"""Random actions by random roles against the API: the lifecycle's promises hold whatever users do.

Notify and acknowledge go through notices (POST /notices, POST /notices/{id}/acknowledge); the
transition endpoint refuses them and changes nothing."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlmodel import func, select

from server.audit.models import AuditEvent

# Written from DESIGN.md's diagram, independently of server/hazards/workflow.py: (state, action) -> next, roles.
LEGAL = {
    ("open", "notify"): ("notified", {"officer"}),
    ("open", "fix_on_spot"): ("closed", {"officer"}),
    ("notified", "acknowledge"): ("rectifying", {"property"}),
    ("notified", "submit_evidence"): ("awaiting_verification", {"property", "officer"}),
    ("rectifying", "submit_evidence"): ("awaiting_verification", {"property", "officer"}),
    ("awaiting_verification", "verify"): ("closed", {"officer"}),
    ("awaiting_verification", "reject"): ("rectifying", {"officer"}),
    ("closed", "reopen"): ("rectifying", {"officer"}),
}
for _state in ("open", "notified", "rectifying", "awaiting_verification"):
    LEGAL[(_state, "cancel")] = ("cancelled", {"officer", "admin"})
NEEDS_PHOTO = {"fix_on_spot": "verification", "verify": "verification", "submit_evidence": "rectification"}
NEEDS_NOTE = {"reject", "reopen", "cancel"}
THROUGH_NOTICES = {"notify", "acknowledge"}
ACTIONS = sorted({a for _, a in LEGAL})
KINDS = ["problem", "rectification", "verification"]


def test_random_actions_never_break_the_lifecycle(world, client):
    company = world.org()
    site = world.site(company)
    users = {"officer": world.officer(site), "property": world.user("property", company), "admin": world.admin()}
    photos = {
        (role, kind): world.photo(user, kind=kind) for role, user in users.items() if role != "admin" for kind in KINDS
    }
    item_ids = [i.id for i in world.template("gas").items_for(site.profile)]

    def audit_count(hazard_id):
        with world.session() as s:
            return s.exec(
                select(func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.target_type == "hazard",
                    AuditEvent.target_id == hazard_id,
                    AuditEvent.action != "escalate",
                )
            ).one()

    class Lifecycle(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            body = world.inspection_body(site, "gas", fail=(item_ids[0],), officer=users["officer"])
            response = client.put(
                f"/api/v1/inspections/{uuid.uuid4()}", json=body, headers=world.headers(users["officer"])
            )
            assert response.status_code == 201, response.text
            self.hazard_id = response.json()["hazard_ids"][0]
            self.state, self.version, self.events = "open", 1, 1
            self.notice_id, self.acknowledged = None, False

        def through_notice(self, action, role):
            headers = world.headers(users[role])
            if action == "notify":
                response = client.post(
                    "/api/v1/notices",
                    json={"organization_id": str(company.id), "hazard_ids": [self.hazard_id]},
                    headers=headers,
                )
            elif self.notice_id is not None:
                response = client.post(f"/api/v1/notices/{self.notice_id}/acknowledge", headers=headers)
            else:
                return
            assert response.status_code < 500, response.text
            legal = LEGAL.get((self.state, action))
            if action == "notify" and response.status_code == 201:
                assert legal is not None and role in legal[1], f"notice issued by {role} from {self.state}"
                self.notice_id = response.json()["id"]
                self.state, self.version, self.events = legal[0], self.version + 1, self.events + 1
            elif action == "acknowledge" and response.status_code == 200:
                assert role == "property" and response.json()["acknowledged_at"]
                if self.state == "notified" and not self.acknowledged:  # a receipt moves a hazard still notified
                    self.state, self.version, self.events = "rectifying", self.version + 1, self.events + 1
                self.acknowledged = True
            else:
                assert legal is None or role not in legal[1] or action == "acknowledge", response.text

        @rule(action=st.sampled_from(sorted(THROUGH_NOTICES)), role=st.sampled_from(sorted(users)))
        def transition_path_refuses_notice_steps(self, action, role):
            response = client.put(
                f"/api/v1/hazards/{self.hazard_id}/transitions/{uuid.uuid4()}",
                json={"action": action, "base_version": self.version},
                headers=world.headers(users[role]),
            )
            assert response.status_code == 409 and response.json()["code"] == "use_notices", response.text

        @rule(
            action=st.sampled_from(ACTIONS),
            role=st.sampled_from(sorted(users)),
            kind=st.sampled_from([None, *KINDS]),
            note=st.booleans(),
            stale=st.booleans(),
        )
        def act(self, action, role, kind, note, stale):
            if action in THROUGH_NOTICES:
                return self.through_notice(action, role)
            body = {"action": action, "base_version": self.version - 1 if stale else self.version}
            if note:
                body["note"] = "随机操作说明"
            if kind and (role, kind) in photos:
                body["photo_ids"] = [photos[(role, kind)]]
            response = client.put(
                f"/api/v1/hazards/{self.hazard_id}/transitions/{uuid.uuid4()}",
                json=body,
                headers=world.headers(users[role]),
            )
            assert response.status_code < 500, response.text
            legal = LEGAL.get((self.state, action))
            evidence_ok = NEEDS_PHOTO.get(action) in (None, kind if "photo_ids" in body else None) and (
                note or action not in NEEDS_NOTE
            )
            if response.status_code in (200, 201):
                assert not stale, "a stale version was accepted"
                assert legal is not None and role in legal[1], f"illegal {action} by {role} from {self.state}"
                assert evidence_ok, f"{action} accepted without its evidence"
                assert response.json()["status"] == legal[0]
                self.state, self.version = legal[0], self.version + 1
                self.events += 1
            else:
                assert stale or legal is None or role not in legal[1] or not evidence_ok, response.text

        @invariant()
        def audit_has_one_event_per_accepted_step(self):
            assert audit_count(self.hazard_id) == self.events

        @invariant()
        def history_and_hazard_agree_with_what_was_accepted(self):
            detail = client.get(f"/api/v1/hazards/{self.hazard_id}", headers=world.headers(users["admin"])).json()
            assert (detail["status"], detail["version"]) == (self.state, self.version)
            assert len([h for h in detail["history"] if h["action"] != "escalate"]) == self.events
            assert detail["notice_id"] == self.notice_id

        @invariant()
        def closed_means_verified(self):
            if self.state == "closed":
                detail = client.get(f"/api/v1/hazards/{self.hazard_id}", headers=world.headers(users["admin"]))
                assert detail.json()["status"] == "closed"
                assert detail.json()["photos"].get("verification")

    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            max_examples=12,
            stateful_step_count=10,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
