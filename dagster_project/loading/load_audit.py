"""``audit.raw_loads``: what each load read from each export file.

One row per (table, export day) of the latest load of that day, and one per
file of no day (a misnamed file, a file dated in the future; export date
null): the file (null when the day had no file), its data records
as the reader found them, the rows loaded into raw and quarantined, the
load time, and the digests of the file's bytes and of the contract the load
applied (a re-run of a day whose file and contract are unchanged keeps the
day as loaded: ``unchanged_days.py``). Reloading a day replaces its rows, in the loader's transaction.
The raw quality gates read it: reconciliation (file records = raw rows +
quarantined rows, recounted from the tables) and volume (which days the
latest load covered, including days without rows).
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import duckdb

AUDIT_SCHEMA = "audit"
AUDIT_TABLE = f"{AUDIT_SCHEMA}.raw_loads"

AUDIT_DDL = (
    f"create schema if not exists {AUDIT_SCHEMA}",
    f"""create table if not exists {AUDIT_TABLE} (
        table_name VARCHAR NOT NULL,
        export_date DATE,            -- null for a file whose name is not a date
        source_file VARCHAR,         -- null when the day had no file
        data_records BIGINT NOT NULL,
        loaded_rows BIGINT NOT NULL,
        quarantined_rows BIGINT NOT NULL,
        loaded_at TIMESTAMP NOT NULL,
        file_sha256 VARCHAR,         -- of the file's bytes; null when the day had no file or it was not read
        contract_sha256 VARCHAR      -- of the table's contract and the loader's rules the load applied
    )""",
    # warehouses created before the two digests (a load that wrote none is never taken as unchanged)
    f"alter table {AUDIT_TABLE} add column if not exists file_sha256 VARCHAR",
    f"alter table {AUDIT_TABLE} add column if not exists contract_sha256 VARCHAR",
)


class AuditRow(NamedTuple):
    export_date: dt.date | None
    source_file: str | None
    data_records: int
    loaded_rows: int
    quarantined_rows: int
    file_sha256: str | None


def forget_loads(con: duckdb.DuckDBPyConnection, table_name: str, days: list[dt.date], files: list[str]) -> None:
    """Delete the audit rows of the days (and misnamed files) about to be reloaded."""
    con.execute(
        f"delete from {AUDIT_TABLE} where table_name = ? and (list_contains(?, export_date) or list_contains(?, source_file))",
        [table_name, days, files],
    )


def forget_files_of_no_day(con: duckdb.DuckDBPyConnection, table_name: str, files: list[str]) -> None:
    """Delete the audit rows of ``files`` recorded as files of no day (export date null)."""
    con.execute(
        f"delete from {AUDIT_TABLE} where table_name = ? and export_date is null and list_contains(?, source_file)",
        [table_name, files],
    )


def record_loads(
    con: duckdb.DuckDBPyConnection,
    table_name: str,
    loads: list[AuditRow],
    loaded_at: str,
    contract_sha256: str,
) -> None:
    """One audit row per :class:`AuditRow`, one statement."""
    if not loads:
        return
    con.execute(
        f"insert into {AUDIT_TABLE} (table_name, export_date, source_file, data_records, loaded_rows, "
        "quarantined_rows, loaded_at, file_sha256, contract_sha256) "
        f"select ?, unnest(?), unnest(?), unnest(?), unnest(?), unnest(?), {loaded_at}, unnest(?), ?",
        [table_name, *(list(column) for column in zip(*loads, strict=True)), contract_sha256],
    )
