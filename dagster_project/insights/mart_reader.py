"""Rows of the marts for a report or a check, from whichever warehouse holds them.

DuckDB: a read-only connection to a file (the analysts' published copy for
the CLI, the warehouse inside a run). Snowflake: the ``marts`` schema of the
configured database through the connector. Column names come back in lower
case on both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


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
