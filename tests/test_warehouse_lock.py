"""One writer per warehouse: a second process is refused at once, naming the holder; a crash frees the lock."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dagster_project.runs.warehouse_lock import WarehouseBusy, hold_warehouse, is_held_here, lock_path

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from dagster_project.runs.warehouse_lock import hold_warehouse
    with hold_warehouse(Path(sys.argv[1]), run_id="run-in-child"):
        print("held", flush=True)
        time.sleep(60)
    """
)


def hold_in_child(warehouse: Path) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(warehouse)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_second_process_is_refused_at_once_with_the_holder_named(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    child = hold_in_child(warehouse)
    try:
        with pytest.raises(WarehouseBusy) as refused, hold_warehouse(warehouse):
            pass
    finally:
        child.kill()
        child.wait()
    message = str(refused.value)
    assert f"process {child.pid} on" in message and "run run-in-child" in message
    assert str(warehouse) in message


def test_the_lock_of_a_killed_process_is_free(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    child = hold_in_child(warehouse)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    with hold_warehouse(warehouse):  # no wait, no error: the kernel released the flock
        assert is_held_here(warehouse)
    assert not is_held_here(warehouse)


def test_the_lock_is_reentrant_in_a_process_and_released_by_the_outermost(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    with hold_warehouse(warehouse):
        with hold_warehouse(warehouse):
            assert is_held_here(warehouse)
        assert is_held_here(warehouse)
    assert not is_held_here(warehouse)
    # released: another process takes it
    child = hold_in_child(warehouse)
    child.kill()
    child.wait()


def test_files_created_while_held_are_owner_only_and_the_umask_is_restored(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    warehouse.write_bytes(b"")  # a warehouse created before: made owner-only
    warehouse.chmod(0o644)
    before = os.umask(0o022)
    try:
        with hold_warehouse(warehouse):
            (tmp_path / "w.duckdb.wal").write_bytes(b"")
            assert stat.S_IMODE(warehouse.stat().st_mode) == 0o600
            assert stat.S_IMODE((tmp_path / "w.duckdb.wal").stat().st_mode) == 0o600
            assert stat.S_IMODE(lock_path(warehouse).stat().st_mode) == 0o600
        assert os.umask(0o022) == 0o022
    finally:
        os.umask(before)
