"""Joint inspections (联查联检) and revisits (回访) on the phone.

A run names the people from other units who took part and ends with the property representative's
signature, drawn on the phone and kept as a photo of kind `signature` (queued before the inspection that
names it). Revisits of closed red hazards come with every sync (GET /revisits?status=due) and are kept for
offline use; the officer's answer is queued in the outbox like every other record."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from mobile.services.outbox import Outbox
from mobile.services.records import label, local_now
from mobile.services.store import Store
from rulebook.joint import REVISIT_OUTCOMES, SIGNATURE_PHOTO_KIND
from rulebook.messages import RuleViolation

OPEN_STATES = ("pending", "sending", "needs_attention")


class JointAndRevisits:
    """The part of Phone for joint inspections and revisits (mixed into Phone with RoundsAndRuns)."""

    store: Store
    outbox: Outbox

    # ---- a run's participants and signature, as the run screens see them (snapshots) ---------------------

    def add_participant(self, run_id: str, unit: str, name: str) -> dict[str, Any]:
        run = self._run(run_id)  # type: ignore[attr-defined]
        run.add_participant(unit, name)
        self._save_draft(run)  # type: ignore[attr-defined]
        return self._snapshot(run)  # type: ignore[attr-defined]

    def remove_participant(self, run_id: str, index: int) -> dict[str, Any]:
        run = self._run(run_id)  # type: ignore[attr-defined]
        run.remove_participant(index)
        self._save_draft(run)  # type: ignore[attr-defined]
        return self._snapshot(run)  # type: ignore[attr-defined]

    def sign_run(
        self, run_id: str, image_path: str | Path, signer_name: str, fix: dict[str, float] | None = None
    ) -> dict[str, Any]:
        """Keep the signature drawn on the pad (an image file) as a `signature` photo, who signed, when and
        where (the phone's fix, else where the run started)."""
        run = self._run(run_id)  # type: ignore[attr-defined]
        if not (signer_name or "").strip():
            raise RuleViolation("signer_name_required")
        run.note_fix(fix)
        lat, lon = (fix["lat"], fix["lon"]) if fix else (run.lat, run.lon)
        signed_at = local_now()
        photo_id = self.add_photo(image_path, SIGNATURE_PHOTO_KIND, taken_at=signed_at, lat=lat, lon=lon)  # type: ignore[attr-defined]
        run.sign(photo_id, signer_name, signed_at=signed_at, lat=lat, lon=lon)
        self._save_draft(run)  # type: ignore[attr-defined]
        return self._snapshot(run)  # type: ignore[attr-defined]

    def clear_signature(self, run_id: str) -> dict[str, Any]:
        run = self._run(run_id)  # type: ignore[attr-defined]
        run.signature = None
        self._save_draft(run)  # type: ignore[attr-defined]
        return self._snapshot(run)  # type: ignore[attr-defined]

    # ---- revisits ---------------------------------------------------------------------------------------

    def revisits(self) -> list[dict[str, Any]]:
        """Revisits due at the officer's sites, as last fetched, without those answered on this phone and
        not yet sent: [{id, hazard_id, site_id, site_name, category, item_id, item_prompt, severity,
        description, closed_at, due_on}], oldest due first."""
        answered = {
            r["id"]
            for r in self.store.rows(
                f"SELECT id FROM outbox WHERE kind = 'revisit' AND state IN ({','.join('?' * len(OPEN_STATES))})",
                OPEN_STATES,
            )
        }
        due = [r for r in self.store.get("revisits_due") or [] if self._answer_id(r["id"]) not in answered]
        for revisit in due:  # the failed item's prompt in both languages, as hazard rows show it
            items = (self.store.checklist(revisit.get("category") or "") or {}).get("items", [])
            revisit["item_prompt"] = next((i["prompt"] for i in items if i["id"] == revisit.get("item_id")), None)
        return sorted(due, key=lambda r: (r["due_on"], r["id"]))

    @staticmethod
    def _answer_id(revisit_id: str) -> str:
        return str(uuid.uuid5(uuid.UUID(str(revisit_id)), "answer"))

    def answer_revisit(
        self,
        revisit_id: str,
        outcome: str,
        *,
        note: str | None = None,
        photo_path: str | Path | None = None,
        fix: dict[str, float] | None = None,
    ) -> str:
        """Still fixed (`confirmed`) or `reopen` with a photo of what is broken again; queued for the server."""
        if outcome not in REVISIT_OUTCOMES:
            raise RuleViolation("bad_request")
        if outcome == "reopen" and not photo_path:
            raise RuleViolation("revisit_photo_required")
        revisit = next((r for r in self.store.get("revisits_due") or [] if r["id"] == str(revisit_id)), None)
        if revisit is None:
            raise RuleViolation("not_on_phone", record="revisit")
        body: dict[str, Any] = {"outcome": outcome}
        if note and note.strip():
            body["note"] = note.strip()
        if photo_path:
            lat, lon = (fix["lat"], fix["lon"]) if fix else (None, None)
            body["photo_id"] = self.add_photo(photo_path, "problem", lat=lat, lon=lon)  # type: ignore[attr-defined]
        row_id = self._answer_id(revisit_id)
        with self.store.write() as tx:
            tx.execute("DELETE FROM outbox WHERE id = ? AND state IN ('done', 'discarded')", (row_id,))
            deps = self.outbox.open_ids(tx, [body["photo_id"]]) if "photo_id" in body else []
            self.outbox.enqueue(
                tx,
                id=row_id,
                kind="revisit",
                method="POST",
                path=f"/revisits/{revisit_id}",
                body=body,
                depends_on=deps,
                hazard_id=revisit["hazard_id"],
                label=label("label.revisit", site=revisit.get("site_name", "")),
            )
        self._saved()  # type: ignore[attr-defined]
        return row_id
