"""Checks before a run, each failing with a message that says what is wrong and what to do.

A run that cannot write its warehouse, or whose warehouse file is not a
DuckDB database, or whose Snowflake cannot be reached, would otherwise fail
deep inside a step with a traceback; these checks run first and change
nothing when they fail.
"""

from __future__ import annotations

import errno
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

# How long a run waits for another process to close its warehouse file before giving up.
WAIT_FOR_OPEN_SECONDS = 600.0
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in .*?\(PID (\d+)\)")


class PreflightError(RuntimeError):
    """A setting or file that stops a run before it starts: the message says which and what to do."""


def ensure_warehouse_folder(warehouse: Path) -> None:
    """Create the warehouse's folder if needed; refuse when it cannot be created or written."""
    folder = warehouse.parent
    blocker = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise PreflightError(
            f"cannot use the warehouse folder {folder}: {blocker} is a file, not a folder; "
            "choose another --warehouse path or move that file away"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PreflightError(f"cannot create the warehouse folder {folder}: {exc.strerror or exc}") from exc
    if warehouse.is_dir():
        raise PreflightError(f"the warehouse path {warehouse} is a folder; give the path of a .duckdb file")
    if not os.access(folder, os.W_OK | os.X_OK) or (warehouse.exists() and not os.access(warehouse, os.R_OK | os.W_OK)):
        what = warehouse if warehouse.exists() else folder
        raise PreflightError(
            f"cannot write {what}: permission denied; the run writes the warehouse, its lock and log files "
            "there: make it writable for this user or choose another --warehouse path"
        )


def check_duckdb_file(
    warehouse: Path,
    what: str = "warehouse",
    notify: Callable[[str], None] = print,
    wait_seconds: float = WAIT_FOR_OPEN_SECONDS,
) -> None:
    """Open the DuckDB file once (read-write: a run writes it) and close it; refuse a file that is not one.

    A file another process has open (a ``dbt`` left running by a run that was
    killed, an analyst's connection to the warehouse) is waited for, saying
    which process, for at most ``wait_seconds``.
    """
    import duckdb

    if not warehouse.exists():
        return
    deadline, told = time.monotonic() + wait_seconds, False
    while True:
        try:
            duckdb.connect(str(warehouse)).close()
            return
        except duckdb.IOException as exc:
            text = " ".join(str(exc).split())
            holder = _LOCK_HOLDER.search(text)
            if holder is None:
                raise PreflightError(
                    f"the {what} file {warehouse} cannot be opened as a DuckDB database ({text}); "
                    "it is damaged or not a DuckDB file: move it away (a new warehouse is built from the exports) "
                    "or point --warehouse at the right file"
                ) from exc
            pid = int(holder.group(1))
            if time.monotonic() > deadline:
                raise PreflightError(
                    f"the {what} file {warehouse} is still open in process {pid} ({_command_of(pid)}) after "
                    f"{wait_seconds:.0f} s; stop that process (kill {pid}) and run again"
                ) from exc
            if not told:
                notify(
                    f"waiting for process {pid} ({_command_of(pid)}) to close {warehouse} "
                    "(a dbt left by a killed run finishes its command first); Ctrl-C stops"
                )
                told = True
            time.sleep(1)
        except duckdb.Error as exc:
            raise PreflightError(
                f"the {what} file {warehouse} cannot be opened as a DuckDB database ({str(exc).strip()}); "
                "move it away or point --warehouse at the right file"
            ) from exc


def _command_of(pid: int) -> str:
    """The command line of process ``pid`` (Linux /proc), shortened; ``unknown command`` elsewhere."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "unknown command"
    return " ".join(Path(part).name if i == 0 else part for i, part in enumerate(raw.decode().split("\0")))[:120]


def check_snowflake_reachable() -> None:
    """Open and close one Snowflake connection (a short login timeout); refuse with the account and the cause."""
    from dagster_project.settings import snowflake_settings
    from dagster_project.snowflake.settings import connect

    try:
        config = snowflake_settings()
    except ValueError as exc:
        raise PreflightError(f"Snowflake is not configured: {exc}") from exc
    try:
        connect(config, login_timeout=20).close()
    except Exception as exc:  # the connector raises its own classes, OSError and others for a refused socket
        raise PreflightError(
            f"cannot connect to Snowflake account {config.account!r} as {config.user!r}: "
            f"{' '.join(str(exc).split())[:400]}; check SNOWFLAKE_* (docs/snowflake.md) and the network"
        ) from exc


def describe_os_error(exc: OSError) -> str:
    """An operating-system error as one sentence naming the file."""
    name = errno.errorcode.get(exc.errno or 0, "")
    where = f" {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{':' if where else ''}{where}" + (f" ({name})" if name else "")
