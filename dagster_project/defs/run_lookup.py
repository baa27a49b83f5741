"""Which runs of the nightly job already cover an export day.

A run covers day D when it is a run of ``trustqa_nightly`` for the single
partition D (tag ``dagster/partition``, as the schedule, the sensor and the UI
launch it) or for a partition range that contains D (tags
``dagster/asset_partition_range_start``/``_end``, as the sensor's multi-day
runs, UI backfills and ``trustqa materialize`` launch it). Runs of any status
count; :class:`CoveringRun` says whether the schedule and the sensor leave the
day to that run (queued, started, succeeded) or to the operator (failed,
canceled: not retried automatically).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from dagster_project.defs.jobs import NIGHTLY_JOB_NAME

# A failed gate fails again on the same files: these runs are left to the operator.
OPERATOR_STATUSES = frozenset({dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED})


@dataclass(frozen=True)
class CoveringRun:
    """The newest run of the nightly job that covers a day."""

    run_id: str
    status: dg.DagsterRunStatus
    created: dt.datetime  # UTC; the run storage keeps whole seconds (SQLite's CURRENT_TIMESTAMP)

    @property
    def left_to_operator(self) -> bool:
        return self.status in OPERATOR_STATUSES

    def saw(self, mtime_ns: int) -> bool:
        """Whether a file modified at ``mtime_ns`` existed when the run was created (to the second)."""
        return mtime_ns < (int(self.created.timestamp()) + 1) * 1_000_000_000

    def skip_message(self, day: dt.date) -> str:
        if self.left_to_operator:
            return (
                f"{day} is covered by run {self.run_id} ({self.status.value}): not retried automatically "
                f"(the same files would fail the same way); re-execute it from the UI or with "
                f"`trustqa materialize --partition {day}`, or re-deliver the day's files"
            )
        return f"{day} is already covered by run {self.run_id} ({self.status.value}): not requested again"


def covered_days(run: dg.DagsterRun) -> tuple[str, str] | None:
    """The first and last partition key a run of the nightly job covers, or None for an unpartitioned run."""
    tags = run.tags
    if PARTITION_NAME_TAG in tags:
        return tags[PARTITION_NAME_TAG], tags[PARTITION_NAME_TAG]
    if ASSET_PARTITION_RANGE_START_TAG in tags and ASSET_PARTITION_RANGE_END_TAG in tags:
        return tags[ASSET_PARTITION_RANGE_START_TAG], tags[ASSET_PARTITION_RANGE_END_TAG]
    return None


def _single_partition_records(instance: dg.DagsterInstance, keys: list[str]) -> Sequence[dg.RunRecord]:
    return instance.get_run_records(
        filters=dg.RunsFilter(job_name=NIGHTLY_JOB_NAME, tags={PARTITION_NAME_TAG: keys}),
    )


def _range_records(instance: dg.DagsterInstance, last_key: str) -> Sequence[dg.RunRecord]:
    """Runs of the nightly job over a range that starts on or before ``last_key``."""
    starts = sorted(
        value
        for _, values in instance.get_run_tags(tag_keys=[ASSET_PARTITION_RANGE_START_TAG])
        for value in values
        if value <= last_key
    )
    if not starts:
        return []
    return instance.get_run_records(
        filters=dg.RunsFilter(job_name=NIGHTLY_JOB_NAME, tags={ASSET_PARTITION_RANGE_START_TAG: starts}),
    )


def covering_runs(instance: dg.DagsterInstance, days: Iterable[dt.date]) -> dict[dt.date, CoveringRun]:
    """The newest run of the nightly job covering each of ``days`` (days without one are left out)."""
    keys = sorted({day.isoformat() for day in days})
    if not keys:
        return {}
    newest: dict[dt.date, dg.RunRecord] = {}
    for record in [*_single_partition_records(instance, keys), *_range_records(instance, keys[-1])]:
        span = covered_days(record.dagster_run)
        if span is None:
            continue
        for key in keys:
            day = dt.date.fromisoformat(key)
            if span[0] <= key <= span[1] and (day not in newest or record.storage_id > newest[day].storage_id):
                newest[day] = record
    return {
        day: CoveringRun(r.dagster_run.run_id, r.dagster_run.status, r.create_timestamp) for day, r in newest.items()
    }


def covering_run(instance: dg.DagsterInstance, day: dt.date) -> CoveringRun | None:
    return covering_runs(instance, [day]).get(day)
