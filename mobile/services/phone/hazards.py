"""Hazards and their steps, photos, rectification notices and trainings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mobile.services.api import ApiClient, ApiError
from mobile.services.outbox import Outbox
from mobile.services.phone.presentation import PHOTO_COLUMNS, decorate_hazards
from mobile.services.records import Recorder
from mobile.services.store import Store
from mobile.services.sync import SyncEngine
from rulebook.lifecycle import FINISHED_STATUSES, OPEN_STATUSES, allowed_actions
from rulebook.messages import RuleViolation


class HazardsAndNotices:
    """The part of Phone that follows hazards from the finding to the closing, with their paperwork."""

    store: Store
    outbox: Outbox
    recorder: Recorder
    api: ApiClient
    engine: SyncEngine
    thumbs_dir: Path

    # ---- photos -----------------------------------------------------------------------------------------

    def add_photo(
        self,
        path: str | Path,
        kind: str,
        *,
        taken_at: datetime | str | None = None,
        lat: float | None = None,
        lon: float | None = None,
    ) -> str:
        """Downscale the camera file at `path` (longest side 1600, EXIF stripped; taken_at/GPS read from
        EXIF unless given), keep it in the data dir and queue its upload. kind: scene | problem |
        rectification | verification | training. Returns the photo id to put in answers/transitions.
        Takes ~0.1–0.5 s for a 12 MP photo: call it off the UI thread."""
        noted = self.__dict__.setdefault("_photo_fixes", {}).pop(str(path), None)
        if lat is None and noted:
            lat, lon = noted["lat"], noted["lon"]
        photo_id = self.recorder.add_photo(path, kind, taken_at=taken_at, lat=lat, lon=lon)
        self._saved()
        return photo_id

    def note_photo_fix(self, path: str | Path, fix: dict[str, float] | None) -> None:
        """Where the phone was when the camera file at `path` was taken, for a form that saves it later."""
        if fix and fix.get("lat") is not None and fix.get("lon") is not None:
            self.__dict__.setdefault("_photo_fixes", {})[str(path)] = dict(fix)

    def photo_path(self, photo_id: str) -> Path | None:
        """The local JPEG of a photo taken on this phone (for thumbnails), or None."""
        photo = self.store.photo(photo_id)
        return self.store.photos_dir / photo["path"] if photo else None

    def photo_file(self, photo_id: str) -> str:
        """A local image for a photo: the phone's own copy, else a thumbnail fetched once (NETWORK)."""
        local = self.photo_path(photo_id)
        if local and local.exists():
            return str(local)
        cached = self.thumbs_dir / f"{photo_id}.jpg"
        if cached.exists():
            return str(cached)
        try:
            response = self.api.request("GET", f"/photos/{photo_id}", params={"size": "thumb"})
        except ApiError:
            return ""
        tmp = cached.with_suffix(".tmp")
        tmp.write_bytes(response.content)
        tmp.replace(cached)
        return str(cached)

    # ---- hazards as cached ------------------------------------------------------------------------------

    def hazards(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Cached hazards as they will be after queued transitions, newest first. filters (all optional):
        status (str or list), site_id, category, severity, organization_id, overdue (bool),
        provisional (bool). Each hazard has the wire fields plus provisional, pending_actions."""
        filters = filters or {}
        statuses = filters.get("status")
        if isinstance(statuses, str):
            statuses = [statuses]
        out = []
        for row in self.store.rows("SELECT id FROM hazard ORDER BY created_at DESC, id"):
            hazard = self.recorder.hazard_as_shown(row["id"])
            if hazard is None:
                continue
            if statuses and hazard["status"] not in statuses:
                continue
            if any(
                filters.get(k) is not None and str(hazard.get(k)) != str(filters[k])
                for k in ("site_id", "category", "severity", "organization_id")
            ):
                continue
            for flag in ("overdue", "provisional"):
                if filters.get(flag) is not None and bool(hazard.get(flag)) != bool(filters[flag]):
                    break
            else:
                out.append(hazard)
        return out

    def hazard(self, hazard_id: str) -> dict[str, Any] | None:
        """One hazard as cached (with history and photos once refresh_hazard fetched them), after queued
        transitions, plus allowed_actions for the signed-in user."""
        hazard = self.recorder.hazard_as_shown(str(hazard_id))
        if hazard is not None:
            role = (self.signed_in_user() or {}).get("role", "officer")
            hazard["allowed_actions"] = allowed_actions(hazard["status"], role)
        return hazard

    def refresh_hazard(self, hazard_id: str) -> dict[str, Any] | None:
        """NETWORK. Fetch one hazard's detail (history, photos) into the cache; returns hazard()."""
        self.engine.fetch_hazard(str(hazard_id))
        return self.hazard(hazard_id)

    # ---- hazards as the screens show them ------------------------------------------------------------

    def hazard_list(self, closed: bool = False) -> list[dict[str, Any]]:
        statuses = list(FINISHED_STATUSES) if closed else list(OPEN_STATUSES)
        return self._decorate(self.hazards({"status": statuses}))

    def hazard_detail(self, hazard_id: str) -> dict[str, Any]:
        """NETWORK when reachable (history, photos); the cached hazard otherwise."""
        try:
            hazard = self.refresh_hazard(hazard_id)
        except ApiError:
            hazard = self.hazard(hazard_id)
        if hazard is None:
            raise RuleViolation("not_on_phone", record="hazard")
        shown = self._decorate([hazard])[0]
        if "notify" in (shown.get("pending_actions") or []):
            shown["allowed_actions"] = []
        shown["photos"] = self._photo_columns(hazard)
        return shown

    def _photo_columns(self, hazard: dict[str, Any]) -> dict[str, list[str]]:
        columns: dict[str, list[str]] = {"before": [], "after": [], "verification": []}
        by_kind = hazard.get("photos")
        if isinstance(by_kind, dict) and by_kind:
            pairs = [(kind, pid) for kind, ids in by_kind.items() for pid in ids]
        else:
            pairs = [("problem", pid) for pid in hazard.get("photo_ids", [])]
            for entry in self.store.records("transition"):
                if str(entry.get("hazard_id")) == str(hazard["id"]):
                    for pid in entry.get("photo_ids", []):
                        pairs.append(((self.store.photo(pid) or {}).get("kind", "scene"), pid))
        for kind, photo_id in pairs:
            path = self.photo_file(str(photo_id))
            columns[PHOTO_COLUMNS.get(kind, "before")].append(path)
        return columns

    def _decorate(self, hazards: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return decorate_hazards(
            hazards,
            site_names=self._site_names(),
            item_prompts=self._item_prompts(),
            notified=self._queued_notice_hazards(),
        )

    def _site_names(self) -> dict[str, str]:
        return {str(s["id"]): s.get("name", "") for s in self.store.sites()}

    def _item_prompts(self) -> dict[str, dict]:
        prompts: dict[str, dict] = {}
        for template in self.store.current_checklists():
            for item in template.get("items", []):
                prompts[item["id"]] = item.get("prompt") or {}
        return prompts

    def _organization_names(self) -> dict[str, str]:
        """Company names the phone has seen (notices and hazard details carry them; sites do not)."""
        names = {
            str(n["organization_id"]): n["organization_name"]
            for n in self.store.notices()
            if n.get("organization_name")
        }
        for hazard in self.hazards():
            if hazard.get("organization_name") and hazard.get("organization_id"):
                names[str(hazard["organization_id"])] = hazard["organization_name"]
        return names

    def _queued_notice_hazards(self) -> set[str]:
        """Hazards on a notice the officer issued on this phone that the server has not taken yet."""
        ids: set[str] = set()
        for row in self.outbox.rows("pending", "sending"):
            if row.kind == "notice" and row.body:
                ids.update(json.loads(row.body).get("hazard_ids", []))
        return ids

    # ---- changing hazards ---------------------------------------------------------------------------------

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
    ) -> str:
        """Report a hazard seen outside a checklist; it shows at once (provisional). Returns its id."""
        hazard_id = self.recorder.report_hazard(
            site_id=site_id,
            category=category,
            severity=severity,
            description=description,
            photo_ids=photo_ids,
            found_at=found_at,
            deadline=deadline,
        )
        self._saved()
        return hazard_id

    def record_transition(
        self,
        hazard_id: str,
        action: str,
        note: str | None = None,
        photo_ids: list[str] = (),
        deadline: datetime | str | None = None,
    ) -> str:
        """Move a hazard (notify | acknowledge | submit_evidence | verify | reject | fix_on_spot | reopen |
        cancel). Checked on the phone first (RuleViolation with the reason: wrong state, role, missing
        note or photo of the right kind); works on hazards raised offline. Returns the transition id.
        If the hazard changed on the server meanwhile, sync records a conflict (see conflicts())."""
        me = self.signed_in_user() or {}
        transition_id = self.recorder.transition(
            hazard_id, action, role=me.get("role", "officer"), note=note, photo_ids=list(photo_ids), deadline=deadline
        )
        self._saved()
        return transition_id

    def transition(
        self,
        hazard_id: str,
        action: str,
        note: str | None = None,
        photo_paths: list[str] = (),
        photo_kind: str | None = None,
        deadline_days: int | None = None,
    ) -> str:
        """Save the step on the phone (photos downscaled and queued first). An officer's 'notify' issues a
        numbered notice (整改通知书) to the hazard's company, which is what moves it to notified."""
        photo_ids = [self.add_photo(path, photo_kind or "scene") for path in photo_paths]
        deadline = (datetime.now(UTC) + timedelta(days=deadline_days)) if deadline_days else None
        if action == "notify":
            hazard = self.hazard(hazard_id) or {}
            if not hazard.get("organization_id"):
                raise RuleViolation("no_organization")
            return self.issue_notice(
                organization_id=hazard["organization_id"], hazard_ids=[hazard_id], deadline=deadline, note=note
            )
        if action == "acknowledge":  # the receipt (签收) is given on the hazard's notice, the one way to acknowledge
            notice_id = (self.hazard(hazard_id) or {}).get("notice_id")
            if not notice_id:
                raise RuleViolation("not_on_phone", record="notice")
            self.acknowledge_notice(str(notice_id))
            return str(notice_id)
        return self.record_transition(hazard_id, action, note=note, photo_ids=photo_ids, deadline=deadline)

    # ---- notices ----------------------------------------------------------------------------------------

    def notices(self) -> list[dict[str, Any]]:
        """Cached notices, newest first: [{id, number, organization_id, hazard_ids, deadline,
        acknowledged_at, ...}] + pending_acknowledgement (a receipt is queued) and site_names."""
        queued = {r.path.split("/")[2] for r in self.outbox.rows("pending", "sending") if r.kind == "acknowledge"}
        sites = self._site_names()
        return [
            {
                **n,
                "pending_acknowledgement": n["id"] in queued,
                "site_names": [sites[s] for s in map(str, n.get("site_ids", [])) if s in sites],
            }
            for n in self.store.notices()
        ]

    def notice_detail(self, notice_id: str) -> dict[str, Any]:
        notice = next((n for n in self.notices() if str(n["id"]) == str(notice_id)), None)
        if notice is None:
            raise RuleViolation("not_on_phone", record="notice")
        hazards = [h for h in (self.hazard(hid) for hid in notice.get("hazard_ids", [])) if h]
        notice["hazards"] = self._decorate(hazards)
        return notice

    def issue_notice(
        self,
        *,
        organization_id: str,
        hazard_ids: list[str],
        deadline: datetime | str | None = None,
        basis: str | None = None,
        note: str | None = None,
    ) -> str:
        """Queue a rectification notice to one company for these hazards (officer). Returns its id; the
        number comes from the server after sync."""
        notice_id = self.recorder.issue_notice(
            organization_id=organization_id, hazard_ids=hazard_ids, deadline=deadline, basis=basis, note=note
        )
        self._saved()
        return notice_id

    def acknowledge_notice(self, notice_id: str) -> None:
        """Queue the receipt (签收) of a notice (property users); idempotent."""
        self.recorder.acknowledge_notice(notice_id)
        self._saved()

    # ---- trainings -------------------------------------------------------------------------------------

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
        photo_paths: list[str] = (),
    ) -> str:
        """Save a training session (topics are categories; photos of kind training, e.g. the sign-in
        sheet, given as ids or as camera files) and queue it. Returns its id."""
        photo_ids = list(photo_ids) + [self.add_photo(path, "training") for path in photo_paths]
        training_id = self.recorder.log_training(
            site_id=site_id,
            held_at=held_at,
            topics=topics,
            trainer=trainer,
            attendee_count=attendee_count,
            duration_minutes=duration_minutes,
            notes=notes,
            photo_ids=photo_ids,
        )
        self._saved()
        return training_id
