"""Signing in and out, the UI's own preferences, and sync: what is left, what went wrong, when to send."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mobile.services.api import ApiClient, ApiError, Tokens
from mobile.services.checklist_run import ChecklistRun
from mobile.services.outbox import Outbox
from mobile.services.phone.presentation import language_from_server
from mobile.services.records import Recorder
from mobile.services.scheduler import SyncScheduler
from mobile.services.store import Store
from mobile.services.sync import SyncEngine, SyncProgress

FAILED_SYNC_STATES = ("offline", "error", "signed_out")


class PendingWork(RuntimeError):
    """Signing out would throw away work not yet on the server."""


class SessionAndSync:
    """The part of Phone that knows who is signed in and moves work to and from the server."""

    store: Store
    outbox: Outbox
    recorder: Recorder
    api: ApiClient
    engine: SyncEngine
    scheduler: SyncScheduler
    auto_sync: bool
    _runs: dict[str, ChecklistRun]
    _prefs_path: Path
    _prefs: dict[str, Any]
    _prefs_lock: threading.Lock

    # ---- UI preferences (kept outside the user's data: a sign-out wipes that) -------------------------

    def _read_prefs(self) -> dict[str, Any]:
        try:
            return json.loads(self._prefs_path.read_text())
        except (OSError, ValueError):
            return {}

    def _save_prefs(self, **changes: Any) -> None:
        with self._prefs_lock:
            self._prefs.update(changes)
            tmp = self._prefs_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self._prefs, ensure_ascii=False))
            tmp.replace(self._prefs_path)

    def last_server_url(self) -> str:
        return (self.last_sign_in() or {}).get("server_url") or ""

    def last_username(self) -> str:
        return (self.last_sign_in() or {}).get("username") or ""

    def preferred_language(self) -> str | None:
        if self._prefs.get("language"):
            return self._prefs["language"]
        return language_from_server((self.signed_in_user() or {}).get("language"))

    def set_language(self, lang: str) -> None:
        self._save_prefs(language=lang)
        self.api.language = "en" if lang == "en" else "zh-CN"

    # ---- session ---------------------------------------------------------------------------------

    def restore_session(self) -> dict[str, Any] | None:
        """The user from the last sign-in (works offline), syncing from now on when auto_sync; or None."""
        user = self.signed_in_user()
        if user and self.auto_sync:
            self.scheduler.start()
        return user

    def sign_in(self, server_url: str, username: str, password: str) -> dict[str, Any]:
        """NETWORK. Sign in, then fetch what the phone needs to work offline (me, sites, checklists,
        this week's rounds, visible hazards and notices). Returns me: {id, username, role,
        organization_id, site_ids, display_name, language}. Raises ApiError (401 "wrong password"
        sentence in .message; retryable=True when the server cannot be reached) or PendingWork when
        another user's unsent work is on this phone."""
        current = self.store.get("session") or {}
        if current.get("username") and current["username"] != username and self.outbox.pending_count():
            raise PendingWork(
                f"{current['username']} has work on this phone that is not yet sent; sign in as "
                f"{current['username']} and sync first."
            )
        if server_url.rstrip("/") != self.api.server_url:
            old = self.api
            self.api = ApiClient(server_url, on_tokens=self._save_tokens, timeout=old.timeout)
            self.api.language = old.language
            self.engine.api = self.api
            old.close()
        tokens = self.api.login(username, password)
        me = self.api.get_json("/me")
        if current.get("user_id") and current["user_id"] != me["id"]:
            self.store.wipe_user_data()
        self.store.put(
            "session",
            {
                "server_url": self.api.server_url,
                "username": username,
                "user_id": me["id"],
                "tokens": tokens.as_dict(),
                "me": me,
            },
        )
        self.store.put("last_sign_in", {"server_url": self.api.server_url, "username": username})
        self.engine.refresh_reference_data()
        self.engine.pull_changes()
        self.engine.pull_intake()
        if self.auto_sync:
            self.scheduler.start()
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
        self.scheduler.stop()
        self._runs.clear()
        self.api.logout()
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

    # ---- sync: when ------------------------------------------------------------------------------------

    def _saved(self) -> None:
        """A record and its outbox rows were saved: the scheduler sends them soon (when syncing automatically)."""
        self.scheduler.saved()

    def start_sync(self, interval: float | None = None) -> None:
        """Sync in the background from now on: every `interval` seconds and whenever work is saved."""
        self.scheduler.start(interval)

    def stop_sync(self) -> None:
        self.scheduler.stop()

    def request_sync(self, on_done: Callable[[dict[str, Any]], None] | None = None) -> None:
        """ "Sync now", without waiting: one run ignoring backoff, as soon as no other run is going on.
        on_done(sync_status()) is called FROM THE SYNC THREAD after it."""
        self.scheduler.request(on_done=on_done)

    def sync_now(self, *, refresh_reference: bool = False) -> dict[str, Any]:
        """NETWORK, blocking. One full sync (push, then pull changes; sites, checklists and rounds too
        when older than 15 min or refresh_reference=True), ignoring backoff, on the sync thread (after
        a run going on, never beside it). Returns sync_status()."""
        return self.scheduler.run_now(refresh_reference=refresh_reference)

    def sync_busy(self) -> bool:
        """A sync is running or asked for (in memory: fine on the UI thread)."""
        return self.scheduler.busy

    def add_sync_listener(self, callback: Callable[[SyncProgress], None]) -> None:
        """callback(progress) on every step of every sync, whoever asked for it (FROM THE SYNC THREAD)."""
        self.scheduler.add_listener(callback)

    def remove_sync_listener(self, callback: Callable[[SyncProgress], None]) -> None:
        self.scheduler.remove_listener(callback)

    @staticmethod
    def sync_failure(state: str | None, error: str | None) -> ApiError | None:
        """Why a finished sync (its final state and error) did not get through, as an error a screen can
        explain; None if it did."""
        if state in FAILED_SYNC_STATES and error:
            return ApiError(0, state, error, retryable=state == "offline")
        return None

    # ---- sync: what is left, what went wrong ---------------------------------------------------------

    def sync_status(self) -> dict[str, Any]:
        """{state: idle|syncing|offline|error|signed_out, pending, needs_attention, conflicts,
        last_success_at, last_attempt_at, last_error, progress: {done, total, bytes_done, bytes_total,
        current}}."""
        return self.engine.status()

    def sync_summary(self) -> dict[str, Any]:
        """What the sync bar shows: {pending, last_sync, state, attention: needs_attention()}."""
        status = self.engine.status()
        return {
            "pending": status.get("pending", 0),
            "last_sync": status.get("last_success_at") or "",
            "state": status.get("state"),
            "attention": self.needs_attention(),
        }

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
        self._saved()

    def discard_item(self, item_id: str) -> list[str]:
        """Give up an unsent item and everything that depends on it (the hazards a discarded inspection
        would have raised disappear too). Returns the ids discarded."""
        doomed = self.outbox.discard(item_id)
        if doomed:
            marks = ",".join("?" * len(doomed))
            with self.store.write() as tx:
                tx.execute(
                    f"DELETE FROM hazard WHERE provisional = 1 AND (id IN ({marks}) OR "  # noqa: S608
                    f"json_extract(data, '$.inspection_id') IN ({marks}))",
                    doomed + doomed,
                )
        return doomed

    def conflicts(self) -> list[dict[str, Any]]:
        """Transitions refused because the hazard changed on the server (412):
        [{id, hazard_id, attempted: {action, base_version, ...}, server_hazard, detail, created_at}]."""
        return self.engine.conflicts()

    def resolve_conflict(self, conflict_id: str, *, retry: bool) -> str | None:
        """retry=True: queue the same action again on the hazard's current version (a new transition id,
        returned); retry=False: drop it. Either way the conflict leaves the list."""
        new_id = self.engine.resolve_conflict(
            conflict_id, retry=retry, recorder=self.recorder, role=(self.signed_in_user() or {}).get("role", "officer")
        )
        self._saved()
        return new_id
