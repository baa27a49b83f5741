"""``trustqa plan [--week W] [--warehouse FILE]``: a week's sampling plan (see :mod:`plan_report`).

Reads ``marts.fct_qa_sampling_plan`` from the analysts' published copy (or
``--warehouse FILE``) on DuckDB, from the ``marts`` schema on Snowflake.
The default week is the current one (``is_current_week``); ``--week`` takes
any day of the wanted week. Exit 2, with one line saying why, when there is
nothing to read.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, TextIO

from dagster_project.insights.mart_reader import date_literal, marts_reader, monday_of, optional_float
from dagster_project.planning.frame import PLAN, missing_marts
from dagster_project.planning.plan_report import PlanLine, plan_report
from dagster_project.settings import Settings


def run_plan(config: Settings, week: dt.date | None, warehouse: Path | None, out: TextIO, err: TextIO) -> int:
    """Print the week's plan; 0, or 2 when there is nothing to read (with a message saying why)."""
    read, path = marts_reader(config, warehouse)
    where = str(path) if path else "Snowflake"
    if read is None:
        print(f"trustqa plan: no marts at {where}; run `trustqa materialize` first", file=err)
        return 2
    if missing_marts(read, (PLAN,)):
        print(f"trustqa plan: no marts.{PLAN} in {where}; run `trustqa materialize` first", file=err)
        return 2
    which = "is_current_week" if week is None else f"week_start = {date_literal(monday_of(week))}"
    lines = [plan_line(row) for row in read(f"select * from marts.{PLAN} where {which}")]
    if not lines:
        (span,) = read(f"select min(week_start) as first_week, max(week_start) as last_week from marts.{PLAN}")
        wanted = "the current week" if week is None else f"the week of {monday_of(week)}"
        print(
            f"trustqa plan: no plan rows for {wanted} in marts.{PLAN} "
            f"(its weeks: {span['first_week']} .. {span['last_week']})",
            file=err,
        )
        return 2
    print(plan_report(lines), file=out)
    return 0


def plan_line(row: dict[str, Any]) -> PlanLine:
    """A row of the mart as a :class:`PlanLine` (Snowflake returns decimals: numbers are converted)."""
    return PlanLine(
        week_start=row["week_start"],
        stratum=str(row["stratum"]),
        is_current_week=bool(row["is_current_week"]),
        population_n=float(row["population_n"] or 0.0),
        p_hat=float(row["p_hat"]),
        margin=float(row["margin"]),
        confidence=float(row["confidence"]),
        n_required=int(row["n_required"] or 0),
        n_reviewed=int(row["n_reviewed"] or 0),
        achieved_margin=optional_float(row["achieved_margin"]),
        coverage=optional_float(row["coverage"]),
        is_short=bool(row["is_short"]),
        n_allocated=None if row.get("n_allocated") is None else int(row["n_allocated"]),
        allocated_margin=optional_float(row.get("allocated_margin")),
        allocated_overall_margin=optional_float(row.get("allocated_overall_margin")),
    )
