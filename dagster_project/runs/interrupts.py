"""SIGTERM stops a run like Ctrl-C does.

Python turns Ctrl-C (SIGINT) into ``KeyboardInterrupt`` (and Dagster, during
a run, into a clean stop between events), but ends the process at once on
SIGTERM, skipping every ``finally``. While :func:`sigterm_as_interrupt` is
active, SIGTERM calls the SIGINT handler, so ``kill`` and a service manager's
stop end a run or a wait the same clean way as Ctrl-C, also in a process
started with SIGINT ignored.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():  # signal handlers belong to the main thread
        yield
        return
    previous = signal.signal(signal.SIGTERM, _as_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _as_interrupt(_signo: int, frame) -> None:
    """What Ctrl-C would do now: the SIGINT handler in place (Python's KeyboardInterrupt, or Dagster's clean stop
    during a run), called directly. A process started with SIGINT ignored (a background job of a shell
    script, a test runner's worker) has no handler to call: KeyboardInterrupt is raised all the same."""
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)
    else:
        raise KeyboardInterrupt
