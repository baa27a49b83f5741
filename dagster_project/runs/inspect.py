"""``trustqa runs``: the unfinished runs of an instance and the pool slots they hold; recover or fail them.

What an operator needs after a crash: which runs Dagster still thinks are
running, whether their process is alive, what they hold, and two ways out:
recover every run known dead (what each ``trustqa materialize`` does before
it starts), or mark one run failed by id (a run on another host, or one that
records no process, which trustqa cannot judge).
"""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import dataclass

import dagster as dg
from dagster._core.storage.dagster_run import NOT_FINISHED_STATUSES

from dagster_project.runs.recovery import HOST_TAG, PID_TAG, WAREHOUSE_TAG, death_reason


@dataclass(frozen=True)
class RunState:
    run_id: str
    status: str
    started: str  # UTC, or "-" when it never started
    process: str  # "<pid> on <host>" or "unknown"
    alive: str  # "alive", "dead: <why>", "unknown"
    warehouse: str
    pool_slots: int


def unfinished_runs(instance: dg.DagsterInstance, pool: str) -> list[RunState]:
    """Every run not finished, newest first, with what is known of its process and its slots of ``pool``."""
    info = instance.event_log_storage.get_concurrency_info(pool)
    slots: dict[str, int] = {}
    for slot in info.claimed_slots:
        slots[slot.run_id] = slots.get(slot.run_id, 0) + 1
    states = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=NOT_FINISHED_STATUSES)):
        run, tags = record.dagster_run, dict(record.dagster_run.tags)
        reason = death_reason(tags)
        process = f"{tags[PID_TAG]} on {tags.get(HOST_TAG)}" if tags.get(PID_TAG) else "unknown"
        if reason is not None:
            alive = f"dead: {reason}"
        else:
            alive = "unknown" if process == "unknown" or tags.get(HOST_TAG) != socket.gethostname() else "alive"
        started = record.start_time
        states.append(
            RunState(
                run.run_id,
                run.status.value,
                "-" if started is None else _utc(started),
                process,
                alive,
                tags.get(WAREHOUSE_TAG, "unknown"),
                slots.get(run.run_id, 0),
            )
        )
    return states


def fail_run(instance: dg.DagsterInstance, run_id: str) -> str:
    """Mark one unfinished run failed and free its pool slots; what was done, for people."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        return f"no run {run_id} in this instance (any pool slots it held are freed)"
    if run.status not in NOT_FINISHED_STATUSES:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        return f"run {run_id} has already ended ({run.status.value}); its pool slots are freed"
    instance.report_run_failed(run, "trustqa runs --fail: marked failed by an operator; pool slots freed")
    instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    return f"marked failed run {run_id} ({run.status.value}) and freed its pool slots"


def _utc(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
