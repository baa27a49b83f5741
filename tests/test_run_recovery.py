"""Runs whose process is gone are marked failed and their pool slots freed; live runs are left alone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRun

from dagster_project.defs.resources import WAREHOUSE_POOL
from dagster_project.instance import dagster_instance
from dagster_project.runs.pool_wait import wait_for_pool
from dagster_project.runs.processes import process_start
from dagster_project.runs.recovery import (
    HOST_TAG,
    PID_TAG,
    PROCESS_START_TAG,
    WAREHOUSE_TAG,
    death_reason,
    process_tags,
    recover_dead_runs,
    slot_holders,
)
from dagster_project.settings import Settings


@pytest.fixture
def instance(tmp_path: Path) -> dg.DagsterInstance:
    """The instance trustqa writes (pool limit 1), in a fresh DAGSTER_HOME."""
    return dagster_instance(Settings.from_env({"DAGSTER_HOME": str(tmp_path / "home")}))


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def add_run(
    instance: dg.DagsterInstance, run_id: str, tags: dict[str, str], status=dg.DagsterRunStatus.STARTED
) -> None:
    instance.add_run(DagsterRun(job_name="trustqa_nightly", run_id=run_id, status=status, tags=tags))


def claim_slot(instance: dg.DagsterInstance, run_id: str) -> None:
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
    claim = storage.claim_concurrency_slot(WAREHOUSE_POOL, run_id, f"{run_id}_step")
    assert claim.slot_status.value == "CLAIMED"


def on_this_host(pid: int, **more: str) -> dict[str, str]:
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(pid), **more}


def test_a_run_whose_process_is_gone_is_marked_failed_and_its_slot_freed(instance, dead_pid: int) -> None:
    add_run(instance, "crashed", on_this_host(dead_pid))
    claim_slot(instance, "crashed")
    assert slot_holders(instance, WAREHOUSE_POOL) == ["crashed"]

    recovery = recover_dead_runs(instance)

    assert [(r.run_id, r.status) for r in recovery.failed] == [("crashed", "STARTED")]
    assert recovery.lines() == [f"marked failed run crashed (STARTED): its process {dead_pid} is gone"]
    assert instance.get_run_by_id("crashed").status == dg.DagsterRunStatus.FAILURE
    assert slot_holders(instance, WAREHOUSE_POOL) == []
    # the failure says why, in the run's own event log (what the Dagster UI shows)
    messages = [e.message for e in instance.all_logs("crashed")]
    assert any("process died" in (m or "") for m in messages)


def test_a_live_run_keeps_its_slot(instance) -> None:
    add_run(instance, "alive", on_this_host(os.getpid(), **{PROCESS_START_TAG: process_start(os.getpid()) or ""}))
    claim_slot(instance, "alive")
    recovery = recover_dead_runs(instance)
    assert (recovery.failed, recovery.freed) == ([], [])
    assert instance.get_run_by_id("alive").status == dg.DagsterRunStatus.STARTED
    assert slot_holders(instance, WAREHOUSE_POOL) == ["alive"]


def test_a_reused_process_id_is_told_apart_by_the_start_time() -> None:
    tags = on_this_host(os.getpid(), **{PROCESS_START_TAG: "1"})  # this process did not start at tick 1
    assert death_reason(tags) == f"its process id {os.getpid()} now belongs to another process"


def test_a_run_of_another_host_or_without_a_process_record_is_left_alone(instance, dead_pid: int) -> None:
    add_run(instance, "elsewhere", {HOST_TAG: "another-host", PID_TAG: str(dead_pid)})
    add_run(instance, "older", {})
    recovery = recover_dead_runs(instance)
    assert recovery.failed == []
    assert [r.run_id for r in recovery.unknown] == ["older"]
    assert instance.get_run_by_id("elsewhere").status == dg.DagsterRunStatus.STARTED


def test_a_run_on_the_warehouse_whose_lock_is_held_here_is_dead(instance, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    # recorded on another host: only the lock can tell it is gone
    add_run(instance, "same_warehouse", {HOST_TAG: "another-host", PID_TAG: "1", WAREHOUSE_TAG: str(warehouse)})
    recovery = recover_dead_runs(instance, held_warehouse=warehouse)
    assert [r.run_id for r in recovery.failed] == ["same_warehouse"]
    assert "whose lock this process holds" in recovery.failed[0].reason


def test_slots_of_a_run_that_ended_or_was_deleted_are_freed(instance) -> None:
    add_run(instance, "ended", on_this_host(os.getpid()), status=dg.DagsterRunStatus.SUCCESS)
    claim_slot(instance, "ended")
    recovery = recover_dead_runs(instance)
    assert [(r.run_id, r.status, r.reason) for r in recovery.freed] == [("ended", "SUCCESS", "the run has ended")]
    assert slot_holders(instance, WAREHOUSE_POOL) == []


def test_runs_not_started_are_not_touched(instance, dead_pid: int) -> None:
    # created but never started (and queued runs: the queue starts them): they claim nothing
    add_run(instance, "created", on_this_host(dead_pid), status=dg.DagsterRunStatus.NOT_STARTED)
    assert recover_dead_runs(instance).failed == []
    assert instance.get_run_by_id("created").status == dg.DagsterRunStatus.NOT_STARTED


def test_process_tags_name_this_process_and_the_warehouse(tmp_path: Path) -> None:
    tags = process_tags(tmp_path / "w.duckdb")
    assert tags[PID_TAG] == str(os.getpid()) and tags[HOST_TAG] == socket.gethostname()
    assert tags[WAREHOUSE_TAG] == str((tmp_path / "w.duckdb").resolve())
    assert death_reason(tags) is None


def test_waiting_for_the_pool_names_the_holder_and_ends_when_it_dies(instance, tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        add_run(instance, "other_warehouse", on_this_host(child.pid, **{WAREHOUSE_TAG: str(tmp_path / "o.duckdb")}))
        claim_slot(instance, "other_warehouse")
        said: list[str] = []

        def notify(line: str) -> None:
            said.append(line)
            child.kill()  # the holder dies while we wait
            child.wait()

        assert wait_for_pool(instance, WAREHOUSE_POOL, notify, poll_seconds=0.05) == ["other_warehouse"]
    finally:
        child.kill()
        child.wait()
    assert said[0] == (
        f"waiting for the {WAREHOUSE_POOL} pool, held by run other_warehouse (STARTED, writing "
        f"{tmp_path / 'o.duckdb'}); Ctrl-C stops"
    )
    assert said[1] == f"marked failed run other_warehouse (STARTED): its process {child.pid} is gone"
    assert slot_holders(instance, WAREHOUSE_POOL) == []


def test_unfinished_runs_say_whether_their_process_lives_and_what_they_hold(instance, dead_pid: int) -> None:
    from dagster_project.runs.inspect import unfinished_runs

    add_run(instance, "crashed", on_this_host(dead_pid))
    add_run(instance, "alive", on_this_host(os.getpid()))
    add_run(instance, "older", {})
    add_run(instance, "done", on_this_host(dead_pid), status=dg.DagsterRunStatus.SUCCESS)
    claim_slot(instance, "crashed")
    states = {s.run_id: s for s in unfinished_runs(instance, WAREHOUSE_POOL)}
    assert set(states) == {"crashed", "alive", "older"}  # a finished run is not listed
    assert states["crashed"].alive == f"dead: its process {dead_pid} is gone"
    assert (states["crashed"].pool_slots, states["alive"].pool_slots) == (1, 0)
    assert states["alive"].alive == "alive"
    assert (states["older"].process, states["older"].alive) == ("unknown", "unknown")


def test_an_operator_fails_a_run_by_id_and_its_slots_are_freed(instance) -> None:
    from dagster_project.runs.inspect import fail_run

    add_run(instance, "elsewhere", {HOST_TAG: "another-host", PID_TAG: "7"})
    claim_slot(instance, "elsewhere")
    assert fail_run(instance, "elsewhere") == "marked failed run elsewhere (STARTED) and freed its pool slots"
    assert instance.get_run_by_id("elsewhere").status == dg.DagsterRunStatus.FAILURE
    assert slot_holders(instance, WAREHOUSE_POOL) == []
    assert fail_run(instance, "elsewhere") == "run elsewhere has already ended (FAILURE); its pool slots are freed"
    assert fail_run(instance, "nothing") == "no run nothing in this instance (any pool slots it held are freed)"
