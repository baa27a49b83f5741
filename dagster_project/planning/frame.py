"""Reading a day's sampling frame and the week's plan rows from the marts (DuckDB or Snowflake alike).

Every reader takes ``read``: a function from one SQL statement to its rows as
dicts with lower-case keys (``mart_reader.rows_from_duckdb``,
``rows_from_snowflake``, or a query on an open connection).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dagster_project.insights.mart_reader import Read, date_literal, optional_float

CASES = "dim_qa_cases"
PLAN = "fct_qa_sampling_plan"


@dataclass(frozen=True)
class Case:
    """A closed case that no QA review has looked at yet: what can be drawn."""

    case_type: str
    case_id: str
    stratum: str


@dataclass(frozen=True)
class PlanRow:
    """What ``trustqa sample`` uses of a stratum's plan row: its weekly requirement and its planning proportion."""

    stratum: str
    n_required: int
    p_hat: float | None


def marts_tables(read: Read) -> set[str]:
    """The tables of schema ``marts`` (lower case), on DuckDB and Snowflake alike."""
    rows = read(
        "select lower(table_name) as table_name from information_schema.tables where lower(table_schema) = 'marts'"
    )
    return {str(row["table_name"]) for row in rows}


def missing_marts(read: Read, needed: tuple[str, ...]) -> list[str]:
    """The marts of ``needed`` that do not exist yet (``marts.<name>``)."""
    present = marts_tables(read)
    return [f"marts.{name}" for name in needed if name not in present]


def read_frame(read: Read, closed_day: dt.date) -> list[Case]:
    """The cases closed on ``closed_day`` with no QA review yet (``reviews = 0``), in a stable order."""
    rows = read(
        f"select case_type, case_id, stratum from marts.{CASES} "
        f"where closed_day = {date_literal(closed_day)} and reviews = 0 order by stratum, case_type, case_id"
    )
    return [Case(str(r["case_type"]), str(r["case_id"]), str(r["stratum"])) for r in rows]


def read_plan(read: Read, week_start: dt.date) -> dict[str, PlanRow]:
    """The plan rows of the week starting ``week_start`` (a Monday), by stratum."""
    rows = read(f"select stratum, n_required, p_hat from marts.{PLAN} where week_start = {date_literal(week_start)}")
    return {
        str(r["stratum"]): PlanRow(str(r["stratum"]), int(r["n_required"] or 0), optional_float(r["p_hat"]))
        for r in rows
    }


def connection_reader(con: Any) -> Read:
    """``read`` on an open DuckDB connection (the writer's, inside the warehouse's lock)."""

    def read(sql: str) -> list[dict[str, Any]]:
        cursor = con.execute(sql)
        names = [d[0].lower() for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    return read
