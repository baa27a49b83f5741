"""Nightly automation: a schedule for yesterday's partition and a sensor on the exports folder.

Both start the nightly job with the same run key, the day (``D``, or
``D1..D2`` for a range), and both first look up the runs of the nightly job
that already cover the day (:mod:`dagster_project.defs.run_lookup`): a day
covered by a queued, started or succeeded run is not requested again, and a
day covered by a failed or canceled run is not retried automatically (the same
files would fail the same gate again); the operator re-executes it from the UI
or with ``trustqa materialize --partition D``. Either way the skip message
names the run and its status. So each export day gets one run, from whichever
of the two sees it first.

* ``trustqa_nightly_schedule`` (default 03:00 UTC; ``TRUSTQA_SCHEDULE_CRON``)
  requests one run for the partition of the day before the tick, gates
  included; it skips a day with no export file in any table.
* ``trustqa_exports_sensor`` watches the exports folder and requests one run
  for the export days that have become complete since the last day it
  started, in date order; several days found at once make one run over their
  range (single-run backfill), split around days another run already covers.

The export contract has no end-of-day marker, and a missing file means "no
changes that day", so a day D counts as complete when every table has its
file for D, or when a later day's files exist (the exporter has moved on),
or when D's newest file is older than the settle time
(``TRUSTQA_SENSOR_SETTLE_MINUTES``, default 30). A day is never started
before an earlier day that is still incomplete.

Late re-deliveries. The sensor's cursor is JSON: the last day started and,
for each started day of the last ``WATCHED_DAYS`` days up to it, the number
of its files and their newest modification time, as the run that loaded the
day saw them (for a day another run covered: the files modified before that
run was created). When a watched day later has a file newer than that, or
more files, and its newest file has settled, the sensor re-runs the day on
purpose: run key ``D@redelivery-<count>-<newest mtime ns>``, tag
``trustqa/redelivery`` naming the changed files, and a log line. A cursor
that is a plain date (older versions) means "every day up to it started":
the files of those days are recorded on the first evaluation, nothing is
re-run.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from dagster_project.contract import TABLES
from dagster_project.defs.jobs import nightly_job
from dagster_project.defs.resources import WarehouseResource
from dagster_project.defs.run_lookup import CoveringRun, covering_run, covering_runs
from dagster_project.loading.export_files import dated_file, export_days, utc_today
from dagster_project.settings import settings

TRIGGER_TAG = "trustqa/trigger"
REDELIVERY_TAG = "trustqa/redelivery"
# How far back (from the last day started) the sensor watches for re-delivered files; older days: re-run by hand.
WATCHED_DAYS = 31


def schedule_cron() -> str:
    return settings().schedule_cron


def settle_minutes() -> float:
    return settings().sensor_settle_minutes


def file_stamps(exports_dir: Path, day: dt.date) -> dict[str, int]:
    """The export files of ``day`` (path relative to the exports folder) and their modification times in ns."""
    files = [f for t in TABLES if (f := dated_file(exports_dir, t, day)) is not None]
    return {f.relative_path: f.path.stat().st_mtime_ns for f in files}


def settled(newest_ns: int, now: float, settle: float) -> bool:
    return now - newest_ns / 1e9 >= settle * 60


def is_complete(exports_dir: Path, day: dt.date, later_day_exists: bool, now: float, settle: float) -> bool:
    stamps = file_stamps(exports_dir, day)
    if not stamps:
        return False
    if len(stamps) == len(TABLES) or later_day_exists:
        return True
    return settled(max(stamps.values()), now, settle)


def complete_days_after(exports_dir: Path, after: dt.date | None, now: float, settle: float) -> list[dt.date]:
    """Export days after ``after`` that are complete, in date order, stopping at the first incomplete one."""
    days = export_days(exports_dir, through=utc_today())
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
        return dg.RunRequest(run_key=first, partition_key=first, tags={TRIGGER_TAG: trigger})
    return dg.RunRequest(
        run_key=f"{first}..{last}",
        tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last, TRIGGER_TAG: trigger},
    )


@dataclass(frozen=True)
class DayFiles:
    """A fingerprint of an export day's files: how many, and the newest modification time (ns)."""

    count: int
    newest_ns: int

    @classmethod
    def of(cls, stamps: Iterable[int]) -> DayFiles:
        stamps = list(stamps)
        return cls(len(stamps), max(stamps, default=0))

    @classmethod
    def seen_by(cls, stamps: Mapping[str, int], run: CoveringRun | None) -> DayFiles:
        """The files as ``run`` saw them (those modified before it was created); all of them without a run."""
        return cls.of(ns for ns in stamps.values() if run is None or run.saw(ns))

    def token(self) -> str:
        return f"{self.count}-{self.newest_ns}"

    def redelivered_as(self, current: DayFiles) -> bool:
        """Whether ``current`` has a file newer than these, or more files."""
        return current.newest_ns > self.newest_ns or current.count > self.count


