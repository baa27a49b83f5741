"""``marts.qa_sample_daily``: write one day's sample, replacing that day, in one transaction.

Not a dbt model: ``trustqa sample`` writes it between nightly runs. On
DuckDB the caller holds the warehouse's lock; the table is created if
missing, the day's rows deleted and the new ones inserted in one
transaction. On Snowflake the same through the connector; ``create table``
(and the grant to the analysts' role) commit on their own there, as every
DDL statement does, so they run before the transaction that replaces the day.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import duckdb

from dagster_project.planning.draw import SampledCase

SCHEMA, NAME = "marts", "qa_sample_daily"
TABLE = f"{SCHEMA}.{NAME}"
COLUMNS = ("day", "case_type", "case_id", "stratum", "inclusion_probability", "draw_rank", "seed", "drawn_at")
DUCKDB_TYPES = ("date", "varchar", "varchar", "varchar", "double", "integer", "integer", "timestamp")
SNOWFLAKE_TYPES = ("date", "varchar", "varchar", "varchar", "float", "integer", "integer", "timestamp_ntz")


def create_statement(types: tuple[str, ...]) -> str:
    """``create table if not exists`` for the sample table with these column types."""
    columns = ", ".join(f"{name} {kind}" for name, kind in zip(COLUMNS, types, strict=True))
    return f"create table if not exists {TABLE} ({columns})"


def row_values(case: SampledCase) -> tuple[Any, ...]:
    """A sampled case as the table's values, in column order."""
    return tuple(getattr(case, name) for name in COLUMNS)


def write_duckdb(con: duckdb.DuckDBPyConnection, day: dt.date, sample: list[SampledCase]) -> int:
    """Replace ``day``'s rows of the table with ``sample`` in one transaction; returns the rows replaced."""
    con.execute("begin transaction")
    try:
        con.execute(create_statement(DUCKDB_TYPES))
        (replaced,) = con.execute(f"delete from {TABLE} where day = ?", [day]).fetchone()
        if sample:
            placeholders = ", ".join("?" for _ in COLUMNS)
            con.executemany(f"insert into {TABLE} values ({placeholders})", [row_values(c) for c in sample])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return int(replaced)


def write_snowflake(day: dt.date, sample: list[SampledCase], analyst_role: str, settings: Any | None = None) -> int:
    """Replace ``day``'s rows of the table on Snowflake (``settings``: SnowflakeSettings, default the
    environment); ``analyst_role`` ("" for none) is granted select, as dbt grants it on every mart.
    Returns the rows replaced."""
    from dagster_project.settings import snowflake_settings
    from dagster_project.snowflake.settings import connect

    settings = settings or snowflake_settings()
    with contextlib.closing(connect(settings, login_timeout=20)) as connection:
        cursor = connection.cursor()
        cursor.execute(f"use database {settings.database}")
        cursor.execute(f"create schema if not exists {SCHEMA}")
        cursor.execute(create_statement(SNOWFLAKE_TYPES))
        if analyst_role:
            cursor.execute(f"grant select on table {TABLE} to role {analyst_role}")
        cursor.execute("begin")
        try:
            cursor.execute(f"delete from {TABLE} where day = %s", (day,))
            replaced = cursor.rowcount or 0
            if sample:
                placeholders = ", ".join("%s" for _ in COLUMNS)
                cursor.executemany(
                    f"insert into {TABLE} ({', '.join(COLUMNS)}) values ({placeholders})",
                    [row_values(c) for c in sample],
                )
            cursor.execute("commit")
        except BaseException:
            cursor.execute("rollback")
            raise
    return int(replaced)
