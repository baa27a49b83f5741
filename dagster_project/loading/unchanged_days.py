"""Days a re-run keeps as loaded: their export file is byte for byte the one of their latest load.

A day of a load is **unchanged** when ``audit.raw_loads`` holds one row for
it that

* names the day's file as it is now (or no file, when the day still has
  none), with the same SHA-256 of its bytes (``physical_lines.scan_file``);
* was written under the same contract digest (:func:`contract_sha256`: the
  table's contract and the SQL of every rule the loader applies to it, so a
  changed rule or column reloads every day);
* still matches the tables: raw and quarantine hold, for the day, the row
  counts that load wrote.

The loader leaves such a day as it is: its rows keep their ``_loaded_at``,
so the incremental models, which select what was loaded after their
watermark, see nothing new, and the day is not rewritten. Any other day is
replaced as before. Deleting a day's row of ``audit.raw_loads`` forces its
reload (docs/loading.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Sequence

import duckdb

from dagster_project.contract import Table
from dagster_project.loading.judged_path import CheckedFile, FileResult
from dagster_project.loading.load_audit import AUDIT_TABLE
from dagster_project.loading.raw_schema import QUARANTINE_SCHEMA, RAW_SCHEMA
from dagster_project.loading.rules import failures_sql, helpers_sql, quote_literal, typed_value_sql


def contract_sha256(table: Table) -> str:
    """Digest of what a load of ``table`` applies: its contract and the SQL of its rules and typed columns."""
    parts = [
        repr(table),
        *helpers_sql(table),
        failures_sql(table, table.file_format),
        *(typed_value_sql(c) for c in table.columns),
    ]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def unchanged_days(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    days: Sequence[dt.date],
    checked: Sequence[CheckedFile],
    contract: str,
) -> dict[dt.date, FileResult | None]:
    """The unchanged days among ``days``, each with what its kept load holds (None: a day without a file)."""
    if not days:
        return {}
    now = {c.day: c for c in checked if c.day is not None}
    day_list = ", ".join(f"date '{d}'" for d in days)
    rows = con.execute(
        f"""
        with audit as (
            select export_date, source_file, file_sha256, contract_sha256, data_records, loaded_rows,
                   quarantined_rows, loaded_at, count(*) over (partition by export_date) as loads_of_day
            from {AUDIT_TABLE}
            where table_name = {quote_literal(table.name)} and export_date in ({day_list})
        ),
        raw_rows as (
            select _export_date as export_date, count(*) as n
            from {RAW_SCHEMA}.{table.name} where _export_date in ({day_list}) group by all
        ),
        quarantined as (
            select _export_date as export_date, count(*) as n
            from {QUARANTINE_SCHEMA}.{table.name} where _export_date in ({day_list}) group by all
        )
        select audit.*, coalesce(raw_rows.n, 0) as raw_now, coalesce(quarantined.n, 0) as quarantined_now
        from audit
        left join raw_rows on raw_rows.export_date = audit.export_date
        left join quarantined on quarantined.export_date = audit.export_date
        """
    ).fetchall()
    kept: dict[dt.date, FileResult | None] = {}
    for day, source, sha, digest, records, loaded, quarantined, loaded_at, loads, raw_now, quarantined_now in rows:
        file = now.get(day)
        same_file = source is None if file is None else (source == file.file.relative_path and sha == file.shape.sha256)
        if loads == 1 and digest == contract and same_file and (raw_now, quarantined_now) == (loaded, quarantined):
            kept[day] = None if file is None else FileResult(source, loaded, Counter(), records, kept_from=loaded_at)
    by_rule = con.execute(
        f"select _export_date, rule, count(*) from {QUARANTINE_SCHEMA}.{table.name} "
        f"where _export_date in ({', '.join(f'date {quote_literal(str(d))}' for d in kept) or 'null'}) group by all"
    ).fetchall()
    for day, rule, count in by_rule:
        if (result := kept[day]) is not None:
            result.quarantined[rule] = count
    return kept
