"""Rows of the marts for a report or a check, from whichever warehouse holds them.

DuckDB: a read-only connection to a file (the analysts' published copy for
the CLI, the warehouse inside a run). Snowflake: the ``marts`` schema of the
configured database through the connector. Column names come back in lower
case on both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dagster_project.settings import Settings

Read = Callable[[str], list[dict[str, Any]]]


def date_literal(day: dt.date) -> str:
    """A date literal both DuckDB and Snowflake read."""
    return f"date '{day.isoformat()}'"


def monday_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s ISO week (the marts' ``week_start``)."""
    return day - dt.timedelta(days=day.weekday())


def rows_from_duckdb(path: Path, sql: str) -> list[dict[str, Any]]:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0].lower() for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def rows_from_snowflake(sql: str, settings: Any | None = None) -> list[dict[str, Any]]:
    """``sql`` on Snowflake, in the configured database (``settings``: SnowflakeSettings, default the environment)."""
    import contextlib

    from dagster_project.settings import snowflake_settings
    from dagster_project.snowflake.settings import connect

    settings = settings or snowflake_settings()
    with contextlib.closing(connect(settings, login_timeout=20)) as connection:
        cursor = connection.cursor()
        cursor.execute(f"use database {settings.database}")
        cursor.execute(sql)
        names = [d[0].lower() for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def optional_float(value: Any) -> float | None:
    """A numeric mart value as a float (Snowflake returns decimals), None kept."""
    return None if value is None else float(value)


def marts_reader(config: Settings, warehouse: Path | None) -> tuple[Read | None, Path | None]:
    """How a command reads the marts: Snowflake's ``marts`` schema (no path), or the DuckDB file read-only
    (``--warehouse FILE``, default the analysts' published copy) and its path; ``read`` is None when that file
    does not exist (the caller says so: run ``trustqa materialize`` first)."""
    if config.target == "snowflake" and warehouse is None:
        return rows_from_snowflake, None
    path = warehouse or config.published_path
    if not path.exists():
        return None, path

    def read(sql: str) -> list[dict[str, Any]]:
        return rows_from_duckdb(path, sql)

    return read, path
