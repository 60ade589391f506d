"""Run blocking work (HTTP, SQLite, image scaling) off the UI thread and come back through the Clock."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from kivy.clock import Clock

log = logging.getLogger("saferound.app")


class Background:
    """The `io` lane for local reads and writes and short server calls (sign-in, a hazard's detail). Syncs
    do not run here: the phone's SyncScheduler has a thread of its own for them.

    Callbacks run on the UI thread (Clock.schedule_once), so they may touch widgets.
    """

    def __init__(self) -> None:
        self._lanes = {
            "io": ThreadPoolExecutor(1, thread_name_prefix="saferound-io"),
            # reads that wait on the server (a site's history): never queued behind, nor ahead of, local work
            "net": ThreadPoolExecutor(1, thread_name_prefix="saferound-net"),
        }
        self._busy = {lane: 0 for lane in self._lanes}
        self._lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        """Tasks started and not yet called back, on all lanes."""
        return sum(self._busy.values())

    def busy(self, lane: str) -> int:
        return self._busy[lane]

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        lane: str = "io",
        **kwargs: Any,
    ) -> Future:
        with self._lock:
            self._busy[lane] += 1
        future = self._lanes[lane].submit(fn, *args, **kwargs)

        def back_on_ui_thread(_dt: float) -> None:
            try:
                error = future.exception()
                if error is None:
                    if on_done is not None:
                        on_done(future.result())
                elif on_error is not None:
                    on_error(error)
                else:
                    log.error("background task failed", exc_info=error)
            finally:
                with self._lock:
                    self._busy[lane] -= 1

        future.add_done_callback(lambda _f: Clock.schedule_once(back_on_ui_thread, 0))
        return future

    def shutdown(self) -> None:
        for lane in self._lanes.values():
            lane.shutdown(wait=False, cancel_futures=True)
