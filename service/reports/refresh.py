"""Report computations in worker threads, at most one of each kind at a time per process.

A request waits for its computation only up to a time limit; the thread then finishes on its
own and stores its report. A second request for the same kind meanwhile waits on the same
computation instead of starting another, so slow refreshes cannot pile up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, wait


class Refresher:
    """Starts a report computation per kind unless one is already running."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, Future[int]] = {}

    def start(self, kind: str, work: Callable[[], int]) -> Future[int]:
        """The running computation of ``kind``, or ``work`` started in a new worker thread."""
        with self._lock:
            running = self._running.get(kind)
            if running is not None and not running.done():
                return running
            future: Future[int] = Future()
            self._running[kind] = future
        thread = threading.Thread(
            target=_run, args=(future, work), name=f"triage-report-{kind}", daemon=True
        )
        thread.start()
        return future

    def wait(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the running computations to end (each stores its
        report through the service's pool, which must stay open until they are done)."""
        with self._lock:
            running = list(self._running.values())
        wait(running, timeout=timeout)


def _run(future: Future[int], work: Callable[[], int]) -> None:
    future.set_running_or_notify_cancel()
    try:
        future.set_result(work())
    except BaseException as error:  # handed to whoever waits on the future
        future.set_exception(error)
