"""SyncEngine: push the outbox in order, then pull what changed into the cache.

- Every row goes with its own client UUID on every try; the server answers a replay with 200,
  so a row left "sending" by a killed process is simply sent again.
- Retryable failures (no network, timeout, 5xx, 429) back off exponentially with jitter; when the
  link is down the run stops rather than burning every row's attempts.
- A permanent refusal (4xx) moves the row to needs_attention with the server's sentence; rows that
  depend on it wait, unrelated rows go on.
- A 412 on a transition stores the server's current hazard and a conflict for the officer to resolve.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from mobile.services.api import ApiClient, ApiError, SessionExpired
from mobile.services.intake import DECISION_KINDS, DECISIONS, INTAKE_KINDS, REVISIT
from mobile.services.outbox import NEEDS_ATTENTION, Outbox, OutboxRow
from mobile.services.store import Store, dumps, now_iso
from rulebook import weeks

log = logging.getLogger("saferound.sync")
REFERENCE_REFRESH_SECONDS = 15 * 60
# Statuses that mean "the server as a whole is not able to take work now": stop the run.
STOP_STATUSES = frozenset({429, 502, 503, 504})
# Roles that report problems or decide on them: their phones keep the intake reports they see.
INTAKE_ROLES = frozenset({"gridworker", "officer", "admin"})
INTAKE_PAGE = 200  # the intake list's largest page
INTAKE_FOLLOWUPS = DECISION_KINDS | {REVISIT}


class PhotoFileMissing(Exception):
    """The file an upload row names is gone from the data dir."""

    @property
    def strerror(self) -> str:
        return str(self)


@dataclass
class SyncProgress:
    state: str  # syncing | idle | offline | error | signed_out
    phase: str  # push | pull | done
    done: int = 0  # outbox items accepted this run
    total: int = 0  # outbox items open when the run started
    bytes_done: int = 0
    bytes_total: int = 0
    current: str = ""  # label of the item being sent
    error: str = ""  # when a run ends offline | error | signed_out: the sentence why

    @property
    def fraction(self) -> float:
        return self.bytes_done / self.bytes_total if self.bytes_total else (self.done / self.total if self.total else 1)


class SyncEngine:
    def __init__(
        self,
        store: Store,
        api: ApiClient,
        outbox: Outbox,
        *,
        backoff_base: float = 5.0,
        backoff_cap: float = 900.0,
        rng: random.Random | None = None,
    ):
        self.store = store
        self.api = api
        self.outbox = outbox
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.rng = rng or random.Random()
        self._run_lock = threading.Lock()
        self._listeners: list[Callable[[SyncProgress], None]] = []
        self._progress = SyncProgress("idle", "done")
        self._stopping = threading.Event()

    # ---- one run -----------------------------------------------------------------------------------

    def run_once(self, *, force: bool = False, refresh_reference: bool = False) -> SyncProgress:
        """Push every due outbox row, then pull changes, and sites/checklists/rounds when older than
        15 minutes (or refresh_reference=True). force=True ignores backoff times ("Sync now")."""
        with self._run_lock:
            self.outbox.recover_interrupted()
            self._record(last_attempt_at=now_iso())
            rows = self.outbox.rows("pending", "sending")
            progress = SyncProgress("syncing", "push", total=len(rows), bytes_total=sum(r.bytes for r in rows))
            self._emit(progress)
            try:
                outcome = self._push(progress, force=force)
                if outcome == "ok":
                    progress.phase = "pull"
                    self._emit(progress)
                    self.pull_changes()
                    self.pull_intake()
                    if refresh_reference or self._reference_stale():
                        self.refresh_reference_data()
                    self._record(last_success_at=now_iso(), last_error=None)
                    progress.state = "idle"
                else:
                    progress.state = outcome
            except SessionExpired as exc:
                progress.state = "signed_out"
                self._record(last_error=exc.message)
            except ApiError as exc:
                progress.state = "offline" if exc.retryable else "error"
                self._record(last_error=exc.message)
            except Exception as exc:  # noqa: BLE001 - a sync bug must not kill the background thread
                log.exception("sync run failed")
                progress.state = "error"
                self._record(last_error=f"{type(exc).__name__}: {exc}")
            progress.phase = "done"
            progress.current = ""
            if progress.state != "idle":
                progress.error = self._status().get("last_error") or ""
            self._emit(progress)
            return progress

    def _push(self, progress: SyncProgress, *, force: bool) -> str:
        skip: set[str] = set()
        while not self._stopping.is_set():
            row = self.outbox.next_due(ignore_backoff=force, skip=skip)
            if row is None:
                return "ok"
            progress.current = row.label or row.kind
            self._emit(progress)
            self.outbox.mark_sending(row.id)
            try:
                status, body = self._send(row)
            except PhotoFileMissing as exc:  # no retry can help
                self.outbox.mark_needs_attention(
                    row.id,
                    status=0,
                    code="photo_file_missing",
                    message=f"The photo file is missing on this phone ({exc.strerror}).",
                )
                continue
            except SessionExpired as exc:
                self.outbox.put_back(row.id)
                self._record(last_error=exc.message)
                return "signed_out"
            except ApiError as exc:
                if exc.status == 412 and row.kind == "transition":
                    self._record_conflict(row, exc)
                elif exc.retryable:
                    self.outbox.retry_later(
                        row.id,
                        delay=self._backoff(row.attempts + 1),
                        status=exc.status,
                        code=exc.code,
                        message=exc.message,
                    )
                    if exc.is_network or exc.status in STOP_STATUSES:
                        self._record(last_error=exc.message)
                        return "offline"
                    skip.add(row.id)  # a 500 on this row: others may still go
                elif (done := self._already_on_server(row, exc)) is not None:
                    with self.store.write() as tx:
                        self.outbox.mark_done(tx, row.id, status=200, response=done)
                        self.store.upsert_intake([done], tx)
                else:
                    self.outbox.mark_needs_attention(
                        row.id, status=exc.status, code=exc.code, message=exc.message, params=exc.params
                    )
                continue
            with self.store.write() as tx:
                self.outbox.mark_done(tx, row.id, status=status, response=body)
                self._apply_response(tx, row, body)
            progress.done += 1
            progress.bytes_done += row.bytes
            # Work saved during the run is sent in it too: the total grows with it.
            progress.total = max(progress.total, progress.done + self.outbox.pending_count())
            progress.bytes_total = max(progress.bytes_total, progress.bytes_done + self.outbox.open_bytes())
            self._emit(progress)
        return "idle"

    def _send(self, row: OutboxRow) -> tuple[int, Any]:
        if row.file_path:
            try:
                data = (self.store.photos_dir / row.file_path).read_bytes()
            except OSError as exc:
                raise PhotoFileMissing(exc.strerror or str(exc)) from exc
            response = self.api.request(
                row.method, row.path, data=row.form or {}, files={"file": (row.file_path, data, "image/jpeg")}
            )
        elif row.body is not None:
            response = self.api.request(
                row.method, row.path, content=row.body.encode(), headers={"Content-Type": "application/json"}
            )
        else:
            response = self.api.request(row.method, row.path)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    def _apply_response(self, tx: Any, row: OutboxRow, body: Any) -> None:
        if not isinstance(body, dict):
            return
        if row.kind in ("transition", "hazard_report") and "status" in body:
            self.store.upsert_hazards([body], tx)
        elif row.kind in ("notice", "acknowledge") and "number" in body:
            self.store.upsert_notices([body], tx)
        elif row.kind in INTAKE_KINDS:
            if "tracking_code" in body or body.get("kind") in ("report", "reopen_request"):
                self.store.upsert_intake([body], tx)
            elif "version" in body and "severity" in body:  # an accept may answer with the hazard it raised
                self.store.upsert_hazards([body], tx)
        elif row.kind == "revisit" and "status" in body:  # answered: no longer due
            due = [r for r in self.store.get("revisits_due") or [] if r.get("id") != body.get("id")]
            self.store.put("revisits_due", due, tx)

    def _already_on_server(self, row: OutboxRow, exc: ApiError) -> dict[str, Any] | None:
        """A decision or an answer on a report is a POST: sent again after its answer was lost, the server
        refuses it (409) because it is done. When the report shows exactly what this row asked for, the row
        is done (the report as the server has it); otherwise None (someone else decided: the refusal stands)."""
        if exc.status != 409 or row.kind not in INTAKE_FOLLOWUPS or not row.body:
            return None
        report_id = row.path.split("/")[3]
        try:
            report = self.api.get_json(f"/intake/reports/{report_id}")
        except ApiError:
            return None
        asked = json.loads(row.body)
        if row.kind == REVISIT:
            wanted = {"revisit_answer": "fixed" if asked.get("fixed") else "not_fixed"}
        else:
            action = row.kind.removeprefix("intake_")
            wanted = {"status": DECISIONS[action]}
            if action == "merge":
                wanted["hazard_id"] = asked.get("hazard_id")
            if action == "decline":
                wanted["decline_reason"] = asked.get("reason")
        return report if all(str(report.get(k)) == str(v) for k, v in wanted.items()) else None

    def _backoff(self, attempts: int) -> float:
        """Exponential with jitter: half the step fixed, half random, so phones do not retry in lockstep."""
        step = min(self.backoff_cap, self.backoff_base * 2 ** max(attempts - 1, 0))
        return step / 2 + self.rng.uniform(0, step / 2)

    # ---- conflicts ------------------------------------------------------------------------------------

    def _record_conflict(self, row: OutboxRow, exc: ApiError) -> None:
        current = exc.body.get("hazard")
        with self.store.write() as tx:
            if isinstance(current, dict) and current.get("id"):
                self.store.upsert_hazards([current], tx)
            tx.execute(
                "INSERT OR REPLACE INTO conflict (id, hazard_id, attempted, server_hazard, detail, created_at) "
                "VALUES (?,?,?,?,?,?)",
                (row.id, row.hazard_id, row.body or "{}", dumps(current) if current else None, exc.message, now_iso()),
            )
            self.outbox.mark_needs_attention(
                row.id, status=exc.status, code=exc.code, message=exc.message, params=exc.params, conn=tx
            )

    def conflicts(self) -> list[dict[str, Any]]:
        return [
            {
                "id": r["id"],
                "hazard_id": r["hazard_id"],
                "attempted": json.loads(r["attempted"]),
                "server_hazard": json.loads(r["server_hazard"]) if r["server_hazard"] else None,
                "detail": r["detail"],
                "created_at": r["created_at"],
            }
            for r in self.store.rows("SELECT * FROM conflict WHERE resolved_at IS NULL ORDER BY created_at")
        ]

    def resolve_conflict(self, conflict_id: str, *, retry: bool, recorder: Any, role: str) -> str | None:
        found = self.store.row("SELECT * FROM conflict WHERE id = ? AND resolved_at IS NULL", (conflict_id,))
        if found is None:
            raise KeyError(f"No open conflict {conflict_id}.")
        attempted = json.loads(found["attempted"])
        new_id = None
        with self.store.write() as tx:
            if retry:
                # Rows queued after the refused one (they depend on it) now wait on the new decision instead.
                later = self._dependents(tx, conflict_id)
                tx.execute(
                    "UPDATE outbox SET state = 'discarded', updated_at = ? WHERE id = ?", (now_iso(), conflict_id)
                )
                new_id = recorder.transition(
                    found["hazard_id"],
                    attempted["action"],
                    role=role,
                    note=attempted.get("note"),
                    photo_ids=attempted.get("photo_ids", []),
                    deadline=attempted.get("deadline"),
                    ignore=frozenset(later),
                )
                for row_id in later:
                    deps = json.loads(tx.execute("SELECT depends_on FROM outbox WHERE id = ?", (row_id,)).fetchone()[0])
                    deps = sorted({new_id if d == conflict_id else d for d in deps})
                    tx.execute("UPDATE outbox SET depends_on = ? WHERE id = ?", (dumps(deps), row_id))
            else:
                self.outbox.discard(conflict_id)
            tx.execute(
                "UPDATE conflict SET resolved_at = ?, resolution = ? WHERE id = ?",
                (now_iso(), "retried" if retry else "dropped", conflict_id),
            )
        return new_id

    @staticmethod
    def _dependents(tx: Any, row_id: str) -> set[str]:
        """Open rows that depend on `row_id`, directly or through others."""
        open_rows = {
            r["id"]: set(json.loads(r["depends_on"]))
            for r in tx.execute("SELECT id, depends_on FROM outbox WHERE state NOT IN ('done', 'discarded')")
        }
        found: set[str] = set()
        frontier = {row_id}
        while frontier:
            frontier = {rid for rid, deps in open_rows.items() if deps & frontier and rid not in found}
            found |= frontier
        return found

    # ---- pulling -------------------------------------------------------------------------------------

    def pull_changes(self) -> int:
        """GET /sync/changes from the saved cursor until has_more is false. Returns items received."""
        received = 0
        for _ in range(1000):  # a bound, in case a server keeps saying has_more
            cursor = self.store.get("changes_cursor")
            page = self.api.get_json("/sync/changes", since=cursor)
            with self.store.write() as tx:
                self.store.upsert_hazards(page.get("hazards") or [], tx)
                self.store.upsert_notices(page.get("notices") or [], tx)
                if page.get("cursor") is not None:
                    self.store.put("changes_cursor", page["cursor"], tx)
            received += len(page.get("hazards") or []) + len(page.get("notices") or [])
            if not page.get("has_more") or page.get("cursor") in (None, cursor):
                break
        self.pull_revisits()
        return received

    def pull_intake(self) -> int:
        """The intake reports this user sees, replacing the cached ones: a grid worker's own; of an officer's
        sites, those waiting and the latest 200. A server without intake (404) or a role without it (403)
        has none. Returns how many."""
        role = ((self.store.get("session") or {}).get("me") or {}).get("role")
        if role not in INTAKE_ROLES:
            return 0
        try:
            if role == "gridworker":  # their own reports, all of them
                reports = self.api.get_all("/intake/reports", page_size=INTAKE_PAGE)
            else:  # the whole queue, and the latest page of everything (what was decided lately)
                reports = self.api.get_all("/intake/reports", page_size=INTAKE_PAGE, status="pending")
                latest = self.api.get_json("/intake/reports", limit=INTAKE_PAGE)["items"]
                waiting = {r["id"] for r in reports}
                reports += [r for r in latest if r["id"] not in waiting]
        except ApiError as exc:
            if exc.status in (403, 404) and exc.code != "session_expired":
                return 0
            raise
        self.store.replace_intake(reports)
        return len(reports)

    def pull_revisits(self) -> int:
        """An officer's revisits (回访) due now, kept for offline use (replaced on every sync)."""
        role = ((self.store.get("session") or {}).get("me") or {}).get("role")
        if role != "officer":
            return 0
        items = self.api.get_all("/revisits", status="due")
        self.store.put("revisits_due", items)
        return len(items)

    def refresh_reference_data(self) -> None:
        """Me, sites, current checklists (each version fetched once and kept), this week's rounds."""
        me = self.api.get_json("/me")
        session = self.store.get("session") or {}
        if session:
            session["me"] = me
            self.store.put("session", session)
        self.store.replace_sites(self.api.get_all("/sites"))
        have = self.store.checklist_versions()
        for summary in self.api.get_json("/checklists"):
            key = (summary["category"], int(summary["version"]))
            if key not in have:
                self.store.save_checklist(self.api.get_json(f"/checklists/{key[0]}", version=key[1]), current=True)
            else:
                self.store.save_checklist(self.store.checklist(*key), current=True)
        if me.get("role") in ("officer", "admin"):
            name = weeks.week_of(None, weeks.zone())  # this week, counted as the server counts it
            self.store.save_rounds(name, self.api.get_json("/rounds", week=name))
        self._record(reference_at=time.time())

    def fetch_hazard(self, hazard_id: str) -> dict[str, Any]:
        detail = self.api.get_json(f"/hazards/{hazard_id}")
        self.store.upsert_hazards([detail], detailed=True)
        return detail

    def _reference_stale(self) -> bool:
        return time.time() - float(self._status().get("reference_at") or 0) > REFERENCE_REFRESH_SECONDS

    # ---- stopping ------------------------------------------------------------------------------------

    def stop(self, timeout: float = 30.0) -> None:
        """End a run in flight after its current call. Afterwards the engine is idle, not dead: run_once()
        works again (e.g. after a new sign-in). When to run is the SyncScheduler's business."""
        self._stopping.set()
        if self._run_lock.acquire(timeout=timeout):  # a run in flight ends its push, then we re-arm
            try:
                self._stopping.clear()
            finally:
                self._run_lock.release()

    def seconds_until_due(self) -> float | None:
        """How long until a backed-off row may be sent again; None when none waits or the link is down."""
        soonest = self.store.scalar("SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'")
        if soonest is None or self._progress.state in ("offline", "signed_out"):
            return None
        return max(0.2, soonest - time.time())

    # ---- status ---------------------------------------------------------------------------------------

    def add_listener(self, callback: Callable[[SyncProgress], None]) -> None:
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[SyncProgress], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def _emit(self, progress: SyncProgress) -> None:
        self._progress = SyncProgress(**asdict(progress))
        for callback in list(self._listeners):
            try:
                callback(self._progress)
            except Exception:  # noqa: BLE001 - a UI bug must not stop the sync
                log.exception("sync listener failed")

    def _status(self) -> dict[str, Any]:
        return self.store.get("sync_status") or {}

    def _record(self, **fields: Any) -> None:
        with self.store.write() as tx:
            row = tx.execute("SELECT value FROM kv WHERE key = 'sync_status'").fetchone()
            status = json.loads(row[0]) if row else {}
            status.update(fields)
            self.store.put("sync_status", status, tx)

    def status(self) -> dict[str, Any]:
        saved = self._status()
        progress = self._progress
        return {
            "state": progress.state,
            "pending": self.outbox.pending_count(),
            "needs_attention": len(self.outbox.rows(NEEDS_ATTENTION)),
            "conflicts": self.store.scalar("SELECT COUNT(*) FROM conflict WHERE resolved_at IS NULL"),
            "last_success_at": saved.get("last_success_at"),
            "last_attempt_at": saved.get("last_attempt_at"),
            "last_error": saved.get("last_error"),
            "progress": {
                "done": progress.done,
                "total": progress.total,
                "bytes_done": progress.bytes_done,
                "bytes_total": progress.bytes_total,
                "current": progress.current,
            },
        }
