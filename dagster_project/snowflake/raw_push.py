"""Load export days with the project loader, then push raw, quarantine and audit rows to Snowflake.

The loader (contract rules, quarantine, load audit) runs on a scratch DuckDB
file, exactly as on the DuckDB target. The rows that load wrote (they carry
its load time) are exported to Parquet, PUT to a stage and copied with
``COPY INTO ... MATCH_BY_COLUMN_NAME``. Idempotent per export day: in one
Snowflake transaction per table, the rows of the pushed days (and of the
table's misnamed files) are deleted first, with the loader's own keys.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster_project.contract import TABLES, Table
from dagster_project.loading.export_files import dated_file, future_files, misnamed_files
from dagster_project.loading.load_audit import AUDIT_SCHEMA, AUDIT_TABLE
from dagster_project.loading.loader import LoadResult, load_days
from dagster_project.loading.loader import connect as connect_duckdb
from dagster_project.loading.raw_schema import QUARANTINE_SCHEMA, RAW_SCHEMA
from dagster_project.loading.rules import FILE_DATE_IN_FUTURE, quote_literal
from dagster_project.settings import snowflake_settings
from dagster_project.snowflake.settings import SnowflakeSettings, connect

STAGE = f"{AUDIT_SCHEMA}.trustqa_raw_push"
_SIMPLE_TYPES = {
    "VARCHAR": "varchar",
    "BIGINT": "number(38,0)",
    "INTEGER": "number(38,0)",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "DOUBLE": "float",
    "TIMESTAMP": "timestamp_ntz",
}


class RawPushFailed(RuntimeError):
    """A statement of the push failed; the message names the table and the statement."""


@dataclass(frozen=True)
class PushedTable:
    relation: str  # schema.table in Snowflake
    rows: int


@dataclass(frozen=True)
class PushResult:
    loads: list[LoadResult]  # the loader's result per table, as on DuckDB
    pushed: list[PushedTable]  # the rows copied into each Snowflake relation


def snowflake_type(duckdb_type: str) -> str:
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", duckdb_type)
    if decimal:
        return f"number({decimal[1]},{decimal[2]})"
    if duckdb_type not in _SIMPLE_TYPES:
        raise RawPushFailed(f"no Snowflake type for DuckDB type {duckdb_type}")
    return _SIMPLE_TYPES[duckdb_type]


def _columns(duck: Any, schema: str, table: str) -> list[tuple[str, str]]:
    return duck.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()


def _run(cursor: Any, relation: str, sql: str) -> Any:
    try:
        return cursor.execute(sql)
    except Exception as exc:
        raise RawPushFailed(f"{relation}: {sql.split(chr(10))[0][:200]}: {exc}") from exc


def _push_relation(
    duck: Any, cursor: Any, schema: str, table: str, delete_where: str, loaded_at: str, work: Path
) -> PushedTable:
    """Replace the rows matched by ``delete_where`` in Snowflake with this load's rows of ``schema.table``."""
    relation = f"{schema}.{table}"
    time_column = "loaded_at" if schema == AUDIT_SCHEMA else "_loaded_at"
    columns = _columns(duck, schema, table)
    ddl = ", ".join(f"{name} {snowflake_type(kind)}" for name, kind in columns)
    _run(cursor, relation, f"create table if not exists {relation} ({ddl})")
    name = f"{schema}__{table}.parquet"  # one file per relation, overwritten by the next push
    local = work / name
    rows = duck.execute(
        f"copy (select * from {relation} where {time_column} = {loaded_at}) to '{local}' (format parquet)"
    ).fetchone()[0]
    _run(cursor, relation, f"put file://{local} @{STAGE} auto_compress=false overwrite=true")
    _run(cursor, relation, "begin")
    try:
        _run(cursor, relation, f"delete from {relation} where {delete_where}")
        if rows:
            _run(
                cursor,
                relation,
                f"copy into {relation} from @{STAGE}/{name}"
                " file_format = (type = parquet) match_by_column_name = case_insensitive"
                " force = true",
            )  # load the file even if an identical one was loaded before
        _run(cursor, relation, "commit")
    except BaseException:
        cursor.execute("rollback")
        raise
    finally:
        local.unlink(missing_ok=True)
    return PushedTable(relation, rows)


