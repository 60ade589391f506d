"""The one object the UI talks to: `Services(data_dir, server_url)`.

Rules for screens:
- Methods that only touch the phone (everything except sign_in, sync_now and refresh_hazard)
  return in milliseconds and may be called on the UI thread. They never need a network.
- sign_in, sync_now and refresh_hazard talk to the server: call them off the UI thread
  (or use start_sync / request_sync and listen for progress).
- Listeners added with add_sync_listener are called from the sync thread: hop back to the
  UI thread (Clock.schedule_once / @mainthread) before touching widgets.
- Every record method saves the record and its outbox rows in one local transaction, then
  wakes the background sync. Work is never lost when the app is killed.
- Invalid input raises ValueError (IncompleteRun, TransitionRefused are ValueErrors) whose
  message is a sentence for the officer; network failures raise ApiError.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from mobile.services.api import ApiClient, ApiError, Tokens
from mobile.services.checklist_run import ChecklistRun
from mobile.services.hazard_rules import allowed_actions
from mobile.services.outbox import Outbox
from mobile.services.records import Recorder
from mobile.services.store import Store, dumps, now_iso
from mobile.services.sync import SyncEngine, SyncProgress


class PendingWork(RuntimeError):
    """Signing out would throw away work not yet on the server."""


def iso_week(day: date | None = None) -> str:
    year, week, _ = (day or date.today()).isocalendar()
    return f"{year}-W{week:02d}"


class Services:
    """Store, API client, outbox and sync engine for one phone (one data dir).

    `server_url` is used until the first sign-in; after it, the server signed in to is kept in the
    data dir and used on every start (sign_in with another url switches). backoff_base/backoff_cap
    (seconds) shape the retry waits after failures; `timeout` bounds each wait for the server."""

    def __init__(self, data_dir: str | Path, server_url: str | None = None, *, backoff_base: float = 5.0,
                 backoff_cap: float = 900.0, timeout: float = 60.0):
        self.store = Store(data_dir)
        self.outbox = Outbox(self.store)
        self.recorder = Recorder(self.store, self.outbox)
        session = self.store.get("session") or {}
        url = session.get("server_url") or server_url or "http://127.0.0.1:8000"
        self.api = ApiClient(url, tokens=Tokens.from_dict(session.get("tokens")), on_tokens=self._save_tokens,
                             timeout=timeout)
        self.engine = SyncEngine(self.store, self.api, self.outbox, backoff_base=backoff_base,
                                 backoff_cap=backoff_cap)

    def close(self) -> None:
        """Stop background sync and close files and connections."""
        self.engine.stop()
        self.api.close()
        self.store.close()

    # ---- session ---------------------------------------------------------------------------------

    def sign_in(self, server_url: str, username: str, password: str) -> dict[str, Any]:
        """NETWORK. Sign in, then fetch what the phone needs to work offline (me, sites, checklists,
        this week's rounds, visible hazards and notices). Returns me: {id, username, role,
        organization_id, site_ids, display_name, language}. Raises ApiError (401 "wrong password"
        sentence in .message; retryable=True when the server cannot be reached) or PendingWork when
        another user's unsent work is on this phone."""
        current = self.store.get("session") or {}
        if current.get("username") and current["username"] != username and self.outbox.pending_count():
            raise PendingWork(f"{current['username']} has work on this phone that is not yet sent; sign in as "
                              f"{current['username']} and sync first.")
        if server_url.rstrip("/") != self.api.server_url:
            old = self.api
            self.api = ApiClient(server_url, on_tokens=self._save_tokens, timeout=old._http.timeout.read or 60.0)
            self.engine.api = self.api
            old.close()
        tokens = self.api.login(username, password)
        me = self.api.get_json("/me")
        if current.get("user_id") and current["user_id"] != me["id"]:
            self.store.wipe_user_data()
        self.store.put("session", {"server_url": self.api.server_url, "username": username, "user_id": me["id"],
                                   "tokens": tokens.as_dict(), "me": me})
        self.store.put("last_sign_in", {"server_url": self.api.server_url, "username": username})
        self.engine.refresh_reference_data()
        self.engine.pull_changes()
        return me

    def signed_in_user(self) -> dict[str, Any] | None:
        """The user from the last sign-in (works offline), or None: show the sign-in screen."""
        session = self.store.get("session") or {}
        return session.get("me") if session.get("tokens") else None

    def session_expired(self) -> bool:
        """True when the server refused our tokens: ask for the password again (work stays queued)."""
        return self.engine.status().get("state") == "signed_out"

    def sign_out(self, *, discard_unsent: bool = False) -> None:
        """Forget the user and their data on this phone. Raises PendingWork if work is not yet on the
        server, unless discard_unsent=True (the UI must have asked the officer)."""
        if self.outbox.pending_count() and not discard_unsent:
            raise PendingWork(f"{self.outbox.pending_count()} item(s) are not yet on the server; sync first.")
        last = self.last_sign_in()
        self.engine.stop()
        self.api.forget_tokens()
        self.store.wipe_user_data()
        if last:
            self.store.put("last_sign_in", last)

    def last_sign_in(self) -> dict[str, str] | None:
        """{server_url, username} of the last sign-in (kept after sign-out), to prefill the sign-in form."""
        return self.store.get("last_sign_in")

    def _save_tokens(self, tokens: Tokens | None) -> None:
        session = self.store.get("session") or {}
        if not session and tokens is None:
            return
        session["tokens"] = tokens.as_dict() if tokens else None
        self.store.put("session", session)

    # ---- what the officer works with (cached, offline) -----------------------------------------------

    def sites(self) -> list[dict[str, Any]]:
        """The user's sites: [{id, name, kind, district, street, address, lat, lon, property_org_id,
        profile: {has_gas, ...}}], by name."""
        return self.store.sites()

    def site(self, site_id: str) -> dict[str, Any] | None:
        return self.store.site(site_id)

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
        local = {(r["site_id"], r["category"]) for r in self._unsent_inspections()
                 if self._week_of(r["finished_at"]) == week}
        for site in data.get("sites", []):
            extra = sorted(c for s, c in local if s == site["site_id"] and c not in site["done"])
            if extra:
                site["done"] = sorted(site["done"] + extra)
                site["remaining"] = [c for c in site.get("remaining", site["due"]) if c not in extra]
        return data

    def _unsent_inspections(self) -> list[dict[str, Any]]:
        import json

        return [json.loads(r["data"]) for r in self.store.rows(
            "SELECT r.data FROM record r JOIN outbox o ON o.id = r.id WHERE r.kind = 'inspection' "
            "AND o.state IN ('pending', 'sending', 'needs_attention')")]

    @staticmethod
    def _week_of(stamp: str) -> str:
        return iso_week(datetime.fromisoformat(stamp).date())

    # ---- checklist runs ---------------------------------------------------------------------------

    def start_run(self, site_id: str, category: str, *, lat: float | None = None, lon: float | None = None,
                  resume: bool = True) -> ChecklistRun:
        """A run of the current `category` checklist at a site, saved as a draft at once. With resume=True
        an unfinished draft for the same site and category is returned instead of a new one."""
        if resume:
            found = self.store.row("SELECT id FROM draft WHERE site_id = ? AND category = ? "
                                   "ORDER BY updated_at DESC LIMIT 1", (str(site_id), category))
            if found:
                return self.resume_run(found["id"])
        site = self.store.site(site_id)
        template = self.store.checklist(category)
        if site is None or template is None:
            raise ValueError("This site or checklist is not on the phone yet; sync once with a signal.")
        run = ChecklistRun.new(site, template, lat=lat, lon=lon)
        self._save_draft(run)
        return run

    def drafts(self) -> list[dict[str, Any]]:
        """Unfinished runs: [{id, site_id, site_name, category, answered, total, updated_at}]."""
        out = []
        for row in self.store.rows("SELECT id, updated_at FROM draft ORDER BY updated_at DESC"):
            run = self.resume_run(row["id"])
            answered, total = run.progress()
            out.append({"id": run.inspection_id, "site_id": run.site_id, "site_name": run.site.get("name"),
                        "category": run.category, "answered": answered, "total": total,
                        "updated_at": row["updated_at"]})
        return out

    def resume_run(self, inspection_id: str) -> ChecklistRun:
        """The draft run with this id, answers and photos as last saved."""
        import json

        row = self.store.row("SELECT data, category, template_version FROM draft WHERE id = ?", (str(inspection_id),))
        if row is None:
            raise KeyError(f"No unfinished run {inspection_id}.")
        template = self.store.checklist(row["category"], row["template_version"])
        return ChecklistRun.from_state(json.loads(row["data"]), template)

    def save_answer(self, run: ChecklistRun, item_id: str, result: str | None = None, *, note: str | None = None,
                    photo_ids: list[str] | None = None) -> None:
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
        with self.store.write() as tx:
            tx.execute("DELETE FROM draft WHERE id = ?", (run_id,))

    def finish_run(self, run: ChecklistRun, finished_at: datetime | str | None = None) -> str:
        """Submit the run: raises IncompleteRun (.problems) if anything is missing; otherwise saves the
        inspection, queues it after its photos, adds the hazards it will raise (run.hazard_ids(),
        shown as provisional) and removes the draft. Returns the inspection id."""
        inspection_id = self.recorder.finish_inspection(run, finished_at)
        self.engine.request_sync()
        return inspection_id

    def _save_draft(self, run: ChecklistRun) -> None:
        with self.store.write() as tx:
            tx.execute("INSERT OR REPLACE INTO draft (id, site_id, category, template_version, data, updated_at) "
                       "VALUES (?,?,?,?,?,?)", (run.inspection_id, run.site_id, run.category, run.template_version,
                                                dumps(run.to_state()), now_iso()))

    # ---- photos, trainings, hazards, notices ---------------------------------------------------------

    def add_photo(self, path: str | Path, kind: str, *, taken_at: datetime | str | None = None,
                  lat: float | None = None, lon: float | None = None) -> str:
        """Downscale the camera file at `path` (longest side 1600, EXIF stripped; taken_at/GPS read from
        EXIF unless given), keep it in the data dir and queue its upload. kind: scene | problem |
        rectification | verification | training. Returns the photo id to put in answers/transitions.
        Takes ~0.1–0.5 s for a 12 MP photo: fine on the UI thread after a capture, better off it."""
        photo_id = self.recorder.add_photo(path, kind, taken_at=taken_at, lat=lat, lon=lon)
        self.engine.request_sync()
        return photo_id

    def photo_path(self, photo_id: str) -> Path | None:
        """The local JPEG of a photo taken on this phone (for thumbnails), or None."""
        photo = self.store.photo(photo_id)
        return self.store.photos_dir / photo["path"] if photo else None

    def log_training(self, *, site_id: str, held_at: datetime | str, topics: list[str], trainer: str,
                     attendee_count: int, duration_minutes: int, notes: str | None = None,
                     photo_ids: list[str] = ()) -> str:
        """Save a training session (topics are categories; photos of kind training, e.g. the sign-in
        sheet) and queue it. Returns its id."""
        training_id = self.recorder.log_training(site_id=site_id, held_at=held_at, topics=topics, trainer=trainer,
                                                 attendee_count=attendee_count, duration_minutes=duration_minutes,
                                                 notes=notes, photo_ids=photo_ids)
        self.engine.request_sync()
        return training_id

    def report_hazard(self, *, site_id: str, category: str, severity: str, description: str,
                      photo_ids: list[str] = (), found_at: datetime | str | None = None,
                      deadline: datetime | str | None = None) -> str:
        """Report a hazard seen outside a checklist; it shows at once (provisional). Returns its id."""
        hazard_id = self.recorder.report_hazard(site_id=site_id, category=category, severity=severity,
                                                description=description, photo_ids=photo_ids, found_at=found_at,
                                                deadline=deadline)
        self.engine.request_sync()
        return hazard_id

    def transition(self, hazard_id: str, action: str, note: str | None = None, photo_ids: list[str] = (),
                   deadline: datetime | str | None = None) -> str:
        """Move a hazard (notify | acknowledge | submit_evidence | verify | reject | fix_on_spot | reopen |
        cancel). Checked on the phone first (TransitionRefused with the reason: wrong state, role, missing
        note or photo of the right kind); works on hazards raised offline. Returns the transition id.
        If the hazard changed on the server meanwhile, sync records a conflict (see conflicts())."""
        me = self.signed_in_user() or {}
        transition_id = self.recorder.transition(hazard_id, action, role=me.get("role", "officer"), note=note,
                                                 photo_ids=list(photo_ids), deadline=deadline)
        self.engine.request_sync()
        return transition_id

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
            if any(filters.get(k) is not None and str(hazard.get(k)) != str(filters[k])
                   for k in ("site_id", "category", "severity", "organization_id")):
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

    def notices(self) -> list[dict[str, Any]]:
        """Cached notices, newest first: [{id, number, organization_id, hazard_ids, deadline,
        acknowledged_at, ...}] (+ pending_acknowledgement when a receipt is queued)."""
        queued = {r.path.split("/")[2] for r in self.outbox.rows("pending", "sending") if r.kind == "acknowledge"}
        return [{**n, "pending_acknowledgement": n["id"] in queued} for n in self.store.notices()]

    def issue_notice(self, *, organization_id: str, hazard_ids: list[str], deadline: datetime | str | None = None,
                     basis: str | None = None, note: str | None = None) -> str:
        """Queue a rectification notice to one company for these hazards (officer). Returns its id; the
        number comes from the server after sync."""
        notice_id = self.recorder.issue_notice(organization_id=organization_id, hazard_ids=hazard_ids,
                                               deadline=deadline, basis=basis, note=note)
        self.engine.request_sync()
        return notice_id

    def acknowledge_notice(self, notice_id: str) -> None:
        """Queue the receipt (签收) of a notice (property users); idempotent."""
        self.recorder.acknowledge_notice(notice_id)
        self.engine.request_sync()

    # ---- sync: what is left, what went wrong ---------------------------------------------------------

    def pending_count(self) -> int:
        """Items saved on the phone and not yet accepted by the server (excludes needs-attention)."""
        return self.outbox.pending_count()

    def needs_attention(self) -> list[dict[str, Any]]:
        """Items the server refused, with its sentence, then items waiting on them:
        [{id, kind, label, state: needs_attention|waiting, status, code, message, waiting_on}]."""
        return self.outbox.attention_items()

    def retry_item(self, item_id: str) -> None:
        """Send a refused item again (after its cause was fixed)."""
        self.outbox.retry(item_id)
        self.engine.request_sync()

    def discard_item(self, item_id: str) -> list[str]:
        """Give up an unsent item and everything that depends on it (the hazards a discarded inspection
        would have raised disappear too). Returns the ids discarded."""
        doomed = self.outbox.discard(item_id)
        if doomed:
            marks = ",".join("?" * len(doomed))
            with self.store.write() as tx:
                tx.execute(f"DELETE FROM hazard WHERE provisional = 1 AND (id IN ({marks}) OR "  # noqa: S608
                           f"json_extract(data, '$.inspection_id') IN ({marks}))", doomed + doomed)
        return doomed

    def conflicts(self) -> list[dict[str, Any]]:
        """Transitions refused because the hazard changed on the server (412):
        [{id, hazard_id, attempted: {action, base_version, ...}, server_hazard, detail, created_at}]."""
        return self.engine.conflicts()

    def resolve_conflict(self, conflict_id: str, *, retry: bool) -> str | None:
        """retry=True: queue the same action again on the hazard's current version (a new transition id,
        returned); retry=False: drop it. Either way the conflict leaves the list."""
        return self.engine.resolve_conflict(conflict_id, retry=retry, recorder=self.recorder,
                                            role=(self.signed_in_user() or {}).get("role", "officer"))

    def sync_status(self) -> dict[str, Any]:
        """{state: idle|syncing|offline|error|signed_out, pending, needs_attention, conflicts,
        last_success_at, last_attempt_at, last_error, progress: {done, total, bytes_done, bytes_total,
        current}}."""
        return self.engine.status()

    def add_sync_listener(self, callback: Callable[[SyncProgress], None]) -> None:
        """callback(progress) on every step of a sync (FROM THE SYNC THREAD)."""
        self.engine.add_listener(callback)

    def start_sync(self, interval: float = 60.0) -> None:
        """Sync in a background thread every `interval` seconds and whenever work is saved."""
        self.engine.start_background(interval)

    def stop_sync(self) -> None:
        self.engine.stop()

    def request_sync(self) -> None:
        """Wake the background sync now ("Sync now" button), ignoring backoff."""
        self.engine.request_sync(force=True)

    def sync_now(self, *, refresh_reference: bool = False,
                 progress: Callable[[SyncProgress], None] | None = None) -> dict[str, Any]:
        """NETWORK, blocking. One full sync (push, then pull changes; sites, checklists and rounds too
        when older than 15 min or refresh_reference=True), ignoring backoff. `progress` is called like
        a sync listener, for this run only. Returns sync_status()."""
        if progress is not None:
            self.engine.add_listener(progress)
        try:
            self.engine.run_once(force=True, refresh_reference=refresh_reference)
        finally:
            if progress is not None:
                self.engine.remove_listener(progress)
        return self.engine.status()


__all__ = ["Services", "PendingWork", "ApiError", "ChecklistRun", "iso_week"]
