"""Intake on the phone: a grid worker reports problems and follows them; an officer works the queue of
reports from their sites (accept with a severity, merge into an open hazard of the site, decline)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mobile.services.intake import DECISIONS, IntakeRecorder
from mobile.services.phone.presentation import parse_time
from mobile.services.store import Store
from rulebook.intake import MAX_REPORT_PHOTOS
from rulebook.lifecycle import OPEN_STATUSES
from rulebook.messages import RuleViolation


class IntakeReports:
    """The part of Phone that reports problems into the intake queue and decides on them."""

    store: Store
    intake_recorder: IntakeRecorder

    # ---- the grid worker ---------------------------------------------------------------------------------

    def report_problem(
        self,
        *,
        site_id: str,
        category: str,
        description: str,
        photo_paths: list[str | Path] = (),
        photo_ids: list[str] = (),
        fix: dict[str, float] | None = None,
        reported_at: datetime | str | None = None,
    ) -> str:
        """Save a report of a problem at one of the user's sites (up to 3 photos: camera files, downscaled
        here, or ids of photos already on the phone) with where the phone is, and queue it. Shown in
        my_reports() at once as pending. Returns the report id."""
        lat = lon = None
        if fix and fix.get("lat") is not None and fix.get("lon") is not None:
            lat, lon = float(fix["lat"]), float(fix["lon"])
        ids = list(photo_ids)
        if len(ids) + len(photo_paths) > MAX_REPORT_PHOTOS:  # before any photo is saved
            raise RuleViolation("too_many_report_photos", max=MAX_REPORT_PHOTOS)
        for path in photo_paths:
            ids.append(self.add_photo(path, "problem", lat=lat, lon=lon))  # type: ignore[attr-defined]
        report_id = self.intake_recorder.report_problem(
            site_id=site_id,
            category=category,
            description=description,
            photo_ids=ids,
            lat=lat,
            lon=lon,
            reported_at=reported_at,
            site_name=(self.store.site(site_id) or {}).get("name", ""),
        )
        self._saved()  # type: ignore[attr-defined]
        return report_id

    def my_reports(self) -> list[dict[str, Any]]:
        """The user's reports as shown, newest first: the server's view with what this phone still owes it
        applied. Each has `pending` (work on it not yet sent) and `can_revisit` (answer fixed / not fixed
        now)."""
        return self._shown_reports(self.store.intake_reports())

    def answer_report_revisit(self, report_id: str, fixed: bool, note: str | None = None) -> str:
        """The reporter says whether the closed hazard from their report is really fixed; queued."""
        row_id = self.intake_recorder.answer_revisit(report_id, fixed=fixed, note=note)
        self._saved()  # type: ignore[attr-defined]
        return row_id

    # ---- the officer -------------------------------------------------------------------------------------

    def intake_queue(self) -> list[dict[str, Any]]:
        """Reports of the officer's sites still waiting for a decision (on the server and on this phone),
        overdue first, then the oldest; each with `hazards`: the open hazards of its site the phone knows
        (to merge into)."""
        shown = [r for r in self._shown_reports(self.store.intake_reports()) if r["status"] == "pending"]
        shown.sort(key=lambda r: (not r.get("overdue"), r.get("created_at") or ""))
        for report in shown:
            report["hazards"] = self.open_hazards_at(report.get("site_id"))
        return shown

    def decided_reports(self) -> list[dict[str, Any]]:
        """Reports of the officer's sites already decided (here, or on the server), newest first."""
        return [r for r in self._shown_reports(self.store.intake_reports()) if r["status"] != "pending"]

    def intake_overview(self) -> dict[str, list[dict[str, Any]]]:
        """What the queue screen shows: {queue: intake_queue(), decided: decided_reports()}."""
        return {"queue": self.intake_queue(), "decided": self.decided_reports()}

    def intake_report_detail(self, report_id: str) -> dict[str, Any]:
        """One report as shown, with `hazards` (open ones of its site, to merge into) and `photo_files` (local
        images: the phone's own, else thumbnails fetched once — NETWORK when reachable)."""
        report = self.store.intake_report(report_id)
        if report is None:
            raise RuleViolation("not_on_phone", record="intake")
        shown = self._shown_reports([report])[0]
        shown["hazards"] = self.open_hazards_at(shown.get("site_id"))
        files = [self.photo_file(str(p)) for p in shown.get("photo_ids") or []]  # type: ignore[attr-defined]
        shown["photo_files"] = [f for f in files if f]
        return shown

    def open_hazards_at(self, site_id: str | None) -> list[dict[str, Any]]:
        hazards = self.hazards({"status": list(OPEN_STATUSES), "site_id": site_id})  # type: ignore[attr-defined]
        return self._decorate(hazards)  # type: ignore[attr-defined]

    def accept_report(self, report_id: str, severity: str | None = None) -> str:
        """Accept a report as a hazard of this severity (the server raises it); queued. A reopen request
        (the reporter said "not fixed") reopens its hazard, whose severity stays: none need be given."""
        report = self.store.intake_report(report_id) or {}
        if severity is None and report.get("kind") == "reopen_request":
            severity = (self.store.hazard(report.get("hazard_id") or "") or {}).get("severity") or "yellow"
        return self._decide(report_id, "accept", severity=severity)

    def merge_report(self, report_id: str, hazard_id: str) -> str:
        """The report is a hazard already known: merge it into that one; queued."""
        return self._decide(report_id, "merge", hazard_id=str(hazard_id))

    def decline_report(self, report_id: str, reason: str) -> str:
        """Decline a report; the reason is shown to the reporter. Queued."""
        return self._decide(report_id, "decline", reason=reason)

    def _decide(self, report_id: str, action: str, **fields: Any) -> str:
        row_id = self.intake_recorder.decide(report_id, action, **fields)
        self._saved()  # type: ignore[attr-defined]
        return row_id

    # ---- as shown --------------------------------------------------------------------------------------

    def _shown_reports(self, reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
        queued = self.intake_recorder.queued()
        names = {str(s["id"]): s.get("name", "") for s in self.store.sites()}
        unsent = {r.id for r in self.outbox.rows("pending", "sending")}  # type: ignore[attr-defined]
        role = ((self.signed_in_user() or {}).get("role")) or ""  # type: ignore[attr-defined]
        now = datetime.now(UTC)
        out = []
        for report in reports:
            shown = dict(report)
            shown["site_name"] = shown.get("site_name") or names.get(str(shown.get("site_id")), "")
            owed = queued.get(str(report["id"]), {})
            pending = report.get("provisional", False) and str(report["id"]) in unsent
            decision = owed.get("decision")
            if decision and shown.get("status") == "pending":
                action, body = decision
                shown["status"] = DECISIONS[action]
                if action == "decline":
                    shown["decline_reason"] = body.get("reason")
                if action == "accept":
                    shown["severity"] = body.get("severity")
                pending = True
            if owed.get("revisit") is not None and not shown.get("revisit_answer"):
                shown["revisit_answer"] = "fixed" if owed["revisit"].get("fixed") else "not_fixed"
                pending = True
            shown["pending"] = bool(pending)
            until = parse_time(shown["revisit_until"]) if shown.get("revisit_until") else None
            shown["can_revisit"] = bool(
                role == "gridworker"
                and shown.get("hazard_status") == "closed"
                and not shown.get("revisit_answer")
                and until is not None
                and now < until
            )
            out.append(shown)
        return out
