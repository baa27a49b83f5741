"""Waiting for the warehouse pool: say which runs hold it, recover dead ones, stop on Ctrl-C.

Every step that writes a warehouse claims a slot of the ``trustqa_warehouse``
pool (limit 1) of its Dagster instance. Two warehouses sharing one
``DAGSTER_HOME`` therefore take turns. Before a run starts, :func:`wait_for_pool`
waits while live runs hold the pool, naming them once, and recovers runs that
die meanwhile (:func:`~dagster_project.runs.recovery.recover_dead_runs`), so
Dagster's own wait inside the run, which names nothing, is not reached.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import dagster as dg

from dagster_project.runs.recovery import recover_dead_runs, slot_holders

POLL_SECONDS = 2.0


def wait_for_pool(
    instance: dg.DagsterInstance,
    pool: str,
    notify: Callable[[str], None] = print,
    poll_seconds: float = POLL_SECONDS,
) -> list[str]:
    """Return once no run holds ``pool``; the runs waited for (empty: none). Ctrl-C raises KeyboardInterrupt."""
    waited: list[str] = []
    while holders := slot_holders(instance, pool):
        if holders != waited:
            described = ", ".join(_describe(instance, run_id) for run_id in holders)
            notify(f"waiting for the {pool} pool, held by {described}; Ctrl-C stops")
            waited = holders
        time.sleep(poll_seconds)
        for line in recover_dead_runs(instance).lines():
            notify(line)
    return waited


def _describe(instance: dg.DagsterInstance, run_id: str) -> str:
    run = instance.get_run_by_id(run_id)
    if run is None:
        return f"run {run_id} (deleted)"
    where = run.tags.get("trustqa/warehouse", "an unknown warehouse")
    return f"run {run_id} ({run.status.value}, writing {where})"
