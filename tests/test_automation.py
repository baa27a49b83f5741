"""The nightly schedule and the exports sensor, evaluated with Dagster's test contexts.

Runs the schedule or the sensor requested are recorded in a test instance the way the daemon would submit them
(:func:`submit`), so that the other one, evaluated next, sees them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)
from dagster._core.utils import make_new_run_id

from dagster_project.contract import TABLES
from dagster_project.defs.automation import (
    REDELIVERY_TAG,
    WATCHED_DAYS,
    exports_sensor,
    nightly_schedule,
    plan_exports_runs,
)
from dagster_project.defs.jobs import NIGHTLY_JOB_NAME
from dagster_project.defs.resources import WarehouseResource
from dagster_project.settings import DEFAULT_SCHEDULE_CRON
from tests.export_builder import export_path, write_export

D1, D2, D3 = dt.date(2026, 11, 1), dt.date(2026, 11, 2), dt.date(2026, 11, 3)
D5 = dt.date(2026, 11, 5)
SUCCESS, STARTED = dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.STARTED
FAILURE, CANCELED = dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED


@pytest.fixture(scope="module")
def module_instance() -> Iterator[dg.DagsterInstance]:
    """A persistent instance (the schedule's context needs one), made once: setting one up takes a second."""
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def instance(module_instance: dg.DagsterInstance) -> dg.DagsterInstance:
    """The module's instance without any run."""
    module_instance.wipe()
    return module_instance


def write_day(exports: Path, day: dt.date, tables: list[str] | None = None, age_minutes: float = 0) -> None:
    """Header-only export files for ``day`` (every table by default), modified ``age_minutes`` ago."""
    for name in tables or [t.name for t in TABLES]:
        path = write_export(exports, name, day.isoformat(), [])
        stamp = time.time() - age_minutes * 60
        os.utime(path, (stamp, stamp))


def relative(exports: Path, table_name: str, day: dt.date) -> str:
    return export_path(exports, table_name, day.isoformat()).relative_to(exports).as_posix()


def warehouse_for(exports: Path) -> WarehouseResource:
    return WarehouseResource(
        duckdb_path=str(exports / "w.duckdb"), exports_dir=str(exports), data_docs_dir=str(exports / "docs")
    )


def evaluate(exports: Path, cursor: str | None, instance: dg.DagsterInstance) -> dg.SensorResult:
    resources = {"warehouse": warehouse_for(exports)}
    with dg.build_sensor_context(cursor=cursor, instance=instance, resources=resources) as context:
        return exports_sensor(context)


def evaluate_schedule(exports: Path, day: dt.date, instance: dg.DagsterInstance) -> dg.RunRequest | dg.SkipReason:
    """The schedule's tick at 03:00 UTC the day after ``day``."""
    tick = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(3), tzinfo=dt.UTC)
    resources = {"warehouse": warehouse_for(exports)}
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=tick, resources=resources) as context:
        return nightly_schedule(context)


def submit(instance: dg.DagsterInstance, request: dg.RunRequest, status: dg.DagsterRunStatus = STARTED) -> str:
    """Record the run the daemon would launch for ``request`` (it adds the partition tag); its run id."""
    tags = dict(request.tags)
    if request.partition_key is not None:
        tags[PARTITION_NAME_TAG] = request.partition_key
    run = instance.add_run(dg.DagsterRun(job_name=NIGHTLY_JOB_NAME, run_id=make_new_run_id(), tags=tags, status=status))
    return run.run_id


def started_cursor(started: dt.date, files: dict[dt.date, tuple[int, int]]) -> dict:
    return {"started": started.isoformat(), "files": {d.isoformat(): list(f) for d, f in files.items()}}


def day_fingerprint(exports: Path, day: dt.date) -> tuple[int, int]:
    stamps = [export_path(exports, t.name, day.isoformat()).stat().st_mtime_ns for t in TABLES]
    return len(stamps), max(stamps)


# --- the schedule -----------------------------------------------------------------------------------------------


