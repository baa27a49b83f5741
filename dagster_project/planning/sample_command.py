"""``trustqa sample --date D [--capacity N] [--seed S] [--out FILE] [--warehouse FILE]`` (docs/sampling.md).

DuckDB (the default, or ``--warehouse FILE`` whatever the target): with the
warehouse's writer lock held, the frame and plan are read from the
warehouse, ``marts.qa_sample_daily`` gets the day's rows in one transaction,
and the analysts' published copy, when there is one, gets the table alone
(``refresh_published_tables``: the other marts stay as the last good run
published them). Snowflake (``TRUSTQA_TARGET=snowflake``): read and written
in the ``marts`` schema, where analysts read it. Exit codes: 0 (also when
the frame is empty: nothing to draw is not an error, and the table is left
as it was), 2 for a refusal (one line saying why), 3 when another process
holds the warehouse.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import TextIO

import duckdb

from dagster_project.insights.mart_reader import Read
from dagster_project.insights.shifts_command import project_var
from dagster_project.planning.day_draw import DayDraw, SampleRefused, SampleRequest, draw_day, summary_lines
from dagster_project.planning.frame import connection_reader
from dagster_project.planning.sample_csv import write_sample_csv
from dagster_project.planning.sample_table import NAME, SCHEMA, TABLE, write_duckdb, write_snowflake
from dagster_project.settings import Settings

EXIT_REFUSED, EXIT_WAREHOUSE_BUSY = 2, 3


class WarehouseUnavailable(RuntimeError):
    """Another process holds the warehouse (its lock, or DuckDB's own lock on the file)."""


def run_sample(config: Settings, request: SampleRequest, on_file: bool, out: TextIO, err: TextIO) -> int:
    """Draw, write and report the day's sample (``on_file``: ``--warehouse`` was given, so DuckDB)."""
    try:
        if config.target == "snowflake" and not on_file:
            draw, written = _on_snowflake(request)
        else:
            draw, written = _on_duckdb(config, request)
    except SampleRefused as exc:
        print(f"trustqa sample: {exc}", file=err)
        return EXIT_REFUSED
    except WarehouseUnavailable as exc:
        print(f"trustqa sample: refused: {exc}", file=err)
        return EXIT_WAREHOUSE_BUSY
    if draw.empty_reason:
        print(f"trustqa sample: nothing to draw for {request.day}: {draw.empty_reason}; {TABLE} is unchanged", file=out)
    else:
        print("\n".join([*summary_lines(draw), *written]), file=out)
    if request.out is not None:  # also when empty: a QA tool must not take an older day's file for this one's
        print(f"CSV for the QA tool: {write_sample_csv(request.out, draw.sample)} ({len(draw.sample)} cases)", file=out)
    return 0


def _min_p() -> float:
    """The plan's bound on p_hat (dbt var ``qa_plan_min_p``), the same for the daily allocation."""
    return float(project_var("qa_plan_min_p"))


def _drawn_at() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _on_duckdb(config: Settings, request: SampleRequest) -> tuple[DayDraw, list[str]]:
    """Draw from and write to the DuckDB warehouse under its lock; refresh the published copy."""
    from dagster_project.runs.warehouse_lock import WarehouseBusy, hold_warehouse

    path = config.duckdb_path
    if not path.exists():
        raise SampleRefused(f"no warehouse at {path}; run `trustqa materialize` first")
    try:
        with hold_warehouse(path), contextlib.closing(_open_warehouse(path)) as con:
            draw = draw_day(connection_reader(con), request, _drawn_at(), _min_p())
            if draw.empty_reason:
                return draw, []
            replaced = write_duckdb(con, request.day, draw.sample)
            published = _refresh_publication(con, config)
    except WarehouseBusy as exc:
        raise WarehouseUnavailable(str(exc)) from None
    return draw, [_written(draw, replaced, f"in {path}"), published]


def _open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """The writer's connection; :class:`WarehouseUnavailable` when DuckDB's own lock on the file is taken
    (a process outside trustqa has it open)."""
    from dagster_project.loading.loader import connect

    try:
        return connect(path)
    except duckdb.IOException as exc:
        raise WarehouseUnavailable(f"cannot open the warehouse {path}: {' '.join(str(exc).split())}") from None


def _refresh_publication(con: duckdb.DuckDBPyConnection, config: Settings) -> str:
    """Publish the sample table alone into the analysts' copy, if there is one; say what happened."""
    from dagster_project.publishing.publish import refresh_published_tables

    published = config.published_path
    if not published.exists():
        return f"no published copy at {published} yet: the next nightly run publishes {TABLE} with the marts"
    try:
        refresh_published_tables(con, published, [(SCHEMA, NAME)])
    except (OSError, duckdb.Error) as exc:
        return (
            f"the published copy {published} could not be refreshed ({type(exc).__name__}: {exc}); "
            f"the next nightly run publishes {TABLE}"
        )
    return f"published copy refreshed: analysts see {TABLE} in {published}"


def _on_snowflake(request: SampleRequest) -> tuple[DayDraw, list[str]]:
    """Draw from and write to the ``marts`` schema on Snowflake (analysts read it there)."""
    from dagster_project.insights.mart_reader import rows_from_snowflake
    from dagster_project.settings import analyst_role, snowflake_settings

    read: Read = rows_from_snowflake
    draw = draw_day(read, request, _drawn_at(), _min_p())
    if draw.empty_reason:
        return draw, []
    role = analyst_role()
    replaced = write_snowflake(request.day, draw.sample, role)
    granted = f"select granted to role {role}" if role else "no role granted select (TRUSTQA_ANALYST_ROLE is empty)"
    return draw, [_written(draw, replaced, f"in Snowflake database {snowflake_settings().database}; {granted}")]


def _written(draw: DayDraw, replaced: int, where: str) -> str:
    """The line saying what was written, and whether it replaced an earlier draw of the day."""
    earlier = f"replacing the {replaced} rows of an earlier draw of the day" if replaced else "a new day"
    return f"wrote {len(draw.sample)} cases for {draw.request.day} to {TABLE} {where} ({earlier})"
