"""The screens' one door to the phone's data: a thin adapter over `mobile.services.Services`.

Every method here may block (SQLite, image scaling, and — where marked NETWORK — HTTP), so the UI
calls them through `app.tasks` on a worker thread. What it adds to the facade is only what screens
need to show: names joined in (site, checklist item), runs as plain snapshots, photos as local paths
(server photos downloaded as thumbnails into a cache), and the UI's own preferences (language, last
server and username, which survive a sign-out).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from mobile.services import ApiError, ChecklistRun, Services, iso_week

CATEGORIES = ("gas", "electricity", "elevator", "falling_objects", "fire", "ebike", "structure")
FINISHED = ("closed", "cancelled")
OPEN_STATUSES = ("open", "notified", "rectifying", "awaiting_verification")
URGENT_DAYS = 2
# Photo kinds shown in the three columns of a hazard: before / after (evidence) / verification.
PHOTO_COLUMNS = {"problem": "before", "scene": "before", "rectification": "after", "verification": "verification"}
DETAIL_TIMEOUT_HINT = "The detail comes from the server; the cached copy is shown meanwhile."


def _language_from_server(code: str | None) -> str | None:
    return {"zh": "zh_CN", "zh_CN": "zh_CN", "en": "en"}.get(code or "")


class Backend:
    def __init__(self, data_dir: str | Path, server_url: str | None = None,
                 services: Services | None = None, background_sync: bool = False) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._prefs_path = self.data_dir / "ui.json"
        self._prefs = self._read_prefs()
        self.services = services or Services(self.data_dir, server_url or self._prefs.get("server_url"))
        self.thumbs_dir = self.data_dir / "thumbs"
        self.thumbs_dir.mkdir(exist_ok=True)
        self._runs: dict[str, ChecklistRun] = {}
        self._progress: Callable[[int, int], None] | None = None
        self._lock = threading.Lock()
        self.background_sync = background_sync
        self.services.add_sync_listener(self._on_sync_progress)

    def close(self) -> None:
        self.services.close()

    # ---- UI preferences (kept outside the user's data: a sign-out wipes that) -------------------------

    def _read_prefs(self) -> dict[str, Any]:
        try:
            return json.loads(self._prefs_path.read_text())
        except (OSError, ValueError):
            return {}

    def _save_prefs(self, **changes: Any) -> None:
        with self._lock:
            self._prefs.update(changes)
            tmp = self._prefs_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self._prefs, ensure_ascii=False))
            tmp.replace(self._prefs_path)

    def last_server_url(self) -> str:
        return self._prefs.get("server_url") or ""

    def last_username(self) -> str:
        return self._prefs.get("username") or ""

    def preferred_language(self) -> str | None:
        if self._prefs.get("language"):
            return self._prefs["language"]
        return _language_from_server((self.services.signed_in_user() or {}).get("language"))

    def set_language(self, lang: str) -> None:
        self._save_prefs(language=lang)

    # ---- session --------------------------------------------------------------------------------------

    def restore_session(self) -> dict[str, Any] | None:
        user = self.services.signed_in_user()
        if user and self.background_sync:
            self.services.start_sync()
        return user

    def sign_in(self, server_url: str, username: str, password: str) -> dict[str, Any]:
        """NETWORK."""
        me = self.services.sign_in(server_url, username, password)
        self._save_prefs(server_url=server_url, username=username)
        if self.background_sync:
            self.services.start_sync()
        return me

    def sign_out(self) -> None:
        """The settings screen has asked before calling this when work is still unsent."""
        self._runs.clear()
        self.services.sign_out(discard_unsent=True)

    # ---- sync -----------------------------------------------------------------------------------------

    def _on_sync_progress(self, progress: Any) -> None:
        callback = self._progress
        if callback is not None:
            callback(progress.done, progress.total)

    def sync(self, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """NETWORK. One push + pull; progress(done, total) is called from this thread as items go."""
        self._progress = progress
        try:
            status = self.services.sync_now()
        finally:
            self._progress = None
        if status.get("state") in ("offline", "error", "signed_out") and status.get("last_error"):
            raise ApiError(0, status["state"], status["last_error"], retryable=status["state"] == "offline")
        return status

    def sync_status(self) -> dict[str, Any]:
        status = self.services.sync_status()
        return {"pending": status.get("pending", 0), "last_sync": status.get("last_success_at") or "",
                "state": status.get("state"), "needs_attention": self.services.needs_attention()}

    def retry(self, item_id: str) -> None:
        self.services.retry_item(item_id)

    def discard(self, item_id: str) -> list[str]:
        return self.services.discard_item(item_id)

    # ---- names ----------------------------------------------------------------------------------------

    def _site_names(self) -> dict[str, str]:
        return {str(s["id"]): s.get("name", "") for s in self.services.sites()}

    def site_name(self, site_id: str) -> str:
        return (self.services.site(site_id) or {}).get("name", "")

    def _item_prompts(self) -> dict[str, dict]:
        prompts: dict[str, dict] = {}
        for template in self.services.checklists():
            for item in template.get("items", []):
                prompts[item["id"]] = item.get("prompt") or {}
        return prompts

    def _organization_names(self) -> dict[str, str]:
        """Company names the phone has seen (notices and hazard details carry them; sites do not)."""
        names = {str(n["organization_id"]): n["organization_name"] for n in self.services.notices()
                 if n.get("organization_name")}
        for hazard in self.services.hazards():
            if hazard.get("organization_name") and hazard.get("organization_id"):
                names[str(hazard["organization_id"])] = hazard["organization_name"]
        return names

    def _decorate(self, hazards: list[dict[str, Any]]) -> list[dict[str, Any]]:
        sites, prompts = self._site_names(), self._item_prompts()
        notified = self._queued_notice_hazards()
        out = []
        for hazard in hazards:
            shown = dict(hazard)
            shown["site_name"] = shown.get("site_name") or sites.get(str(hazard.get("site_id")), "")
            if hazard.get("item_id"):
                shown["item_prompt"] = prompts.get(hazard["item_id"])
                # A raised hazard's description repeats the item's prompt; the officer's note is the rest.
                prompt_zh = (shown["item_prompt"] or {}).get("zh", "")
                shown["note_text"] = "\n".join(line for line in (hazard.get("description") or "").splitlines()
                                               if line.strip() and not (prompt_zh and prompt_zh in line))
            else:
                shown["note_text"] = ""
            if str(hazard["id"]) in notified and shown.get("status") == "open":
                shown["status"] = "notified"
                shown["pending_actions"] = list(shown.get("pending_actions") or []) + ["notify"]
            if not shown.get("deadline"):
                shown["deadline"] = None
            out.append(shown)
        return out

    def _queued_notice_hazards(self) -> set[str]:
        """Hazards on a notice the officer issued on this phone that the server has not taken yet."""
        ids: set[str] = set()
        for row in self.services.outbox.rows("pending", "sending"):
            if row.kind == "notice" and row.body:
                ids.update(json.loads(row.body).get("hazard_ids", []))
        return ids

    # ---- this week and one site ---------------------------------------------------------------------

    def week(self) -> dict[str, Any]:
        rounds = self.services.rounds() or {"week": iso_week(), "sites": []}
        drafts = self.services.drafts()
        soon = datetime.now(timezone.utc) + timedelta(days=URGENT_DAYS)
        urgent = [h for h in self._decorate(self.services.hazards({"status": list(OPEN_STATUSES)}))
                  if h.get("overdue") or (h.get("deadline") and _parse(h["deadline"]) <= soon)]
        order = {c: i for i, c in enumerate(CATEGORIES)}
        for site in rounds.get("sites", []):
            site["drafts"] = [d["category"] for d in drafts if d["site_id"] == str(site["site_id"])]
            site["due"] = sorted(site.get("due", []), key=lambda c: order.get(c, 99))
        return {"week": rounds.get("week", iso_week()), "sites": rounds.get("sites", []), "urgent_hazards": urgent}

    def site_overview(self, site_id: str) -> dict[str, Any]:
        site = self.services.site(site_id)
        if site is None:
            raise ValueError("This site is not on the phone yet; sync once with a signal.")
        rounds = self.services.rounds() or {"sites": []}
        plan = next((s for s in rounds.get("sites", []) if str(s["site_id"]) == str(site_id)), None)
        drafts = {d["category"]: d for d in self.services.drafts() if d["site_id"] == str(site_id)}
        last_done: dict[str, str] = {}
        for record in self.services.store.records("inspection"):
            if str(record.get("site_id")) == str(site_id):
                last_done[record["category"]] = max(last_done.get(record["category"], ""), record["finished_at"])
        due = plan["due"] if plan else [t["category"] for t in self.services.checklists()]
        due = sorted(due, key=lambda c: CATEGORIES.index(c) if c in CATEGORIES else len(CATEGORIES))
        done = set(plan["done"]) if plan else set()
        categories = [{"category": c, "due": c not in done, "done": c in done, "last_inspection": last_done.get(c),
                       "draft": c in drafts, "draft_answered": drafts.get(c, {}).get("answered", 0),
                       "item_count": drafts.get(c, {}).get("total", 0)} for c in due]
        hazards = self._decorate(self.services.hazards({"site_id": str(site_id), "status": list(OPEN_STATUSES)}))
        return {"site": site, "company_name": self._organization_names().get(str(site.get("property_org_id"))),
                "categories": categories, "hazards": hazards}

    # ---- checklist runs -----------------------------------------------------------------------------

    def open_run(self, site_id: str, category: str) -> dict[str, Any]:
        run = self.services.start_run(site_id, category)
        self._runs[run.inspection_id] = run
        return self._snapshot(run)

    def _run(self, run_id: str) -> ChecklistRun:
        run = self._runs.get(run_id)
        if run is None:
            run = self.services.resume_run(run_id)
            self._runs[run_id] = run
        return run

    def save_answer(self, run_id: str, item_id: str, result: str | None = None,
                    note: str | None = None) -> dict[str, Any]:
        run = self._run(run_id)
        self.services.save_answer(run, item_id, result, note=note)
        return self._snapshot(run)

    def add_run_photo(self, run_id: str, item_id: str, path: str) -> dict[str, Any]:
        run = self._run(run_id)
        photo_id = self.services.add_photo(path, "problem", lat=run.lat, lon=run.lon)
        run.add_photo(item_id, photo_id)
        self.services.save_run(run)
        return self._snapshot(run)

    def remove_run_photo(self, run_id: str, item_id: str, photo_id: str) -> dict[str, Any]:
        run = self._run(run_id)
        run.remove_photo(item_id, photo_id)
        self.services.save_run(run)
        return self._snapshot(run)

    def submit_run(self, run_id: str, lat_lon: tuple[float, float] | None = None) -> str:
        run = self._run(run_id)
        if lat_lon and run.lat is None:
            run.lat, run.lon = lat_lon
        inspection_id = self.services.finish_run(run)
        self._runs.pop(run_id, None)
        return inspection_id

    def _snapshot(self, run: ChecklistRun) -> dict[str, Any]:
        items = []
        for item in run.applicable_items():
            answer = run.answers.get(item["id"])
            photos = [{"id": p, "path": str(self.services.photo_path(p) or "")}
                      for p in (answer.photo_ids if answer else [])]
            items.append({"id": item["id"], "prompt": item["prompt"], "guidance": item.get("guidance"),
                          "remedy": item.get("remedy"), "basis": item.get("basis"),
                          "severity": item.get("severity_on_fail"),
                          "photo_required": bool(item.get("photo_required_on_fail")),
                          "result": answer.result if answer else None, "note": answer.note if answer else None,
                          "photos": photos})
        answered, total = run.progress()
        return {"inspection_id": run.inspection_id, "site_id": run.site_id, "site_name": run.site.get("name", ""),
                "category": run.category, "title": run.template.get("title"), "items": items,
                "answered": answered, "total": total,
                "problems": [{"item_id": p.item_id, "code": p.code, "message": p.message} for p in run.missing()],
                "hazard_ids": run.hazard_ids()}

    # ---- hazards ----------------------------------------------------------------------------------------

    def hazards(self, closed: bool = False) -> list[dict[str, Any]]:
        statuses = list(FINISHED) if closed else list(OPEN_STATUSES)
        return self._decorate(self.services.hazards({"status": statuses}))

    def hazard_detail(self, hazard_id: str) -> dict[str, Any]:
        """NETWORK when reachable (history, photos); the cached hazard otherwise."""
        try:
            hazard = self.services.refresh_hazard(hazard_id)
        except ApiError:
            hazard = self.services.hazard(hazard_id)
        if hazard is None:
            raise ValueError("This hazard is not on the phone yet; sync once with a signal.")
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
            for entry in self.services.store.records("transition"):
                if str(entry.get("hazard_id")) == str(hazard["id"]):
                    for pid in entry.get("photo_ids", []):
                        pairs.append(((self.services.store.photo(pid) or {}).get("kind", "scene"), pid))
        for kind, photo_id in pairs:
            path = self.photo_file(str(photo_id))
            columns[PHOTO_COLUMNS.get(kind, "before")].append(path)
        return columns

    def photo_file(self, photo_id: str) -> str:
        """A local image for a photo: the phone's own copy, else a thumbnail fetched once (NETWORK)."""
        local = self.services.photo_path(photo_id)
        if local and local.exists():
            return str(local)
        cached = self.thumbs_dir / f"{photo_id}.jpg"
        if cached.exists():
            return str(cached)
        try:
            response = self.services.api.request("GET", f"/photos/{photo_id}", params={"size": "thumb"})
        except ApiError:
            return ""
        tmp = cached.with_suffix(".tmp")
        tmp.write_bytes(response.content)
        tmp.replace(cached)
        return str(cached)

    def transition(self, hazard_id: str, action: str, note: str | None = None, photo_paths: list[str] = (),
                   photo_kind: str | None = None, deadline_days: int | None = None) -> str:
        """Save the step on the phone (photos downscaled and queued first). An officer's 'notify' issues a
        numbered notice (整改通知书) to the hazard's company, which is what moves it to notified."""
        photo_ids = [self.services.add_photo(path, photo_kind or "scene") for path in photo_paths]
        deadline = (datetime.now(timezone.utc) + timedelta(days=deadline_days)) if deadline_days else None
        if action == "notify":
            hazard = self.services.hazard(hazard_id) or {}
            if not hazard.get("organization_id"):
                raise ValueError("This hazard has no responsible property company to notify; fix it on the spot "
                                 "or ask the coordinator to give its site a company.")
            return self.services.issue_notice(organization_id=hazard["organization_id"], hazard_ids=[hazard_id],
                                              deadline=deadline, note=note)
        if action == "acknowledge":  # the receipt (签收) is given on the hazard's notice, the one way to acknowledge
            notice_id = (self.services.hazard(hazard_id) or {}).get("notice_id")
            if not notice_id:
                raise ValueError("This hazard's notice is not on the phone yet; sync once with a signal.")
            self.services.acknowledge_notice(str(notice_id))
            return str(notice_id)
        return self.services.transition(hazard_id, action, note=note, photo_ids=photo_ids, deadline=deadline)

    # ---- notices ----------------------------------------------------------------------------------------

    def notices(self) -> list[dict[str, Any]]:
        sites = self._site_names()
        out = []
        for notice in self.services.notices():
            shown = dict(notice)
            shown["ack_pending"] = bool(notice.get("pending_acknowledgement"))
            shown["site_names"] = [sites[s] for s in map(str, notice.get("site_ids", [])) if s in sites]
            out.append(shown)
        return out

    def notice_detail(self, notice_id: str) -> dict[str, Any]:
        notice = next((n for n in self.notices() if str(n["id"]) == str(notice_id)), None)
        if notice is None:
            raise ValueError("This notice is not on the phone yet; sync once with a signal.")
        hazards = [h for h in (self.services.hazard(hid) for hid in notice.get("hazard_ids", [])) if h]
        notice["hazards"] = self._decorate(hazards)
        return notice

    def acknowledge_notice(self, notice_id: str) -> None:
        self.services.acknowledge_notice(notice_id)

    # ---- trainings -------------------------------------------------------------------------------------

    def log_training(self, record: dict[str, Any], photo_paths: list[str] = ()) -> str:
        photo_ids = [self.services.add_photo(path, "training") for path in photo_paths]
        return self.services.log_training(**record, photo_ids=photo_ids)


def _parse(value: str) -> datetime:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
