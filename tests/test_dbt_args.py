"""The dbt command line of a run, from its partition window (pure functions)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dagster_project.defs.dbt_args import dbt_build_args, partition_vars

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


def test_build_args_pass_the_window_as_vars() -> None:
    args = dbt_build_args((day("2026-11-13"), day("2026-11-15")))
    assert args[:4] == ["build", "--exclude-resource-type", "unit_test", "--vars"]
    assert json.loads(args[4]) == {"max_date": "2026-11-14", "min_date": "2026-11-13"}


def test_build_args_without_a_window_are_a_build_without_unit_tests() -> None:
    assert dbt_build_args() == ["build", "--exclude-resource-type", "unit_test"]


def test_build_args_carry_the_late_data_lookback() -> None:
    args = dbt_build_args((day("2026-11-14"), day("2026-11-15")), late_data_lookback_days=5)
    assert json.loads(args[4]) == {"late_data_lookback_days": 5, "max_date": "2026-11-14", "min_date": "2026-11-14"}