NO_FILES = DayFiles(0, 0)


@dataclass(frozen=True)
class SensorCursor:
    started: dt.date | None = None  # the last export day the sensor started or found covered by another run
    files: Mapping[dt.date, DayFiles] = field(default_factory=dict)  # watched started days: their files then

    @classmethod
    def from_json(cls, text: str) -> SensorCursor:
        data = json.loads(text)
        started = dt.date.fromisoformat(data["started"]) if data.get("started") else None
        files = {dt.date.fromisoformat(day): DayFiles(*pair) for day, pair in data.get("files", {}).items()}
        return cls(started, files)

    def to_json(self) -> str:
        files = {day.isoformat(): [f.count, f.newest_ns] for day, f in sorted(self.files.items())}
        return json.dumps({"started": self.started.isoformat() if self.started else None, "files": files})


def watched_days(days: Iterable[dt.date], started: dt.date | None) -> list[dt.date]:
    """The export days among ``days`` that the sensor watches for re-deliveries."""
    if started is None:
        return []
    return [day for day in days if started - dt.timedelta(days=WATCHED_DAYS) < day <= started]


def read_cursor(text: str | None, exports_dir: Path) -> tuple[SensorCursor, list[str]]:
    """The cursor, and a note when it was a plain date written by an older version (its days' files recorded)."""
    if not text:
        return SensorCursor(), []
    if text.lstrip().startswith("{"):
        return SensorCursor.from_json(text), []
    started = dt.date.fromisoformat(text)
    days = watched_days(export_days(exports_dir, through=utc_today()), started)
    files = {day: DayFiles.of(file_stamps(exports_dir, day).values()) for day in days}
    note = f"cursor {text} is from an older version: recorded the files of {len(files)} started day(s), re-ran none"
    return SensorCursor(started, files), [note]


def redelivery_request(day: dt.date, before: DayFiles, stamps: Mapping[str, int]) -> dg.RunRequest:
    current = DayFiles.of(stamps.values())
    changed = [path for path, ns in sorted(stamps.items()) if ns > before.newest_ns]
    what = ", ".join(changed) if changed else f"{before.count} -> {current.count} files"
    return dg.RunRequest(
        run_key=f"{day.isoformat()}@redelivery-{current.token()}",
        partition_key=day.isoformat(),
        tags={TRIGGER_TAG: "exports_sensor", REDELIVERY_TAG: what},
    )


@dataclass
class SensorPlan:
    requests: list[dg.RunRequest]
    notes: list[str]  # what was skipped, recorded or re-run, and why
    cursor: SensorCursor


