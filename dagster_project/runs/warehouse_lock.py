"""One writer per warehouse: an exclusive lock on ``<warehouse>.lock``, released when its process ends.

DuckDB allows one writer per file, and a second run on the same warehouse
would otherwise interleave its steps with the first or spend its retry budget
on DuckDB's lock. A run (``trustqa materialize``, or a run the Dagster daemon
launched) takes this lock first, whatever its ``DAGSTER_HOME``; a second one
is refused at once with :class:`WarehouseBusy`, which names the holder (its
process id, host, command, run and start time, written into the lock file).

The lock is an ``flock`` on the lock file: the kernel releases it when the
holding process ends, however it ends (``kill -9`` included), so a crash never
leaves the warehouse locked. The lock file itself stays (its text describes
the last holder and means nothing without the ``flock``).

Within one process the lock is re-entrant: the CLI takes it before starting
the run, and the run's resources take it again.

While it is held the process creates files owner-only (``umask 077``): the
warehouse, its write-ahead log and the loader's files hold raw data (PII).
The existing warehouse file and log are made owner-only (0600) too.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

OWNER_ONLY_UMASK = 0o077
OWNER_ONLY_MODE = 0o600


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse: the message names it."""


@dataclass
class _Held:
    fd: int
    depth: int
    umask: int


_held: dict[Path, _Held] = {}
_guard = threading.Lock()


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def holder_description(text: str) -> str:
    """The holder recorded in a lock file, for a message (``an unknown process`` when unreadable)."""
    try:
        holder = json.loads(text)
    except ValueError:
        return "an unknown process"
    described = f"process {holder.get('pid')} on {holder.get('host')}"
    if holder.get("command"):
        described += f" ({holder['command']})"
    if holder.get("run_id"):
        described += f", run {holder['run_id']}"
    if holder.get("started_at"):
        described += f", since {holder['started_at']} UTC"
    return described


def _holder_text(run_id: str | None) -> str:
    return json.dumps(
        {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "run_id": run_id,
            "started_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:300],
        }
    )


def _make_owner_only(warehouse: Path) -> None:
    for path in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        if path.exists() and path.stat().st_mode & 0o777 != OWNER_ONLY_MODE:
            path.chmod(OWNER_ONLY_MODE)


@contextmanager
def hold_warehouse(warehouse: Path, run_id: str | None = None) -> Iterator[None]:
    """Hold the warehouse's lock (re-entrant in a process); raise :class:`WarehouseBusy` at once when
    another process holds it."""
    key = warehouse.resolve()
    with _guard:
        held = _held.get(key)
        if held is not None:
            held.depth += 1
        else:
            held = _held[key] = _acquire(key, run_id)
    try:
        yield
    finally:
        with _guard:
            held.depth -= 1
            if held.depth == 0:
                del _held[key]
                os.umask(held.umask)
                os.close(held.fd)  # closing the descriptor releases the flock


def _acquire(warehouse: Path, run_id: str | None) -> _Held:
    path = lock_path(warehouse)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, OWNER_ONLY_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 4096, 0).decode("utf-8", "replace")
        os.close(fd)
        raise WarehouseBusy(
            f"the warehouse {warehouse} is being written by {holder_description(holder)}; "
            "one run writes a warehouse at a time: wait for it to finish (or stop it), then run again"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, _holder_text(run_id).encode(), 0)
    umask = os.umask(OWNER_ONLY_UMASK)
    _make_owner_only(warehouse)
    return _Held(fd, 1, umask)


def is_held_here(warehouse: Path) -> bool:
    """Whether this process holds the warehouse's lock."""
    return warehouse.resolve() in _held