def _sql_dates(days: Sequence[dt.date]) -> str:
    """``days`` as the inside of an SQL ``in (...)`` list (``null`` matches nothing when empty)."""
    return ", ".join(f"date '{d}'" for d in days) or "null"


def _sql_files_of_no_day(exports_dir: Path, tables: Sequence[Table], days: Sequence[dt.date]) -> str:
    """The export files whose records the loader replaced outside the loaded days, as an SQL ``in (...)`` list:
    misnamed files, files dated after today, and the days' own files (one that was in the future before)."""
    files = [f for t in tables for f in (*misnamed_files(exports_dir, t), *future_files(exports_dir, t))]
    files += [f for t in tables for d in days if (f := dated_file(exports_dir, t, d)) is not None]
    return ", ".join(quote_literal(f.relative_path) for f in files) or "null"


def _push_table(
    duck: Any, cursor: Any, table: Table, exports_dir: Path, days: list[dt.date], loaded_at: str, work: Path
) -> list[PushedTable]:
    day_list, files = _sql_dates(days), _sql_files_of_no_day(exports_dir, [table], days)
    return [
        _push_relation(duck, cursor, RAW_SCHEMA, table.name, f"_export_date in ({day_list})", loaded_at, work),
        _push_relation(
            duck,
            cursor,
            QUARANTINE_SCHEMA,
            table.name,
            f"_export_date in ({day_list}) or _source_file in ({files}) or rule = '{FILE_DATE_IN_FUTURE}'",
            loaded_at,
            work,
        ),
    ]


def push_days(
    exports_dir: Path,
    days: list[dt.date],
    scratch_duckdb: Path,
    settings: SnowflakeSettings | None = None,
    loaded_at: dt.datetime | None = None,
    tables: Sequence[Table] = TABLES,
) -> PushResult:
    """Load ``days`` of ``tables`` (default: every table) into ``scratch_duckdb``, then replace those days in Snowflake.

    Returns what the loader found per table (files, rows, quarantine by rule:
    the same figures a DuckDB run shows) and what was pushed per relation.
    """
    settings = settings or snowflake_settings()
    loaded_at = loaded_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    loaded_at_sql = f"timestamp '{loaded_at.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    pushed: list[PushedTable] = []
    loads: list[LoadResult] = []
    with contextlib.closing(connect_duckdb(scratch_duckdb)) as duck, contextlib.closing(connect(settings)) as snow:
        for table in tables:
            # every day reloaded: the push below replaces the days in Snowflake with this load's rows
            loads.append(load_days(duck, table, exports_dir, days, loaded_at, keep_unchanged=False))
        cursor = snow.cursor()
        _run(cursor, settings.database, f"create database if not exists {settings.database}")
        _run(cursor, settings.database, f"use database {settings.database}")
        for schema in (RAW_SCHEMA, QUARANTINE_SCHEMA, AUDIT_SCHEMA):
            _run(cursor, schema, f"create schema if not exists {schema}")
        _run(cursor, STAGE, f"create stage if not exists {STAGE}")
        with tempfile.TemporaryDirectory(prefix="trustqa_raw_push_") as work:
            for table in tables:
                pushed += _push_table(duck, cursor, table, exports_dir, days, loaded_at_sql, Path(work))
            day_list, files = _sql_dates(days), _sql_files_of_no_day(exports_dir, tables, days)
            names = ", ".join(quote_literal(t.name) for t in tables)
            audit_table = AUDIT_TABLE.split(".", 1)[1]
            pushed.append(
                _push_relation(
                    duck,
                    cursor,
                    AUDIT_SCHEMA,
                    audit_table,
                    f"table_name in ({names}) and (export_date in ({day_list}) or source_file in ({files}))",
                    loaded_at_sql,
                    Path(work),
                )
            )
    return PushResult(loads, pushed)