def start_complete_days(
    exports_dir: Path, instance: dg.DagsterInstance, cursor: SensorCursor, now: float, settle: float
) -> SensorPlan:
    """Runs for the days completed since the cursor, except the days another run already covers."""
    ready = complete_days_after(exports_dir, cursor.started, now, settle)
    if not ready:
        return SensorPlan([], [], cursor)
    covering = covering_runs(instance, ready)
    groups = [list(days) for covered, days in itertools.groupby(ready, key=lambda d: d in covering) if not covered]
    files = dict(cursor.files)
    for day in ready:
        files[day] = DayFiles.seen_by(file_stamps(exports_dir, day), covering.get(day))
    return SensorPlan(
        [run_request_for(days, "exports_sensor") for days in groups],
        [covering[day].skip_message(day) for day in ready if day in covering],
        SensorCursor(ready[-1], files),
    )


def rerun_redelivered_days(exports_dir: Path, cursor: SensorCursor, now: float, settle: float) -> SensorPlan:
    """Re-runs of the watched started days whose files changed since, once they have settled."""
    requests, notes, files = [], [], dict(cursor.files)
    for day in watched_days(export_days(exports_dir, through=utc_today()), cursor.started):
        stamps = file_stamps(exports_dir, day)
        before, current = files.get(day, NO_FILES), DayFiles.of(stamps.values())
        if current == before:
            continue
        if not before.redelivered_as(current):  # files removed: nothing new to load
            files[day] = current
        elif not settled(current.newest_ns, now, settle):
            notes.append(f"{day} has re-delivered files that have not settled yet ({settle:g} min)")
        else:
            request = redelivery_request(day, before, stamps)
            requests.append(request)
            notes.append(f"{day} was re-delivered after it started ({request.tags[REDELIVERY_TAG]}): re-running it")
            files[day] = current
    return SensorPlan(requests, notes, SensorCursor(cursor.started, files))


def pruned(cursor: SensorCursor) -> SensorCursor:
    """The cursor without the days that are no longer watched."""
    watched = set(watched_days(cursor.files, cursor.started))
    return SensorCursor(cursor.started, {day: f for day, f in cursor.files.items() if day in watched})


def plan_exports_runs(
    exports_dir: Path, instance: dg.DagsterInstance, cursor_text: str | None, now: float
) -> SensorPlan:
    """One evaluation of the exports sensor: the days completed since the cursor, then the re-delivered ones.

    A day just requested has its current files recorded, so it is not also taken for a re-delivery.
    """
    settle = settle_minutes()
    cursor, notes = read_cursor(cursor_text, exports_dir)
    new = start_complete_days(exports_dir, instance, cursor, now, settle)
    late = rerun_redelivered_days(exports_dir, new.cursor, now, settle)
    return SensorPlan([*new.requests, *late.requests], [*notes, *new.notes, *late.notes], pruned(late.cursor))


@dg.schedule(
    name="trustqa_nightly_schedule",
    job=nightly_job,
    cron_schedule=schedule_cron(),
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night: yesterday's export day through every asset, gates included, unless a run covers it.",
)
def nightly_schedule(
    context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource
) -> dg.RunRequest | dg.SkipReason:
    day = context.scheduled_execution_time.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    if not file_stamps(warehouse.exports_path, day):
        return dg.SkipReason(f"no export file for {day} in any table of {warehouse.exports_path}: nothing to load")
    run = covering_run(context.instance, day)
    if run is not None:
        return dg.SkipReason(run.skip_message(day))
    return run_request_for([day], "schedule")


@dg.sensor(
    name="trustqa_exports_sensor",
    job=nightly_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts the nightly job for each export day once its files are complete, and again when re-delivered.",
)
def exports_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
    plan = plan_exports_runs(warehouse.exports_path, context.instance, context.cursor, time.time())
    for note in plan.notes:
        context.log.info(note)
    cursor = plan.cursor.to_json()
    if plan.requests:
        return dg.SensorResult(run_requests=plan.requests, cursor=cursor)
    started = plan.cursor.started or "the start"
    reason = "; ".join(plan.notes) or f"no complete export day after {started} in {warehouse.exports_path}"
    return dg.SensorResult(skip_reason=reason, cursor=cursor)
