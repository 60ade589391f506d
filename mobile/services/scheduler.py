"""SyncScheduler: the one place that decides when the phone syncs, and the one thread that does it.

- A run is asked for after a local write (`saved()`, only while automatic syncing is on), every
  `interval` seconds and when a backed-off row falls due (automatic), or on demand (`request()`,
  "Sync now"; `run_now()` waits for it).
- One run at a time: asking while a run is going on queues ONE more run after it (on-demand runs
  ignore backoff, which the running one may not), however often it is asked.
- Listeners hear every run's progress, whoever asked for it, from the sync thread. The final event
  of a run (phase "done") comes after the scheduler's own bookkeeping, so a listener that then asks
  `busy` learns whether another run is coming.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from mobile.services.sync import SyncEngine, SyncProgress

log = logging.getLogger("saferound.sync")
Listener = Callable[[SyncProgress], None]


class SyncScheduler:
    def __init__(self, engine: SyncEngine, *, interval: float = 60.0) -> None:
        self.engine = engine
        self.interval = interval
        self._listeners: list[Listener] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._automatic = False
        self._stopping = False
        self._running = False
        self._wanted = False
        self._force = False
        self._refresh_reference = False
        self._waiters: list[Callable[[dict[str, Any]], None]] = []
        self.runs_started = 0
        engine.add_listener(self._relay)

    # ---- who listens -------------------------------------------------------------------------------

    def add_listener(self, callback: Listener) -> None:
        """callback(progress) on every step of every run (FROM THE SYNC THREAD)."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Listener) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    @property
    def busy(self) -> bool:
        """A run is going on or asked for."""
        with self._cond:
            return self._running or self._wanted

    # ---- when to sync -------------------------------------------------------------------------------

    def start(self, interval: float | None = None) -> None:
        """Sync automatically from now on (after writes, every `interval` s, when backoff ends), at once first."""
        with self._cond:
            self.interval = interval or self.interval
            self._automatic = True
            self._ask(force=False)

    def saved(self) -> None:
        """Work was saved on the phone: send it soon (automatic syncing only)."""
        with self._cond:
            if self._automatic:
                self._ask(force=False)

    def request(
        self, *, refresh_reference: bool = False, on_done: Callable[[dict[str, Any]], None] | None = None
    ) -> None:
        """Sync now, ignoring backoff ("Sync now"). on_done(status) is called from the sync thread after
        the run that honours this request."""
        with self._cond:
            self._ask(force=True, refresh_reference=refresh_reference)
            if on_done is not None:
                self._waiters.append(on_done)

    def run_now(self, *, refresh_reference: bool = False, timeout: float | None = None) -> dict[str, Any]:
        """request() and wait for it: the engine's status after the run."""
        finished = threading.Event()
        result: dict[str, Any] = {}

        def done(status: dict[str, Any]) -> None:
            result.update(status)
            finished.set()

        self.request(refresh_reference=refresh_reference, on_done=done)
        if not finished.wait(timeout):
            raise TimeoutError("The sync did not finish in time.")
        return result

    def stop(self, timeout: float = 30.0) -> None:
        """Stop syncing: automatic syncing ends, a run in flight ends after its current call. A later
        request() or start() syncs again."""
        with self._cond:
            self._stopping = True
            self._automatic = False
            self._cond.notify_all()
            thread = self._thread
        self.engine.stop(timeout)
        if thread is not None:
            thread.join(timeout)
        with self._cond:
            self._thread = None
            self._stopping = False
            self._wanted = self._force = self._refresh_reference = False
            waiters, self._waiters = self._waiters, []
        if waiters:
            status = self.engine.status()
            for waiter in waiters:
                waiter(status)

    # ---- the thread ---------------------------------------------------------------------------------

    def _ask(self, *, force: bool, refresh_reference: bool = False) -> None:
        """With the lock held: want a run, and make sure the thread is there to do it."""
        self._wanted = True
        self._force = self._force or force
        self._refresh_reference = self._refresh_reference or refresh_reference
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="saferound-sync", daemon=True)
            self._thread.start()
        self._cond.notify_all()

    def _wait(self) -> float | None:
        """How long to sleep without a request: until the next periodic run or a backed-off row falls due."""
        if not self._automatic:
            return None
        due = self.engine.seconds_until_due()
        return self.interval if due is None else min(self.interval, due)

    def _loop(self) -> None:
        while True:
            wait = self._wait()  # reads the outbox: outside the lock
            with self._cond:
                if not self._wanted and not self._stopping:
                    if not self._cond.wait(wait) and self._automatic:
                        self._wanted = True  # the interval passed or a row fell due
                # A thread that outlived a stop() (its run took longer than the wait) leaves to the new one.
                if self._stopping or self._thread is not threading.current_thread():
                    return
                if not self._wanted:
                    continue
                force, refresh_reference = self._force, self._refresh_reference
                waiters, self._waiters = self._waiters, []
                self._wanted = self._force = self._refresh_reference = False
                self._running = True
                self.runs_started += 1
            status: dict[str, Any] = {}
            try:
                progress = self.engine.run_once(force=force, refresh_reference=refresh_reference)
                with self._cond:
                    self._running = False
                self._emit(progress)
                status = self.engine.status()
            except Exception:  # noqa: BLE001 - e.g. the store closed under a run: whoever waits must hear
                log.exception("sync run failed")
            finally:
                with self._cond:
                    self._running = False
            for waiter in waiters:
                try:
                    waiter(status)
                except Exception:  # noqa: BLE001 - a UI bug must not stop the sync
                    log.exception("sync waiter failed")

    def _relay(self, progress: SyncProgress) -> None:
        # A run's last event is told by _loop, once it is no longer running.
        if progress.phase != "done" or not self._running:
            self._emit(progress)

    def _emit(self, progress: SyncProgress) -> None:
        for callback in list(self._listeners):
            try:
                callback(progress)
            except Exception:  # noqa: BLE001 - a UI bug must not stop the sync
                log.exception("sync listener failed")
