"""``trustqa shifts [--week W]``: the signals of a week in plain words (see :mod:`shift_report`).

Reads the analysts' published copy of the marts (or ``--warehouse FILE``) on
DuckDB, the ``marts`` schema on Snowflake. The default week is the latest
complete week in ``fct_metric_shifts_weekly``; ``--week`` takes any day of
the wanted week.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, TextIO

import yaml

from dagster_project.insights.mart_reader import marts_reader, monday_of, optional_float
from dagster_project.insights.shift_report import Driver, Shift, weekly_report
from dagster_project.settings import DBT_PROJECT_DIR, Settings

SHIFTS = "marts.fct_metric_shifts_weekly"
DRIVERS = "marts.fct_metric_shift_drivers_weekly"


def project_var(name: str) -> Any:
    """A dbt var's default from ``dbt_project/dbt_project.yml`` (what the nightly run used unless overridden)."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return project["vars"][name]


def run_shifts(config: Settings, week: dt.date | None, warehouse: Path | None, out: TextIO, err: TextIO) -> int:
    """Print the week's report; 0, or 2 when there is nothing to read (with a message saying why)."""
    read, path = marts_reader(config, warehouse)
    if read is None:
        print(f"trustqa shifts: no marts at {path}; run `trustqa materialize` first", file=err)
        return 2

    if week is None:
        latest = read(f"select max(week_start) as week_start from {SHIFTS}")
        if not latest or latest[0]["week_start"] is None:
            print(
                "trustqa shifts: no complete week with a baseline yet (fct_metric_shifts_weekly is empty); "
                "the marts need at least one complete ISO week of exports",
                file=err,
            )
            return 2
        week = latest[0]["week_start"]
    else:
        week = monday_of(week)
    literal = f"date '{week.isoformat()}'"
    shifts = [_shift(row) for row in read(f"select * from {SHIFTS} where week_start = {literal}")]
    if not shifts:
        print(f"trustqa shifts: no shifts for the week of {week} in {SHIFTS}", file=err)
        return 2
    drivers: dict[tuple[str, str, str], list[Driver]] = {}
    for row in read(f"select * from {DRIVERS} where week_start = {literal}"):
        key = (row["metric"], row["slice_dimension"], row["slice_value"])
        drivers.setdefault(key, []).append(_driver(row))
    print(weekly_report(week, shifts, drivers, float(project_var("shift_max_q_value"))), file=out)
    return 0


def _shift(row: dict[str, Any]) -> Shift:
    return Shift(
        week_start=row["week_start"],
        metric=row["metric"],
        slice_dimension=row["slice_dimension"],
        slice_value=row["slice_value"],
        n=int(row["n"] or 0),
        value=optional_float(row["value"]),
        baseline_n=int(row["baseline_n"] or 0),
        baseline_value=optional_float(row["baseline_value"]),
        abs_change=optional_float(row["abs_change"]),
        rel_change=optional_float(row["rel_change"]),
        p_value=optional_float(row["p_value"]),
        q_value=optional_float(row["q_value"]),
        is_signal=bool(row["is_signal"]),
    )


def _driver(row: dict[str, Any]) -> Driver:
    return Driver(
        driver_dimension=row["driver_dimension"],
        driver_value=str(row["driver_value"]),
        base_value=optional_float(row.get("base_value")),
        cur_value=optional_float(row.get("cur_value")),
        mix_effect=optional_float(row.get("mix_effect")),
        rate_effect=optional_float(row.get("rate_effect")),
        contribution=optional_float(row.get("contribution")),
        rank=None if row.get("rank") is None else int(row["rank"]),
        q_value=optional_float(row.get("q_value")),
    )
