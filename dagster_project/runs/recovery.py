"""Runs whose process is gone: marked failed, their pool slots freed.

Dagster's default run launcher cannot tell that a run worker died: a run
killed during a step (``kill -9``, out of memory, a reboot) stays STARTED for
ever, and its slot of the ``trustqa_warehouse`` pool (limit 1) stays claimed,
so every later run waits on it. Every trustqa run records where it runs in its
tags (:func:`process_tags`: host, process id and the process's start time,
which tells a reused process id apart, and the warehouse), and
:func:`recover_dead_runs` (run by ``trustqa materialize`` before it starts and
by the ``trustqa_dead_run_sensor`` in the Dagster daemon) marks failed every
unfinished run whose process is gone, and frees the pool slots of every run
that has finished or no longer exists. A run is known dead when

* its host is this host and its process no longer exists (or is another
  process with the same id), or
* it writes the warehouse whose lock the caller holds (only one process can
  write a warehouse, :mod:`~dagster_project.runs.warehouse_lock`).

A run on another host, or one without these tags (launched by an older
version), is left alone and listed, with the command that clears it
(``docs/recovery.md``).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.storage.dagster_run import FINISHED_STATUSES, NOT_FINISHED_STATUSES

from dagster_project.runs.processes import process_alive, process_start

HOST_TAG = "trustqa/host"
PID_TAG = "trustqa/pid"
PROCESS_START_TAG = "trustqa/process_start"
WAREHOUSE_TAG = "trustqa/warehouse"


@dataclass(frozen=True)
class RecoveredRun:
    run_id: str
    status: str  # what it was
    reason: str  # why it is known dead, or why its slots were freed


@dataclass(frozen=True)
class Recovery:
    failed: list[RecoveredRun]  # unfinished runs marked failed (their slots freed)
    freed: list[RecoveredRun]  # finished or deleted runs whose slots were freed
    unknown: list[RecoveredRun]  # unfinished runs that could not be judged (left alone)

    def lines(self) -> list[str]:
        """What was done, for people: one line per run."""
        lines = [f"marked failed run {r.run_id} ({r.status}): {r.reason}" for r in self.failed]
        lines += [f"freed pool slots of run {r.run_id} ({r.status}): {r.reason}" for r in self.freed]
        lines += [f"left alone run {r.run_id} ({r.status}): {r.reason}" for r in self.unknown]
        return lines


def process_tags(warehouse: Path) -> dict[str, str]:
    """The tags that say which process runs a run (this one) and which warehouse it writes."""
    pid = os.getpid()
    return {
        HOST_TAG: socket.gethostname(),
        PID_TAG: str(pid),
        PROCESS_START_TAG: process_start(pid) or "",
        WAREHOUSE_TAG: str(warehouse.resolve()),
    }


def death_reason(tags: dict[str, str], held_warehouse: Path | None = None) -> str | None:
    """Why the run with these tags is known to have no process any more, or None when it may be alive."""
    if tags.get(HOST_TAG) == socket.gethostname() and tags.get(PID_TAG, "").isdigit():
        pid = int(tags[PID_TAG])
        if not process_alive(pid):
            return f"its process {pid} is gone"
        recorded, now = tags.get(PROCESS_START_TAG), process_start(pid)
        if recorded and now and recorded != now:
            return f"its process id {pid} now belongs to another process"
    if held_warehouse is not None and tags.get(WAREHOUSE_TAG) == str(held_warehouse.resolve()):
        return f"it writes {held_warehouse}, whose lock this process holds"
    return None


def recover_dead_runs(instance: dg.DagsterInstance, held_warehouse: Path | None = None) -> Recovery:
    """Mark failed the unfinished runs whose process is gone and free the pool slots of runs that ended."""
    failed, unknown = [], []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=NOT_FINISHED_STATUSES)):
        run = record.dagster_run
        if run.status == dg.DagsterRunStatus.QUEUED or run.status == dg.DagsterRunStatus.NOT_STARTED:
            continue  # claims nothing yet: the queue starts it (or it was only created)
        reason = death_reason(dict(run.tags), held_warehouse)
        if reason is None:
            if not run.tags.get(PID_TAG):
                unknown.append(RecoveredRun(run.run_id, run.status.value, "it records no process (older version)"))
            continue
        instance.report_run_failed(run, f"trustqa: the run's process died ({reason}); marked failed, slots freed")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        failed.append(RecoveredRun(run.run_id, run.status.value, reason))
    return Recovery(failed, _free_slots_of_ended_runs(instance), unknown)


def _free_slots_of_ended_runs(instance: dg.DagsterInstance) -> list[RecoveredRun]:
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    freed = []
    for run_id in sorted(storage.get_concurrency_run_ids()):
        run = instance.get_run_by_id(run_id)
        if run is None:
            reason, status = "the run no longer exists", "deleted"
        elif run.status in FINISHED_STATUSES:
            reason, status = "the run has ended", run.status.value
        else:
            continue
        storage.free_concurrency_slots_for_run(run_id)
        freed.append(RecoveredRun(run_id, status, reason))
    return freed


def slot_holders(instance: dg.DagsterInstance, pool: str) -> list[str]:
    """The runs (ids) holding or waiting for a slot of ``pool``, for a message."""
    info = instance.event_log_storage.get_concurrency_info(pool)
    return sorted({slot.run_id for slot in info.claimed_slots if slot.run_id})
