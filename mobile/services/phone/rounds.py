"""The week's rounds, sites and checklists, and checklist runs from first answer to submission."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from mobile.services.api import ApiError
from mobile.services.checklist_run import ChecklistRun
from mobile.services.phone.presentation import parse_time, run_snapshot
from mobile.services.records import Recorder
from mobile.services.store import Store, dumps, now_iso
from rulebook import weeks
from rulebook.categories import CATEGORIES
from rulebook.lifecycle import OPEN_STATUSES
from rulebook.messages import RuleViolation

URGENT_DAYS = 2


def iso_week(moment: datetime | date | None = None) -> str:
    """The ISO week of a moment (now when None) as the server counts it: in the deployment's time zone."""
    return weeks.week_of(moment, weeks.zone())


class RoundsAndRuns:
    """The part of Phone an officer walks the week with."""

    store: Store
    recorder: Recorder
    _runs: dict[str, ChecklistRun]

    # ---- what the officer works with (cached, offline) -----------------------------------------------

    def sites(self) -> list[dict[str, Any]]:
        """The user's sites: [{id, name, kind, district, street, address, lat, lon, property_org_id,
        profile: {has_gas, ...}}], by name."""
        return self.store.sites()

    def site(self, site_id: str) -> dict[str, Any] | None:
        return self.store.site(site_id)

    def site_name(self, site_id: str) -> str:
        return (self.store.site(site_id) or {}).get("name", "")

    def checklists(self) -> list[dict[str, Any]]:
        """Current templates: [{category, version, title: {zh, en}, items: [...]}]."""
        return self.store.current_checklists()

    def checklist(self, category: str, version: int | None = None) -> dict[str, Any] | None:
        """A template (current unless version is given): {category, version, title, items: [{id, prompt:
        {zh, en}, guidance, severity_on_fail, photo_required_on_fail, remedy, basis, applies_if}]}."""
        return self.store.checklist(category, version)

    def rounds(self, week: str | None = None) -> dict[str, Any] | None:
        """This (or the given ISO) week's round plan: {week, sites: [{site_id, site_name, due, done,
        remaining, visits, visits_target}]}; inspections finished on the phone but not yet synced count
        as done. None if never fetched for that week."""
        week = week or iso_week()
        data = self.store.rounds(week)
        if data is None:
            return None
        local = {
            (r["site_id"], r["category"]) for r in self._unsent_inspections() if self._week_of(r["finished_at"]) == week
        }
        for site in data.get("sites", []):
            extra = sorted(c for s, c in local if s == site["site_id"] and c not in site["done"])
            if extra:
                site["done"] = sorted(site["done"] + extra)
                site["remaining"] = [c for c in site.get("remaining", site["due"]) if c not in extra]
        return data

    def _unsent_inspections(self) -> list[dict[str, Any]]:
        return [
            json.loads(r["data"])
            for r in self.store.rows(
                "SELECT r.data FROM record r JOIN outbox o ON o.id = r.id WHERE r.kind = 'inspection' "
                "AND o.state IN ('pending', 'sending', 'needs_attention')"
            )
        ]

    @staticmethod
    def _week_of(stamp: str) -> str:
        return iso_week(datetime.fromisoformat(stamp))

    # ---- this week and one site, as the screens show them ----------------------------------------------

    def week(self) -> dict[str, Any]:
        rounds = self.rounds() or {"week": iso_week(), "sites": []}
        drafts = self.drafts()
        soon = datetime.now(UTC) + timedelta(days=URGENT_DAYS)
        urgent = [
            h
            for h in self._decorate(self.hazards({"status": list(OPEN_STATUSES)}))
            if h.get("overdue") or (h.get("deadline") and parse_time(h["deadline"]) <= soon)
        ]
        order = {c: i for i, c in enumerate(CATEGORIES)}
        for site in rounds.get("sites", []):
            site["drafts"] = [d["category"] for d in drafts if d["site_id"] == str(site["site_id"])]
            site["due"] = sorted(site.get("due", []), key=lambda c: order.get(c, 99))
        return {
            "week": rounds.get("week", iso_week()),
            "sites": rounds.get("sites", []),
            "urgent_hazards": urgent,
            "revisits": self.revisits(),  # type: ignore[attr-defined]  (JointAndRevisits)
        }

    def site_overview(self, site_id: str) -> dict[str, Any]:
        site = self.site(site_id)
        if site is None:
            raise RuleViolation("not_on_phone", record="site")
        rounds = self.rounds() or {"sites": []}
        plan = next((s for s in rounds.get("sites", []) if str(s["site_id"]) == str(site_id)), None)
        drafts = {d["category"]: d for d in self.drafts() if d["site_id"] == str(site_id)}
        last_done: dict[str, str] = {}
        for record in self.store.records("inspection"):
            if str(record.get("site_id")) == str(site_id):
                last_done[record["category"]] = max(last_done.get(record["category"], ""), record["finished_at"])
        due = plan["due"] if plan else [t["category"] for t in self.checklists()]
        due = sorted(due, key=lambda c: CATEGORIES.index(c) if c in CATEGORIES else len(CATEGORIES))
        done = set(plan["done"]) if plan else set()
        categories = [
            {
                "category": c,
                "due": c not in done,
                "done": c in done,
                "last_inspection": last_done.get(c),
                "draft": c in drafts,
                "draft_answered": drafts.get(c, {}).get("answered", 0),
                "item_count": drafts.get(c, {}).get("total", 0),
            }
            for c in due
        ]
        hazards = self._decorate(self.hazards({"site_id": str(site_id), "status": list(OPEN_STATUSES)}))
        return {
            "site": site,
            "company_name": self._organization_names().get(str(site.get("property_org_id"))),
            "categories": categories,
            "hazards": hazards,
        }

    def site_history(self, site_id: str) -> dict[str, Any]:
        """The last run of each category at a site, from the server (any officer's), with its answers and the
        photos of its failed items; kept on the phone so a basement still shows it (NETWORK, falls back).

        Returns {runs: [{id, category, finished_at, presence_flags, passed, na, failed: [{item_id, prompt,
        note, photos: [local file]}]}], fetched_at, offline}."""
        key = f"site_history:{site_id}"
        try:
            page = self.api.get_json("/inspections", site_id=str(site_id), limit=100)
        except ApiError as error:
            if not error.retryable:
                raise
            cached = self.store.get(key) or {"runs": [], "fetched_at": None}
            return {**cached, "offline": True}
        items = page["items"] if isinstance(page, dict) else page
        latest: dict[str, dict[str, Any]] = {}
        for inspection in sorted(items, key=lambda i: i["finished_at"], reverse=True):
            latest.setdefault(inspection["category"], inspection)
        runs = [self._history_run(latest[c]) for c in CATEGORIES if c in latest]
        data = {"runs": runs, "fetched_at": now_iso()}
        self.store.put(key, data)
        return {**data, "offline": False}

    def _history_run(self, inspection: dict[str, Any]) -> dict[str, Any]:
        template = self.store.checklist(inspection["category"], inspection.get("template_version")) or {}
        prompts = {item["id"]: item.get("prompt") for item in template.get("items", [])}
        answers = inspection.get("answers", [])
        failed = [
            {
                "item_id": a["item_id"],
                "prompt": prompts.get(a["item_id"]) or a["item_id"],
                "note": a.get("note") or "",
                "photos": [f for f in (self.photo_file(str(p)) for p in a.get("photo_ids", [])) if f],
            }
            for a in answers
            if a["result"] == "fail"
        ]
        return {
            "id": inspection["id"],
            "category": inspection["category"],
            "finished_at": inspection["finished_at"],
            "presence_flags": inspection.get("presence_flags", []),
            "passed": sum(a["result"] == "pass" for a in answers),
            "na": sum(a["result"] == "na" for a in answers),
            "failed": failed,
        }

    # ---- checklist runs ---------------------------------------------------------------------------

    def start_run(
        self, site_id: str, category: str, *, lat: float | None = None, lon: float | None = None, resume: bool = True
    ) -> ChecklistRun:
        """A run of the current `category` checklist at a site, saved as a draft at once. With resume=True
        an unfinished draft for the same site and category is returned instead of a new one."""
        if resume:
            found = self.store.row(
                "SELECT id FROM draft WHERE site_id = ? AND category = ? ORDER BY updated_at DESC LIMIT 1",
                (str(site_id), category),
            )
            if found:
                return self.resume_run(found["id"])
        site = self.store.site(site_id)
        template = self.store.checklist(category)
        if site is None or template is None:
            raise RuleViolation("not_on_phone", record="checklist")
        run = ChecklistRun.new(site, template, lat=lat, lon=lon)
        self._save_draft(run)
        return run

    def drafts(self) -> list[dict[str, Any]]:
        """Unfinished runs: [{id, site_id, site_name, category, answered, total, updated_at}]."""
        out = []
        for row in self.store.rows("SELECT id, updated_at FROM draft ORDER BY updated_at DESC"):
            run = self.resume_run(row["id"])
            answered, total = run.progress()
            out.append(
                {
                    "id": run.inspection_id,
                    "site_id": run.site_id,
                    "site_name": run.site.get("name"),
                    "category": run.category,
                    "answered": answered,
                    "total": total,
                    "updated_at": row["updated_at"],
                }
            )
        return out

    def resume_run(self, inspection_id: str) -> ChecklistRun:
        """The draft run with this id, answers and photos as last saved."""
        row = self.store.row("SELECT data, category, template_version FROM draft WHERE id = ?", (str(inspection_id),))
        if row is None:
            raise KeyError(f"No unfinished run {inspection_id}.")
        template = self.store.checklist(row["category"], row["template_version"])
        return ChecklistRun.from_state(json.loads(row["data"]), template)

    def save_answer(
        self,
        run: ChecklistRun,
        item_id: str,
        result: str | None = None,
        *,
        note: str | None = None,
        photo_ids: list[str] | None = None,
    ) -> None:
        """Record an answer (pass | fail | na; None keeps the current), its note and its photos, and
        autosave the draft. Raises ValueError for an item that does not apply or a bad result."""
        run.answer(item_id, result, note=note, photo_ids=photo_ids)
        self._save_draft(run)

    def save_run(self, run: ChecklistRun) -> None:
        """Autosave a run changed directly (run.add_photo, run.clear...)."""
        self._save_draft(run)

    def discard_run(self, run_or_id: ChecklistRun | str) -> None:
        """Throw a draft away (its photos stay queued only if other records use them)."""
        run_id = run_or_id.inspection_id if isinstance(run_or_id, ChecklistRun) else str(run_or_id)
        self._runs.pop(run_id, None)
        with self.store.write() as tx:
            tx.execute("DELETE FROM draft WHERE id = ?", (run_id,))

    def finish_run(self, run: ChecklistRun, finished_at: datetime | str | None = None) -> str:
        """Submit the run: raises IncompleteRun (.problems) if anything is missing; otherwise saves the
        inspection, queues it after its photos, adds the hazards it will raise (run.hazard_ids(),
        shown as provisional) and removes the draft. Returns the inspection id."""
        inspection_id = self.recorder.finish_inspection(run, finished_at)
        self._saved()
        return inspection_id

    def _save_draft(self, run: ChecklistRun) -> None:
        with self.store.write() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO draft (id, site_id, category, template_version, data, updated_at) "
                "VALUES (?,?,?,?,?,?)",
                (run.inspection_id, run.site_id, run.category, run.template_version, dumps(run.to_state()), now_iso()),
            )

    # ---- checklist runs as the run screens see them: by id, as snapshots ---------------------------------

    def open_run(self, site_id: str, category: str, fix: dict[str, float] | None = None) -> dict[str, Any]:
        run = self.start_run(site_id, category)
        if run.lat is None and fix:
            run.note_fix(fix)
            self._save_draft(run)
        self._runs[run.inspection_id] = run
        return self._snapshot(run)

    def _run(self, run_id: str) -> ChecklistRun:
        run = self._runs.get(run_id)
        if run is None:
            run = self.resume_run(run_id)
            self._runs[run_id] = run
        return run

    def answer_item(
        self, run_id: str, item_id: str, result: str | None = None, note: str | None = None
    ) -> dict[str, Any]:
        run = self._run(run_id)
        self.save_answer(run, item_id, result, note=note)
        return self._snapshot(run)

    def add_run_photo(
        self, run_id: str, item_id: str, path: str, fix: dict[str, float] | None = None
    ) -> dict[str, Any]:
        """Where the photo was taken: the phone's fix at the shutter, else where the run started."""
        run = self._run(run_id)
        run.note_fix(fix)
        lat, lon = (fix["lat"], fix["lon"]) if fix else (run.lat, run.lon)
        photo_id = self.add_photo(path, "problem", lat=lat, lon=lon)
        run.add_photo(item_id, photo_id)
        self.save_run(run)
        return self._snapshot(run)

    def remove_run_photo(self, run_id: str, item_id: str, photo_id: str) -> dict[str, Any]:
        run = self._run(run_id)
        run.remove_photo(item_id, photo_id)
        self.save_run(run)
        return self._snapshot(run)

    def submit_run(self, run_id: str, fix: dict[str, float] | tuple[float, float] | None = None) -> str:
        """Submit with the phone's position now ({lat, lon, accuracy?}); a run keeps where it started too."""
        run = self._run(run_id)
        if isinstance(fix, tuple):
            fix = {"lat": fix[0], "lon": fix[1]}
        run.note_fix(fix, finishing=True)
        inspection_id = self.finish_run(run)
        self._runs.pop(run_id, None)
        return inspection_id

    def _snapshot(self, run: ChecklistRun) -> dict[str, Any]:
        return run_snapshot(run, self.photo_path)
