"""Phone: the app's one application layer, and the one object screens talk to.

It owns the local store, the outbox, the recorder, the API client, the sync engine and the one sync
scheduler, and the UI's own preferences (language). Screens call it through `app.tasks` on a worker
thread; the methods are split by concern:

- session.py       signing in and out, preferences, sync (when, how it went, what needs attention)
- rounds.py        sites, checklists, the week's rounds, checklist runs
- hazards.py       hazards and their steps, photos, notices, trainings
- intake.py        reports of problems (grid workers) and the officer's intake queue
- presentation.py  pure helpers that turn cached records into what screens show

Rules for callers:
- Every method may block on SQLite or image scaling; those marked NETWORK talk to the server.
- Every record method saves the record and its outbox rows in one local transaction, then tells the
  scheduler; with auto_sync it is sent soon. Work is never lost when the app is killed.
- Sync listeners (add_sync_listener) are called from the sync thread: hop back to the UI thread
  before touching widgets.
- Invalid input raises ValueError (IncompleteRun, RuleViolation are ValueErrors) whose message is
  a sentence for the officer; network failures raise ApiError.
"""

from __future__ import annotations

import threading
from pathlib import Path

from mobile.services.api import ApiClient, Tokens
from mobile.services.checklist_run import ChecklistRun
from mobile.services.intake import IntakeRecorder
from mobile.services.outbox import Outbox
from mobile.services.phone.hazards import HazardsAndNotices
from mobile.services.phone.intake import IntakeReports
from mobile.services.phone.joint import JointAndRevisits
from mobile.services.phone.rounds import CATEGORIES, RoundsAndRuns, iso_week
from mobile.services.phone.session import PendingWork, SessionAndSync
from mobile.services.records import Recorder
from mobile.services.scheduler import SyncScheduler
from mobile.services.store import Store
from mobile.services.sync import SyncEngine


class Phone(SessionAndSync, RoundsAndRuns, HazardsAndNotices, IntakeReports, JointAndRevisits):
    """One phone (one data dir): store, outbox, recorder, API client, sync engine and scheduler.

    `server_url` is used until the first sign-in; after it, the server signed in to is kept in the
    data dir and used on every start (sign_in with another url switches). With auto_sync the phone
    syncs by itself once signed in (after every saved record, every `sync_interval` seconds, when a
    backed-off item falls due); without it only when asked (request_sync, sync_now).
    backoff_base/backoff_cap (seconds) shape the retry waits after failures; `timeout` bounds each
    wait for the server."""

    def __init__(
        self,
        data_dir: str | Path,
        server_url: str | None = None,
        *,
        auto_sync: bool = False,
        sync_interval: float = 60.0,
        backoff_base: float = 5.0,
        backoff_cap: float = 900.0,
        timeout: float = 60.0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(self.data_dir)
        self.outbox = Outbox(self.store)
        self.recorder = Recorder(self.store, self.outbox)
        self.intake_recorder = IntakeRecorder(self.store, self.outbox, self.recorder)
        session = self.store.get("session") or {}
        last = self.store.get("last_sign_in") or {}
        url = session.get("server_url") or server_url or last.get("server_url") or "http://127.0.0.1:8000"
        self.api = ApiClient(
            url, tokens=Tokens.from_dict(session.get("tokens")), on_tokens=self._save_tokens, timeout=timeout
        )
        self.engine = SyncEngine(self.store, self.api, self.outbox, backoff_base=backoff_base, backoff_cap=backoff_cap)
        self.scheduler = SyncScheduler(self.engine, interval=sync_interval)
        self.auto_sync = auto_sync
        self.thumbs_dir = self.data_dir / "thumbs"
        self.thumbs_dir.mkdir(exist_ok=True)
        self._runs: dict[str, ChecklistRun] = {}
        self._prefs_path = self.data_dir / "ui.json"
        self._prefs_lock = threading.Lock()
        self._prefs = self._read_prefs()
        self.api.language = "en" if self.preferred_language() == "en" else "zh-CN"

    def close(self) -> None:
        """Stop syncing and close files and connections."""
        self.scheduler.stop()
        self.api.close()
        self.store.close()


__all__ = ["CATEGORIES", "Phone", "PendingWork", "iso_week"]
