"""The dbt command line of a run, from its partition window (pure functions)."""

from __future__ import annotations

import datetime as dt

import pytest

from dagster_project.defs.dbt_args import dbt_build_args, partition_vars, window_environment

UTC = dt.UTC


def day(d: str) -> dt.datetime:
    return dt.datetime.fromisoformat(d).replace(tzinfo=UTC)


def test_one_daily_partition_is_one_export_day() -> None:
    # Dagster's window for partition 2026-11-14 is [11-14 00:00, 11-15 00:00)
    assert partition_vars(day("2026-11-14"), day("2026-11-15")) == {"min_date": "2026-11-14", "max_date": "2026-11-14"}


def test_a_backfill_range_covers_its_first_and_last_day() -> None:
    assert partition_vars(day("2026-11-01"), day("2026-11-15")) == {"min_date": "2026-11-01", "max_date": "2026-11-14"}


def test_an_empty_window_is_refused() -> None:
    with pytest.raises(ValueError, match="empty partition window"):
        partition_vars(day("2026-11-14"), day("2026-11-14"))


def test_build_args_are_a_build_without_unit_tests() -> None:
    assert dbt_build_args() == ["build", "--exclude-resource-type", "unit_test"]


def test_the_window_goes_to_dbt_as_environment_variables_not_vars() -> None:
    # partition 2026-11-13 .. 2026-11-14 (Dagster's window ends at 11-15 00:00, exclusive)
    assert window_environment((day("2026-11-13"), day("2026-11-15"))) == {
        "TRUSTQA_DBT_MIN_DATE": "2026-11-13",
        "TRUSTQA_DBT_MAX_DATE": "2026-11-14",
    }


def test_the_window_environment_carries_the_late_data_lookback() -> None:
    env = window_environment((day("2026-11-14"), day("2026-11-15")), late_data_lookback_days=5)
    assert env == {
        "TRUSTQA_DBT_MIN_DATE": "2026-11-14",
        "TRUSTQA_DBT_MAX_DATE": "2026-11-14",
        "TRUSTQA_DBT_LATE_DATA_LOOKBACK_DAYS": "5",
    }
