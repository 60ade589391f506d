"""Writing intake work on the phone: a grid worker's report of a problem, the officer's decision on it
(accept with a severity, merge into a hazard, decline with a reason) and the reporter's answer after the
repair ("fixed / not fixed"). Each is saved with its outbox row in ONE local transaction.

A report names its photos (sent first); a decision or an answer on a report made on this phone waits for
the report. A report has one decision: deciding again before it is sent replaces the queued one.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime
from typing import Any

from mobile.services.outbox import Outbox
from mobile.services.records import Recorder, iso, label, local_now
from mobile.services.store import Store, dumps
from rulebook.categories import CATEGORIES, SEVERITIES
from rulebook.intake import MAX_DESCRIPTION, MAX_REPORT_PHOTOS
from rulebook.messages import RuleViolation

REPORT = "intake_report"
DECISIONS = {"accept": "accepted", "merge": "merged", "decline": "declined"}  # action -> the status it leads to
DECISION_KINDS = {f"intake_{action}" for action in DECISIONS}
REVISIT = "intake_revisit"
INTAKE_KINDS = frozenset({REPORT, REVISIT, *DECISION_KINDS})


def decision_row_id(report_id: str) -> str:
    """The outbox id of the one decision on a report (the same on every try)."""
    return str(uuid.uuid5(uuid.UUID(str(report_id)), "decision"))


def revisit_row_id(report_id: str) -> str:
    return str(uuid.uuid5(uuid.UUID(str(report_id)), "revisit"))


class IntakeRecorder:
    def __init__(self, store: Store, outbox: Outbox, recorder: Recorder):
        self.store = store
        self.outbox = outbox
        self.recorder = recorder

    def report_problem(
        self,
        *,
        site_id: str,
        category: str,
        description: str,
        photo_ids: list[str] = (),
        lat: float | None = None,
        lon: float | None = None,
        reported_at: datetime | str | None = None,
        report_id: str | None = None,
        site_name: str = "",
    ) -> str:
        if category not in CATEGORIES:
            raise RuleViolation("unknown_category", category=category, allowed=list(CATEGORIES))
        if not description.strip() or len(description.strip()) > MAX_DESCRIPTION:
            raise RuleViolation("description_required", max=MAX_DESCRIPTION)
        if len(photo_ids) > MAX_REPORT_PHOTOS:
            raise RuleViolation("too_many_report_photos", max=MAX_REPORT_PHOTOS)
        photo_ids = [str(p) for p in photo_ids]
        report_id = str(report_id or uuid.uuid4())
        body: dict[str, Any] = {
            "site_id": str(site_id),
            "category": category,
            "description": description.strip(),
            "photo_ids": photo_ids,
            "reported_at": iso(reported_at) or local_now(),
        }
        if lat is not None and lon is not None:
            body["lat"], body["lon"] = float(lat), float(lon)
        with self.store.write() as tx:
            deps = self.recorder._photo_deps(tx, photo_ids)
            tx.execute(
                "INSERT INTO record (id, kind, data, created_at) VALUES (?, 'intake_report', ?, ?)",
                (report_id, dumps({"id": report_id, **body}), body["reported_at"]),
            )
            self.outbox.enqueue(
                tx,
                id=report_id,
                kind=REPORT,
                method="PUT",
                path=f"/intake/reports/{report_id}",
                body=body,
                depends_on=deps,
                label=label("label.intake_report", text=body["description"][:30]),
            )
            # Shown in "my reports" at once, as pending, until the server's copy replaces it.
            self.store.upsert_intake(
                [
                    {
                        **body,
                        "id": report_id,
                        "kind": "report",
                        "status": "pending",
                        "site_name": site_name,
                        "created_at": body["reported_at"],
                        "hazard_id": None,
                        "hazard_status": None,
                        "decline_reason": None,
                        "revisit_until": None,
                        "revisit_answer": None,
                        "overdue": False,
                    }
                ],
                tx,
                provisional=True,
            )
        return report_id

    def decide(self, report_id: str, action: str, **fields: Any) -> str:
        """Queue accept {severity} | merge {hazard_id} | decline {reason} on a report."""
        report_id = str(report_id)
        if action not in DECISIONS:
            raise RuleViolation("unknown_action", action=action, allowed=list(DECISIONS))
        if action == "accept" and fields.get("severity") not in SEVERITIES:
            raise RuleViolation("unknown_severity")
        if action == "merge" and not fields.get("hazard_id"):
            raise RuleViolation("not_on_phone", record="hazard")
        if action == "decline" and not str(fields.get("reason") or "").strip():
            raise RuleViolation("note_required", action="decline")
        body = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items() if v is not None}
        row_id = decision_row_id(report_id)
        with self.store.write() as tx:
            report = self.store.intake_report(report_id)
            if report is None:
                raise RuleViolation("not_on_phone", record="intake")
            self._replace_open_row(tx, row_id)
            deps = self.outbox.open_ids(tx, [report_id])
            if action == "merge":
                deps += self.outbox.open_ids(tx, [str(body["hazard_id"])])
            self.outbox.enqueue(
                tx,
                id=row_id,
                kind=f"intake_{action}",
                method="POST",
                path=f"/intake/reports/{report_id}/{action}",
                body=body,
                depends_on=deps,
                label=label(f"label.intake_{action}", text=(report.get("description") or "")[:30]),
            )
        return row_id

    def answer_revisit(self, report_id: str, *, fixed: bool, note: str | None = None) -> str:
        report_id = str(report_id)
        body: dict[str, Any] = {"fixed": bool(fixed)}
        if note and note.strip():
            body["note"] = note.strip()
        row_id = revisit_row_id(report_id)
        with self.store.write() as tx:
            report = self.store.intake_report(report_id)
            if report is None:
                raise RuleViolation("not_on_phone", record="intake")
            self._replace_open_row(tx, row_id)
            self.outbox.enqueue(
                tx,
                id=row_id,
                kind=REVISIT,
                method="POST",
                path=f"/intake/reports/{report_id}/revisit",
                body=body,
                depends_on=self.outbox.open_ids(tx, [report_id]),
                label=label("label.intake_revisit", text=(report.get("description") or "")[:30]),
            )
        return row_id

    @staticmethod
    def _replace_open_row(tx: sqlite3.Connection, row_id: str) -> None:
        """A new decision replaces one not yet sent (or refused); a sent one stays, and so the row id is taken."""
        tx.execute(
            "DELETE FROM outbox WHERE id = ? AND state IN ('pending', 'needs_attention', 'discarded', 'done')",
            (row_id,),
        )

    def queued(self) -> dict[str, dict[str, Any]]:
        """What the phone owes the server per report: {report_id: {"decision": (action, body) | None,
        "revisit": body | None}} for rows not yet accepted (pending or sending)."""
        out: dict[str, dict[str, Any]] = {}
        for row in self.outbox.rows("pending", "sending"):
            if row.kind not in DECISION_KINDS and row.kind != REVISIT:
                continue
            report_id = row.path.split("/")[3]
            entry = out.setdefault(report_id, {"decision": None, "revisit": None})
            body = json.loads(row.body or "{}")
            if row.kind == REVISIT:
                entry["revisit"] = body
            else:
                entry["decision"] = (row.kind.removeprefix("intake_"), body)
        return out
