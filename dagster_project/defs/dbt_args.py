"""The dbt command line of a run: plain Python, unit-tested (tests/test_dbt_args.py)."""

from __future__ import annotations

import datetime as dt

# dbt unit tests check SQL logic on fixed inputs: they cannot change from one night to the next, so
# the pipeline leaves them to CI (`make test` builds the project with them) as dbt recommends.
BUILD = ["build", "--exclude-resource-type", "unit_test"]
# Set on every dbt step of a run: the data tests of the models that opt in check the rows of their latest
# build, not whole tables (dbt_project/macros/tests/get_where_subquery.sql). `dbt test` by hand checks all.
LATEST_BUILD_TESTS = {"TRUSTQA_DBT_TESTS_ON_LATEST_BUILD": "true"}


def partition_vars(window_start: dt.datetime, window_end: dt.datetime) -> dict[str, str]:
    """dbt vars of a partition window: the export days it covers, both ends included.

    Dagster's daily time windows are half-open (``end`` is the next day at
    00:00), so ``max_date`` is the day before ``end``.
    """
    first, last = window_start.date(), (window_end - dt.timedelta(days=1)).date()
    if last < first:
        raise ValueError(f"empty partition window {window_start} .. {window_end}")
    return {"min_date": first.isoformat(), "max_date": last.isoformat()}


def dbt_build_args() -> list[str]:
    """``dbt build`` without unit tests."""
    return list(BUILD)


def window_environment(
    window: tuple[dt.datetime, dt.datetime], late_data_lookback_days: int | None = None
) -> dict[str, str]:
    """The partition window (and the late-data lookback) as the variables dbt reads at execution.

    Not ``--vars``: dbt re-parses the whole project whenever its vars differ
    from the last parse, and the window differs every night
    (dbt_project/macros/incremental/partition_window.sql).
    """
    dates = partition_vars(*window)
    env = {"TRUSTQA_DBT_MIN_DATE": dates["min_date"], "TRUSTQA_DBT_MAX_DATE": dates["max_date"]}
    if late_data_lookback_days is not None:
        env["TRUSTQA_DBT_LATE_DATA_LOOKBACK_DAYS"] = str(late_data_lookback_days)
    return env
