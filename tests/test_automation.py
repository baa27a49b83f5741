"""The nightly schedule and the exports sensor, evaluated with Dagster's test contexts."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from dagster_project.contract import TABLES
from dagster_project.defs.automation import exports_sensor, nightly_schedule
from dagster_project.defs.resources import WarehouseResource
from dagster_project.settings import DEFAULT_SCHEDULE_CRON
from tests.export_builder import write_export

D1, D2, D3 = dt.date(2026, 11, 1), dt.date(2026, 11, 2), dt.date(2026, 11, 3)


def write_day(exports: Path, day: dt.date, tables: list[str] | None = None, age_minutes: float = 0) -> None:
    """Header-only export files for ``day`` (every table by default), modified ``age_minutes`` ago."""
    for name in tables or [t.name for t in TABLES]:
        path = write_export(exports, name, day.isoformat(), [])
        stamp = time.time() - age_minutes * 60
        os.utime(path, (stamp, stamp))


def evaluate(exports: Path, cursor: str | None) -> dg.SensorResult | dg.SkipReason:
    warehouse = WarehouseResource(
        duckdb_path=str(exports / "w.duckdb"), exports_dir=str(exports), data_docs_dir=str(exports / "docs")
    )
    context = dg.build_sensor_context(cursor=cursor, resources={"warehouse": warehouse})
    return exports_sensor(context)


def test_schedule_requests_yesterdays_partition_at_three_utc() -> None:
    assert nightly_schedule.cron_schedule == DEFAULT_SCHEDULE_CRON
    assert nightly_schedule.execution_timezone == "UTC"
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 11, 15, 3, 0, tzinfo=dt.UTC))
    request = nightly_schedule(context)
    assert request.partition_key == "2026-11-14"
    assert request.run_key == "2026-11-14"


def test_schedule_and_sensor_are_on_by_default() -> None:
    assert nightly_schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert exports_sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_incomplete_day_starts_nothing(tmp_path: Path) -> None:
    write_day(tmp_path, D1, ["orders", "users"])  # two fresh files of eleven
    result = evaluate(tmp_path, None)
    assert isinstance(result, dg.SkipReason)


def test_complete_day_starts_exactly_one_run(tmp_path: Path) -> None:
    write_day(tmp_path, D1)
    result = evaluate(tmp_path, None)
    assert isinstance(result, dg.SensorResult)
    (request,) = result.run_requests
    assert (request.partition_key, request.run_key, result.cursor) == ("2026-11-01", "2026-11-01", "2026-11-01")
    # the next evaluation, with the cursor the first one left, starts nothing more
    assert isinstance(evaluate(tmp_path, result.cursor), dg.SkipReason)


def test_day_completes_when_its_last_file_arrives(tmp_path: Path) -> None:
    write_day(tmp_path, D1)
    write_day(tmp_path, D2, ["orders"])
    assert isinstance(evaluate(tmp_path, "2026-11-01"), dg.SkipReason)
    write_day(tmp_path, D2)
    result = evaluate(tmp_path, "2026-11-01")
    assert [r.partition_key for r in result.run_requests] == ["2026-11-02"]
    assert result.cursor == "2026-11-02"


def test_partial_day_completes_when_a_later_day_starts_or_it_settles(tmp_path: Path) -> None:
    write_day(tmp_path, D1, ["orders"])
    assert isinstance(evaluate(tmp_path, None), dg.SkipReason)
    write_day(tmp_path, D2, ["orders"])  # the exporter moved on: D1 is done, D2 is not
    result = evaluate(tmp_path, None)
    assert [r.partition_key for r in result.run_requests] == ["2026-11-01"]
    write_day(tmp_path, D2, ["orders"], age_minutes=31)  # nothing new for longer than the settle time
    result = evaluate(tmp_path, "2026-11-01")
    assert [r.partition_key for r in result.run_requests] == ["2026-11-02"]


def test_several_complete_days_make_one_run_over_their_range(tmp_path: Path) -> None:
    for day in (D1, D2, D3):
        write_day(tmp_path, day)
    result = evaluate(tmp_path, None)
    (request,) = result.run_requests
    assert request.partition_key is None
    assert (request.tags[ASSET_PARTITION_RANGE_START_TAG], request.tags[ASSET_PARTITION_RANGE_END_TAG]) == (
        "2026-11-01",
        "2026-11-03",
    )
    assert request.run_key == "2026-11-01..2026-11-03"
    assert result.cursor == "2026-11-03"


@pytest.mark.parametrize("cursor", ["2026-11-03", "2026-12-01"])
def test_nothing_after_the_cursor_starts_nothing(tmp_path: Path, cursor: str) -> None:
    for day in (D1, D2, D3):
        write_day(tmp_path, day)
    assert isinstance(evaluate(tmp_path, cursor), dg.SkipReason)


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