def test_schedule_requests_yesterdays_partition_at_three_utc(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    assert nightly_schedule.cron_schedule == DEFAULT_SCHEDULE_CRON
    assert nightly_schedule.execution_timezone == "UTC"
    write_day(tmp_path, dt.date(2026, 11, 14), ["orders"])
    request = evaluate_schedule(tmp_path, dt.date(2026, 11, 14), instance)
    assert isinstance(request, dg.RunRequest)
    assert (request.partition_key, request.run_key, request.tags["trustqa/trigger"]) == (
        "2026-11-14",
        "2026-11-14",
        "schedule",
    )


def test_schedule_skips_a_day_without_export_files(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    write_day(tmp_path, D1)  # an earlier day has files, yesterday (D2) has none
    result = evaluate_schedule(tmp_path, D2, instance)
    assert isinstance(result, dg.SkipReason)
    assert result.skip_message == f"no export file for 2026-11-02 in any table of {tmp_path}: nothing to load"


def test_schedule_and_sensor_are_on_by_default() -> None:
    assert nightly_schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert exports_sensor.default_status == dg.DefaultSensorStatus.RUNNING


# --- one run per export day, whichever of the schedule and the sensor sees it first --------------------------


def test_sensor_first_then_the_schedule_skips_naming_the_run(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    write_day(tmp_path, D5)
    (request,) = evaluate(tmp_path, None, instance).run_requests
    assert (request.partition_key, request.run_key) == ("2026-11-05", "2026-11-05")
    run_id = submit(instance, request)
    result = evaluate_schedule(tmp_path, D5, instance)
    assert isinstance(result, dg.SkipReason)
    assert result.skip_message == f"2026-11-05 is already covered by run {run_id} (STARTED): not requested again"
    assert len(instance.get_run_records(dg.RunsFilter(job_name=NIGHTLY_JOB_NAME))) == 1


def test_schedule_first_then_the_sensor_skips_naming_the_run(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    write_day(tmp_path, D5)
    request = evaluate_schedule(tmp_path, D5, instance)
    run_id = submit(instance, request, SUCCESS)
    result = evaluate(tmp_path, None, instance)
    assert result.run_requests == []
    assert (
        f"2026-11-05 is already covered by run {run_id} (SUCCESS): not requested again"
        in result.skip_reason.skip_message
    )
    # the day counts as started: the next evaluation looks neither at it nor at the runs again
    assert json.loads(result.cursor)["started"] == "2026-11-05"
    assert evaluate(tmp_path, result.cursor, instance).run_requests == []
    assert len(instance.get_run_records(dg.RunsFilter(job_name=NIGHTLY_JOB_NAME))) == 1


def test_a_range_run_covers_each_of_its_days(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    for day in (D1, D2, D3):
        write_day(tmp_path, day)
    (request,) = evaluate(tmp_path, None, instance).run_requests
    run_id = submit(instance, request, SUCCESS)
    result = evaluate_schedule(tmp_path, D2, instance)
    assert isinstance(result, dg.SkipReason)
    assert result.skip_message == f"2026-11-02 is already covered by run {run_id} (SUCCESS): not requested again"


def test_sensor_splits_its_range_around_a_covered_day(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    for day in (D1, D2, D3, dt.date(2026, 11, 4)):
        write_day(tmp_path, day)
    submit(instance, evaluate_schedule(tmp_path, D2, instance), SUCCESS)
    result = evaluate(tmp_path, None, instance)
    assert [(r.run_key, r.partition_key) for r in result.run_requests] == [
        ("2026-11-01", "2026-11-01"),
        ("2026-11-03..2026-11-04", None),
    ]
    assert json.loads(result.cursor)["started"] == "2026-11-04"


@pytest.mark.parametrize("status", [FAILURE, CANCELED])
def test_a_failed_or_canceled_run_is_left_to_the_operator(
    tmp_path: Path, instance: dg.DagsterInstance, status: dg.DagsterRunStatus
) -> None:
    write_day(tmp_path, D5)
    run_id = submit(instance, evaluate_schedule(tmp_path, D5, instance), status)
    expected = (
        f"2026-11-05 is covered by run {run_id} ({status.value}): not retried automatically (the same files would "
        "fail the same way); re-execute it from the UI or with `trustqa materialize --partition 2026-11-05`, "
        "or re-deliver the day's files"
    )
    schedule_result = evaluate_schedule(tmp_path, D5, instance)
    assert isinstance(schedule_result, dg.SkipReason)
    assert schedule_result.skip_message == expected
    sensor_result = evaluate(tmp_path, None, instance)
    assert sensor_result.run_requests == []
    assert expected in sensor_result.skip_reason.skip_message


def test_a_redelivery_reruns_a_day_whose_run_failed(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    write_day(tmp_path, D5, age_minutes=120)
    first = evaluate(tmp_path, None, instance)
    submit(instance, first.run_requests[0], FAILURE)
    assert evaluate(tmp_path, first.cursor, instance).run_requests == []  # not retried on the same files
    write_day(tmp_path, D5, ["orders"], age_minutes=60)  # the exporter re-delivers a fixed file, settled
    (request,) = evaluate(tmp_path, first.cursor, instance).run_requests
    assert (request.partition_key, request.tags[REDELIVERY_TAG]) == ("2026-11-05", relative(tmp_path, "orders", D5))


# --- the sensor: complete days ------------------------------------------------------------------------------------


def test_incomplete_day_starts_nothing(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    write_day(tmp_path, D1, ["orders", "users"])  # two fresh files of eleven
    result = evaluate(tmp_path, None, instance)
    assert result.run_requests == []
    assert result.skip_reason.skip_message == f"no complete export day after the start in {tmp_path}"


def test_complete_day_starts_exactly_one_run(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    write_day(tmp_path, D1)
    result = evaluate(tmp_path, None, instance)
    (request,) = result.run_requests
    assert (request.partition_key, request.run_key) == ("2026-11-01", "2026-11-01")
    assert json.loads(result.cursor) == started_cursor(D1, {D1: day_fingerprint(tmp_path, D1)})
    # the next evaluation, with the cursor the first one left, starts nothing more
    again = evaluate(tmp_path, result.cursor, instance)
    assert again.run_requests == []
    assert again.cursor == result.cursor


def test_day_completes_when_its_last_file_arrives(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    write_day(tmp_path, D1)
    cursor = evaluate(tmp_path, None, instance).cursor
    write_day(tmp_path, D2, ["orders"])
    assert evaluate(tmp_path, cursor, instance).run_requests == []
    write_day(tmp_path, D2)
    result = evaluate(tmp_path, cursor, instance)
    assert [r.partition_key for r in result.run_requests] == ["2026-11-02"]
    assert json.loads(result.cursor)["started"] == "2026-11-02"


def test_partial_day_completes_when_a_later_day_starts_or_it_settles(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    write_day(tmp_path, D1, ["orders"])
    assert evaluate(tmp_path, None, instance).run_requests == []
    write_day(tmp_path, D2, ["orders"])  # the exporter moved on: D1 is done, D2 is not
    result = evaluate(tmp_path, None, instance)
    assert [r.partition_key for r in result.run_requests] == ["2026-11-01"]
    write_day(tmp_path, D2, ["orders"], age_minutes=31)  # nothing new for longer than the settle time
    result = evaluate(tmp_path, result.cursor, instance)
    assert [r.partition_key for r in result.run_requests] == ["2026-11-02"]


def test_several_complete_days_make_one_run_over_their_range(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    for day in (D1, D2, D3):
        write_day(tmp_path, day)
    result = evaluate(tmp_path, None, instance)
    (request,) = result.run_requests
    assert request.partition_key is None
    assert (request.tags[ASSET_PARTITION_RANGE_START_TAG], request.tags[ASSET_PARTITION_RANGE_END_TAG]) == (
        "2026-11-01",
        "2026-11-03",
    )
    assert request.run_key == "2026-11-01..2026-11-03"
    assert sorted(json.loads(result.cursor)["files"]) == ["2026-11-01", "2026-11-02", "2026-11-03"]


@pytest.mark.parametrize("started", [D3, dt.date(2026, 12, 1)])
def test_nothing_after_the_cursor_starts_nothing(
    tmp_path: Path, instance: dg.DagsterInstance, started: dt.date
) -> None:
    for day in (D1, D2, D3):
        write_day(tmp_path, day)
    files = {day: day_fingerprint(tmp_path, day) for day in (D1, D2, D3)}
    result = evaluate(tmp_path, json.dumps(started_cursor(started, files)), instance)
    assert result.run_requests == []


# --- the sensor: cursors of older versions ------------------------------------------------------------------------


def test_a_plain_date_cursor_counts_its_days_as_started(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    for day in (D1, D2, D3):
        write_day(tmp_path, day, age_minutes=120)
    result = evaluate(tmp_path, "2026-11-02", instance)
    assert [r.run_key for r in result.run_requests] == ["2026-11-03"]  # D1 and D2 are not re-run
    files = {day: day_fingerprint(tmp_path, day) for day in (D1, D2, D3)}
    assert json.loads(result.cursor) == started_cursor(D3, files)


def test_a_plain_date_cursor_with_nothing_new_records_the_files_and_reruns_nothing(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    for day in (D1, D2):
        write_day(tmp_path, day, age_minutes=120)
    result = evaluate(tmp_path, "2026-11-02", instance)
    assert result.run_requests == []
    assert "cursor 2026-11-02 is from an older version: recorded the files of 2 started day(s), re-ran none" in (
        result.skip_reason.skip_message
    )
    write_day(tmp_path, D1, ["agents"], age_minutes=60)  # a re-delivery after the upgrade is seen
    (request,) = evaluate(tmp_path, result.cursor, instance).run_requests
    assert request.tags[REDELIVERY_TAG] == relative(tmp_path, "agents", D1)


# --- the sensor: late re-deliveries ------------------------------------------------------------------------------


def test_a_redelivered_file_reruns_its_day_once(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    write_day(tmp_path, D1, age_minutes=120)
    write_day(tmp_path, D2, age_minutes=120)
    first = evaluate(tmp_path, None, instance)
    submit(instance, first.run_requests[0], SUCCESS)
    write_day(tmp_path, D1, ["orders", "tickets"], age_minutes=45)  # re-delivered, quiet for 45 min
    result = evaluate(tmp_path, first.cursor, instance)
    (request,) = result.run_requests
    count, newest = day_fingerprint(tmp_path, D1)
    assert (request.partition_key, request.run_key) == ("2026-11-01", f"2026-11-01@redelivery-{count}-{newest}")
    changed = f"{relative(tmp_path, 'orders', D1)}, {relative(tmp_path, 'tickets', D1)}"
    assert (request.tags[REDELIVERY_TAG], request.tags["trustqa/trigger"]) == (changed, "exports_sensor")
    assert json.loads(result.cursor)["files"]["2026-11-01"] == [count, newest]
    again = evaluate(tmp_path, result.cursor, instance)
    assert again.run_requests == []
    assert again.cursor == result.cursor


def test_a_redelivery_waits_until_its_files_settle(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    write_day(tmp_path, D1, age_minutes=120)
    cursor = evaluate(tmp_path, None, instance).cursor
    write_day(tmp_path, D1, ["orders"], age_minutes=5)  # still being written, perhaps
    waiting = evaluate(tmp_path, cursor, instance)
    assert waiting.run_requests == []
    assert "2026-11-01 has re-delivered files that have not settled yet (30 min)" in waiting.skip_reason.skip_message
    assert waiting.cursor == cursor  # not recorded: it is looked at again next time
    write_day(tmp_path, D1, ["orders"], age_minutes=31)
    (request,) = evaluate(tmp_path, waiting.cursor, instance).run_requests
    assert request.tags[REDELIVERY_TAG] == relative(tmp_path, "orders", D1)


def test_a_late_first_file_of_a_day_the_range_passed_reruns_it(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    write_day(tmp_path, D1, age_minutes=120)
    write_day(tmp_path, D3, age_minutes=120)  # no export at all for D2 yet
    first = evaluate(tmp_path, None, instance)
    assert [r.run_key for r in first.run_requests] == ["2026-11-01..2026-11-03"]
    write_day(tmp_path, D2, ["orders"], age_minutes=40)
    (request,) = evaluate(tmp_path, first.cursor, instance).run_requests
    assert (request.partition_key, request.tags[REDELIVERY_TAG]) == ("2026-11-02", relative(tmp_path, "orders", D2))


def test_files_newer_than_the_covering_run_rerun_the_day(
    tmp_path: Path, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The schedule ran a day with part of its files; the rest arrived after its run was created."""
    monkeypatch.setenv("TRUSTQA_SENSOR_SETTLE_MINUTES", "0")
    write_day(tmp_path, D5, ["orders"], age_minutes=120)
    submit(instance, evaluate_schedule(tmp_path, D5, instance), SUCCESS)
    later = time.time() + 5  # after the run's creation second
    for t in TABLES:
        if t.name != "orders":
            path = write_export(tmp_path, t.name, D5.isoformat(), [])
            os.utime(path, (later, later))
    plan = plan_exports_runs(tmp_path, instance, None, later + 1)
    (request,) = plan.requests
    assert request.partition_key == "2026-11-05"
    assert request.tags[REDELIVERY_TAG].split(", ") == sorted(
        relative(tmp_path, t.name, D5) for t in TABLES if t.name != "orders"
    )
    assert plan.cursor.files[D5].count == len(TABLES)


def test_only_recent_started_days_are_watched(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    old, recent = D1 - dt.timedelta(days=WATCHED_DAYS), D1
    write_day(tmp_path, old, age_minutes=120)
    write_day(tmp_path, recent, age_minutes=120)
    result = evaluate(tmp_path, None, instance)
    assert sorted(json.loads(result.cursor)["files"]) == ["2026-11-01"]
    write_day(tmp_path, old, ["orders"], age_minutes=60)  # too old to be watched: re-run by hand
    assert evaluate(tmp_path, result.cursor, instance).run_requests == []


# --- the CLI's day flags and the instance -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], None),
        (["--partition", "2026-11-14"], (dt.date(2026, 11, 14), dt.date(2026, 11, 14))),
        (["--from", "2026-11-01", "--to", "2026-11-14"], (dt.date(2026, 11, 1), dt.date(2026, 11, 14))),
        (["--from", "2026-11-03"], (dt.date(2026, 11, 3), dt.date(2026, 11, 3))),
    ],
)
def test_materialize_day_range_flags(argv: list[str], expected: tuple[dt.date, dt.date] | None) -> None:
    from dagster_project.cli import _day_range, build_parser

    assert _day_range(build_parser().parse_args(["materialize", *argv])) == expected


@pytest.mark.parametrize("argv", [["--partition", "2026-13-01"], ["--partition", "2026-11-14", "--to", "2026-11-15"]])
def test_materialize_rejects_bad_day_flags(argv: list[str]) -> None:
    from dagster_project.cli import _day_range, build_parser
    from dagster_project.pipeline import PipelineError

    with pytest.raises(PipelineError):
        _day_range(build_parser().parse_args(["materialize", *argv]))


def test_empty_range_is_refused(tmp_path: Path) -> None:
    from dagster_project.pipeline import PipelineError, run_nightly

    with pytest.raises(PipelineError, match="empty range"):
        run_nightly(tmp_path, dg.DagsterInstance.ephemeral(), day_range=(D2, D1))


def test_instance_runs_one_writer_at_a_time(tmp_path: Path) -> None:
    from dagster_project.instance import dagster_home
    from dagster_project.settings import Settings

    dagster_home(Settings.from_env({"DAGSTER_HOME": str(tmp_path)}))
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    try:
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
    finally:
        instance.dispose()
