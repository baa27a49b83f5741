"""Nightly automation: a schedule for yesterday's partition and a sensor on the exports folder.

* ``trustqa_nightly_schedule`` (default 03:00 UTC; ``TRUSTQA_SCHEDULE_CRON``)
  requests one run of the nightly job for the partition of the day before
  the tick, gates included.
* ``trustqa_exports_sensor`` watches the exports folder and requests one run
  for the export days that have become complete since its cursor (the last
  day it started), so each day starts exactly once. Several days found at
  once make one run over their range (single-run backfill), in date order.

The export contract has no end-of-day marker, and a missing file means "no
changes that day", so a day D counts as complete when every table has its
file for D, or when a later day's files exist (the exporter has moved on),
or when D's newest file is older than the settle time
(``TRUSTQA_SENSOR_SETTLE_MINUTES``, default 30). A day is never started
before an earlier day that is still incomplete.
"""

import datetime as dt
import time
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from dagster_project.contract import TABLES
from dagster_project.defs.jobs import nightly_job
from dagster_project.defs.resources import WarehouseResource
from dagster_project.loading.export_files import dated_file, export_days
from dagster_project.settings import settings


def schedule_cron() -> str:
    return settings().schedule_cron


def settle_minutes() -> float:
    return settings().sensor_settle_minutes


def is_complete(exports_dir: Path, day: dt.date, later_day_exists: bool, now: float, settle: float) -> bool:
    files = [f.path for t in TABLES if (f := dated_file(exports_dir, t, day)) is not None]
    if not files:
        return False
    if len(files) == len(TABLES) or later_day_exists:
        return True
    return now - max(p.stat().st_mtime for p in files) >= settle * 60


def complete_days_after(exports_dir: Path, after: dt.date | None, now: float, settle: float) -> list[dt.date]:
    """Export days after ``after`` that are complete, in date order, stopping at the first incomplete one."""
    days = export_days(exports_dir)
    ready = []
    for i, day in enumerate(days):
        if after is not None and day <= after:
            continue
        if not is_complete(exports_dir, day, i + 1 < len(days), now, settle):
            break
        ready.append(day)
    return ready


def run_request_for(days: list[dt.date], trigger: str) -> dg.RunRequest:
    first, last = days[0].isoformat(), days[-1].isoformat()
    if first == last:
        return dg.RunRequest(run_key=first, partition_key=first, tags={"trustqa/trigger": trigger})
    return dg.RunRequest(
        run_key=f"{first}..{last}",
        tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last, "trustqa/trigger": trigger},
    )


@dg.schedule(
    name="trustqa_nightly_schedule",
    job=nightly_job,
    cron_schedule=schedule_cron(),
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night: yesterday's export day through every asset, gates included.",
)
def nightly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    yesterday = context.scheduled_execution_time.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    return run_request_for([yesterday], "schedule")


@dg.sensor(
    name="trustqa_exports_sensor",
    job=nightly_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts the nightly job for each export day as soon as its files are complete (once per day).",
)
def exports_sensor(
    context: dg.SensorEvaluationContext, warehouse: WarehouseResource
) -> dg.SensorResult | dg.SkipReason:
    after = dt.date.fromisoformat(context.cursor) if context.cursor else None
    ready = complete_days_after(warehouse.exports_path, after, time.time(), settle_minutes())
    if not ready:
        return dg.SkipReason(f"no complete export day after {after or 'the start'} in {warehouse.exports_path}")
    return dg.SensorResult(run_requests=[run_request_for(ready, "exports_sensor")], cursor=ready[-1].isoformat())
