"""The dbt command line of a run: plain Python, unit-tested (tests/test_dbt_args.py)."""

from __future__ import annotations

import datetime as dt
import json

# dbt unit tests check SQL logic on fixed inputs: they cannot change from one night to the next, so
# the pipeline leaves them to CI (`make test` builds the project with them) as dbt recommends.
BUILD = ["build", "--exclude-resource-type", "unit_test"]


def partition_vars(window_start: dt.datetime, window_end: dt.datetime) -> dict[str, str]:
    """dbt vars of a partition window: the export days it covers, both ends included.

    Dagster's daily time windows are half-open (``end`` is the next day at
    00:00), so ``max_date`` is the day before ``end``.
    """
    first, last = window_start.date(), (window_end - dt.timedelta(days=1)).date()
    if last < first:
        raise ValueError(f"empty partition window {window_start} .. {window_end}")
    return {"min_date": first.isoformat(), "max_date": last.isoformat()}


def dbt_build_args(
    window: tuple[dt.datetime, dt.datetime] | None = None, late_data_lookback_days: int | None = None
) -> list[str]:
    """``dbt build`` without unit tests, with the partition window (and the late-data lookback) as vars when the run has one."""
    if window is None:
        return list(BUILD)
    dbt_vars: dict[str, object] = dict(partition_vars(*window))
    if late_data_lookback_days is not None:
        dbt_vars["late_data_lookback_days"] = late_data_lookback_days
    return [*BUILD, "--vars", json.dumps(dbt_vars, sort_keys=True)]
