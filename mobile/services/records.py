"""Writing what the officer did: each record and its outbox rows in ONE local transaction.

Photos are queued when taken; a record naming photos depends on their rows, a transition
depends on the row that creates its hazard and on earlier transitions of the same hazard,
so the engine can send in order and hold back what cannot go yet.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mobile.services.checklist_run import ChecklistRun
from mobile.services.outbox import OPEN_STATES, Outbox
from mobile.services.photos import prepare_photo
from mobile.services.store import Store, dumps, now_iso
from rulebook import lifecycle
from rulebook.categories import CATEGORIES, PHOTO_KINDS, SEVERITIES
from rulebook.hazards import failed_item_description
from rulebook.messages import RuleViolation


def label(key: str, **params: Any) -> str:
    """What an outbox row is, for the 'needs attention' list: a catalog key and its values, shown in the
    language the screen is in when it is shown (mobile.i18n.describe_label)."""
    return dumps({"key": key, **params})


def iso(moment: datetime | str | None) -> str | None:
    """ISO 8601 with an offset; a naive time is the phone's local time."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.isoformat(timespec="seconds")


def local_now() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


class Recorder:
    def __init__(self, store: Store, outbox: Outbox):
        self.store = store
        self.outbox = outbox

    # ---- photos -----------------------------------------------------------------------------

    def add_photo(
        self,
        source: str | Path,
        kind: str,
        *,
        taken_at: datetime | str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        photo_id: str | None = None,
    ) -> str:
        if kind not in PHOTO_KINDS:
            raise RuleViolation("unknown_photo_kind", kind=kind, allowed=list(PHOTO_KINDS))
        photo_id = str(photo_id or uuid.uuid4())
        dest = self.store.photos_dir / f"{photo_id}.jpg"
        # The small JPEG is on disk (fsynced) before the row naming it is committed; a file without a
        # row (killed in between) is an orphan that prune_orphan_photos() removes.
        prepared = prepare_photo(source, dest)
        taken = iso(taken_at) or prepared.taken_at or local_now()
        lat = lat if lat is not None else prepared.lat
        lon = lon if lon is not None else prepared.lon
        form = {"kind": kind, "taken_at": taken}
        if lat is not None and lon is not None:
            form["lat"], form["lon"] = repr(float(lat)), repr(float(lon))
        with self.store.write() as tx:
            tx.execute(
                "INSERT INTO photo (id, kind, path, sha256, bytes, width, height, taken_at, lat, lon, "
                "created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    photo_id,
                    kind,
                    dest.name,
                    prepared.sha256,
                    prepared.size,
                    prepared.width,
                    prepared.height,
                    taken,
                    lat,
                    lon,
                    now_iso(),
                ),
            )
            self.outbox.enqueue(
                tx,
                id=photo_id,
                kind="photo",
                method="PUT",
                path=f"/photos/{photo_id}",
                file_path=dest.name,
                form=form,
                label=label("label.photo", kind=kind),
                size=prepared.size,
            )
        return photo_id

    def prune_orphan_photos(self) -> int:
        known = {r["path"] for r in self.store.rows("SELECT path FROM photo")}
        removed = 0
        for path in self.store.photos_dir.iterdir():
            if path.name not in known:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def _photo_deps(self, tx: sqlite3.Connection, photo_ids: list[str]) -> list[str]:
        known = (
            {
                r[0]
                for r in tx.execute(f"SELECT id FROM photo WHERE id IN ({','.join('?' * len(photo_ids))})", photo_ids)
            }
            if photo_ids
            else set()
        )
        unknown = [p for p in photo_ids if p not in known]
        if unknown:
            raise RuleViolation("photos_not_on_phone", photo_ids=unknown)
        return self.outbox.open_ids(tx, photo_ids)

    # ---- inspections ------------------------------------------------------------------------------

    def finish_inspection(self, run: ChecklistRun, finished_at: datetime | str | None = None) -> str:
        body = run.to_body(iso(finished_at) or local_now())  # raises IncompleteRun
        photo_ids = run.photo_ids()
        hazards = self._provisional_hazards(run, body)
        with self.store.write() as tx:
            deps = self._photo_deps(tx, photo_ids)
            tx.execute(
                "INSERT INTO record (id, kind, data, created_at) VALUES (?, 'inspection', ?, ?)",
                (run.inspection_id, dumps({"id": run.inspection_id, **body}), now_iso()),
            )
            self.outbox.enqueue(
                tx,
                id=run.inspection_id,
                kind="inspection",
                method="PUT",
                path=f"/inspections/{run.inspection_id}",
                body=body,
                depends_on=deps,
                label=label("label.inspection", category=run.category, site=run.site.get("name", "")),
            )
            self.store.upsert_hazards(hazards, tx, provisional=True)
            tx.execute("DELETE FROM draft WHERE id = ?", (run.inspection_id,))
        return run.inspection_id

    def _provisional_hazards(self, run: ChecklistRun, body: dict[str, Any]) -> list[dict[str, Any]]:
        """What the server will raise, so the officer can act on it (fix on the spot) before any sync."""
        out = []
        for answer in body["answers"]:
            if answer["result"] != "fail":
                continue
            item = run.item(answer["item_id"])
            description = failed_item_description(item["prompt"]["zh"], answer.get("note"))
            out.append(
                {
                    "id": run.hazard_ids()[item["id"]],
                    "site_id": run.site_id,
                    "category": run.category,
                    "item_id": item["id"],
                    "inspection_id": run.inspection_id,
                    "severity": item["severity_on_fail"],
                    "status": "open",
                    "version": 1,
                    "deadline": None,
                    "organization_id": run.site.get("property_org_id"),
                    "description": description,
                    "photo_ids": answer["photo_ids"],
                    "found_at": body["finished_at"],
                    "overdue": False,
                    "escalation_level": 0,
                    "created_at": body["finished_at"],
                }
            )
        return out

    # ---- trainings and hazards outside a checklist ----------------------------------------------------

    def log_training(
        self,
        *,
        site_id: str,
        held_at: datetime | str,
        topics: list[str],
        trainer: str,
        attendee_count: int,
        duration_minutes: int,
        notes: str | None = None,
        photo_ids: list[str] = (),
        training_id: str | None = None,
    ) -> str:
        unknown = [t for t in topics if t not in CATEGORIES]
        if not topics or unknown:
            raise RuleViolation("unknown_topics", topics=unknown, allowed=list(CATEGORIES))
        if not trainer.strip():
            raise RuleViolation("trainer_required")
        if attendee_count < 1 or duration_minutes < 1:
            raise RuleViolation("training_too_small")
        training_id = str(training_id or uuid.uuid4())
        photo_ids = [str(p) for p in photo_ids]
        body = {
            "site_id": str(site_id),
            "held_at": iso(held_at),
            "topics": list(topics),
            "trainer": trainer.strip(),
            "attendee_count": int(attendee_count),
            "duration_minutes": int(duration_minutes),
            "notes": (notes or "").strip() or None,
            "photo_ids": photo_ids,
        }
        with self.store.write() as tx:
            deps = self._photo_deps(tx, photo_ids)
            tx.execute(
                "INSERT INTO record (id, kind, data, created_at) VALUES (?, 'training', ?, ?)",
                (training_id, dumps({"id": training_id, **body}), now_iso()),
            )
            self.outbox.enqueue(
                tx,
                id=training_id,
                kind="training",
                method="PUT",
                path=f"/trainings/{training_id}",
                body=body,
                depends_on=deps,
                label=label("label.training", trainer=trainer.strip()),
            )
        return training_id

    def report_hazard(
        self,
        *,
        site_id: str,
        category: str,
        severity: str,
        description: str,
        photo_ids: list[str] = (),
        found_at: datetime | str | None = None,
        deadline: datetime | str | None = None,
        hazard_id: str | None = None,
    ) -> str:
        if category not in CATEGORIES:
            raise RuleViolation("unknown_category", category=category, allowed=list(CATEGORIES))
        if severity not in SEVERITIES:
            raise RuleViolation("unknown_severity")
        if not description.strip():
            raise RuleViolation("description_required")
        hazard_id = str(hazard_id or uuid.uuid4())
        photo_ids = [str(p) for p in photo_ids]
        body: dict[str, Any] = {
            "site_id": str(site_id),
            "category": category,
            "severity": severity,
            "description": description.strip(),
            "found_at": iso(found_at) or local_now(),
            "photo_ids": photo_ids,
        }
        if deadline is not None:
            body["deadline"] = iso(deadline)
        site = self.store.site(str(site_id)) or {}
        with self.store.write() as tx:
            deps = self._photo_deps(tx, photo_ids)
            tx.execute(
                "INSERT INTO record (id, kind, data, created_at) VALUES (?, 'hazard_report', ?, ?)",
                (hazard_id, dumps({"id": hazard_id, **body}), now_iso()),
            )
            self.outbox.enqueue(
                tx,
                id=hazard_id,
                kind="hazard_report",
                method="PUT",
                path=f"/hazards/{hazard_id}",
                body=body,
                depends_on=deps,
                label=label("label.hazard", text=description.strip()[:30]),
            )
            self.store.upsert_hazards(
                [
                    {
                        **body,
                        "id": hazard_id,
                        "item_id": None,
                        "inspection_id": None,
                        "status": "open",
                        "version": 1,
                        "deadline": body.get("deadline"),
                        "organization_id": site.get("property_org_id"),
                        "overdue": False,
                        "escalation_level": 0,
                        "created_at": body["found_at"],
                    }
                ],
                tx,
                provisional=True,
            )
        return hazard_id

    # ---- transitions, notices -----------------------------------------------------------------------

    def queued_transitions(self, hazard_id: str, ignore: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
        return [
            json.loads(r["body"])
            for r in self.store.rows(
                "SELECT id, body FROM outbox WHERE kind = 'transition' AND hazard_id = ? "
                "AND state IN ('pending', 'sending') ORDER BY seq",
                (str(hazard_id),),
            )
            if r["id"] not in ignore
        ]

    def hazard_as_shown(self, hazard_id: str, ignore: frozenset[str] = frozenset()) -> dict[str, Any] | None:
        """The cached hazard with the phone's queued transitions applied (except rows in `ignore`)."""
        hazard = self.store.hazard(hazard_id)
        if hazard is None:
            return None
        return lifecycle.with_queued_steps(hazard, self.queued_transitions(hazard_id, ignore))

    def transition(
        self,
        hazard_id: str,
        action: str,
        *,
        role: str,
        note: str | None = None,
        photo_ids: list[str] = (),
        deadline: datetime | str | None = None,
        transition_id: str | None = None,
        ignore: frozenset[str] = frozenset(),
    ) -> str:
        """Queue a transition; `ignore`: queued rows to leave out of its base version and dependencies
        (used when re-deciding a conflict, for the rows queued after the refused one)."""
        hazard_id = str(hazard_id)
        photo_ids = [str(p) for p in photo_ids]
        transition_id = str(transition_id or uuid.uuid4())
        with self.store.write() as tx:
            hazard = self.hazard_as_shown(hazard_id, ignore)
            if hazard is None:
                raise RuleViolation("not_on_phone", record="hazard")
            kinds = (
                {
                    r[0]
                    for r in tx.execute(
                        f"SELECT kind FROM photo WHERE id IN ({','.join('?' * len(photo_ids))})", photo_ids
                    )
                }
                if photo_ids
                else set()
            )
            lifecycle.transition(
                state=hazard["status"],
                action=action,
                role=role,
                photo_kinds=kinds,
                note=note,
                has_organization=hazard.get("organization_id") is not None,
            )
            body: dict[str, Any] = {"action": action, "base_version": int(hazard["version"])}
            if note and note.strip():
                body["note"] = note.strip()
            if photo_ids:
                body["photo_ids"] = photo_ids
            if deadline is not None:
                body["deadline"] = iso(deadline)
            creators = [hazard_id] + ([hazard["inspection_id"]] if hazard.get("inspection_id") else [])
            earlier = [
                r[0]
                for r in tx.execute(
                    "SELECT id FROM outbox WHERE hazard_id = ? AND state NOT IN ('done', 'discarded')", (hazard_id,)
                )
            ]
            notices = [
                r[0]
                for r in tx.execute(
                    "SELECT o.id FROM outbox o, json_each(o.body, '$.hazard_ids') h WHERE o.kind = 'notice' "
                    "AND h.value = ? AND o.state NOT IN ('done', 'discarded')",
                    (hazard_id,),
                )
            ]
            deps = [
                d
                for d in self._photo_deps(tx, photo_ids) + self.outbox.open_ids(tx, creators) + earlier + notices
                if d not in ignore
            ]
            tx.execute(
                "INSERT INTO record (id, kind, data, created_at) VALUES (?, 'transition', ?, ?)",
                (transition_id, dumps({"id": transition_id, "hazard_id": hazard_id, **body}), now_iso()),
            )
            self.outbox.enqueue(
                tx,
                id=transition_id,
                kind="transition",
                method="PUT",
                path=f"/hazards/{hazard_id}/transitions/{transition_id}",
                body=body,
                depends_on=deps,
                hazard_id=hazard_id,
                label=label(
                    "label.transition", action=action, text=(hazard.get("description") or "").split("\n")[0][:30]
                ),
            )
        return transition_id

    def issue_notice(
        self,
        *,
        organization_id: str,
        hazard_ids: list[str],
        deadline: datetime | str | None = None,
        basis: str | None = None,
        note: str | None = None,
        notice_id: str | None = None,
    ) -> str:
        notice_id = str(notice_id or uuid.uuid4())
        hazard_ids = [str(h) for h in hazard_ids]
        if not hazard_ids:
            raise RuleViolation("notice_needs_hazards")
        body: dict[str, Any] = {"organization_id": str(organization_id), "hazard_ids": hazard_ids}
        if deadline is not None:
            body["deadline"] = iso(deadline)
        if basis:
            body["basis"] = basis.strip()
        if note:
            body["note"] = note.strip()
        with self.store.write() as tx:
            creators = set()
            for hid in hazard_ids:
                hazard = self.store.hazard(hid) or {}
                creators.add(hid)
                if hazard.get("inspection_id"):
                    creators.add(hazard["inspection_id"])
            earlier = [
                r[0]
                for r in tx.execute(
                    f"SELECT id FROM outbox WHERE hazard_id IN ({','.join('?' * len(hazard_ids))}) "
                    "AND state NOT IN ('done', 'discarded')",
                    hazard_ids,
                )
            ]
            deps = self.outbox.open_ids(tx, creators) + earlier
            tx.execute(
                "INSERT INTO record (id, kind, data, created_at) VALUES (?, 'notice', ?, ?)",
                (notice_id, dumps({"id": notice_id, **body}), now_iso()),
            )
            self.outbox.enqueue(
                tx,
                id=notice_id,
                kind="notice",
                method="PUT",
                path=f"/notices/{notice_id}",
                body=body,
                depends_on=deps,
                label=label("label.notice", count=len(hazard_ids)),
            )
        return notice_id

    def acknowledge_notice(self, notice_id: str) -> str:
        row_id = str(uuid.uuid5(uuid.UUID(str(notice_id)), "acknowledge"))
        with self.store.write() as tx:
            if tx.execute("SELECT 1 FROM outbox WHERE id = ? AND state IN (?, ?)", (row_id, *OPEN_STATES)).fetchone():
                return row_id  # already queued
            tx.execute(
                "DELETE FROM outbox WHERE id = ? AND state IN ('done', 'discarded', 'needs_attention')", (row_id,)
            )
            deps = self.outbox.open_ids(tx, [str(notice_id)])
            self.outbox.enqueue(
                tx,
                id=row_id,
                kind="acknowledge",
                method="POST",
                path=f"/notices/{notice_id}/acknowledge",
                depends_on=deps,
                label=label("label.acknowledge"),
            )
        return row_id
