"""SIGTERM stops a run like Ctrl-C does.

Python turns Ctrl-C (SIGINT) into ``KeyboardInterrupt`` (and Dagster, during
a run, into a clean stop between events), but ends the process at once on
SIGTERM, skipping every ``finally``. While :func:`sigterm_as_interrupt` is
active, SIGTERM is re-raised as SIGINT, so ``kill`` and a service manager's
stop end a run or a wait the same clean way as Ctrl-C.
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
    previous = signal.signal(signal.SIGTERM, lambda _signo, _frame: signal.raise_signal(signal.SIGINT))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
