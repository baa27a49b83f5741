"""Raw-layer suites: one per export table, on ``raw.<table>``, built from the contract.

Gates (``meta.gate``):
- ``columns present``: the table has exactly the contract columns plus lineage;
- ``<key> not null``, ``updated_at not null``;
- ``key unique per export file``: no key twice within one file;
- ``reconciles with export file``: for every loaded file, its data records =
  rows in raw + rows in quarantine (nothing lost between file and table);
- ``no empty day``: a day of the latest load with zero rows while the
  trailing 7-day median is at least ``VOLUME_MIN_MEDIAN`` (error);
- ``daily volume within band``: a day of the latest load whose row count is
  more than ``VOLUME_BAND``x above or below the trailing 7-day median
  (warning).

The trailing median is taken over the export days present among the 7
calendar days before the day (at least 3 of them, else the day is not
judged); tables whose median is below ``VOLUME_MIN_MEDIAN`` rows a day are
too small for volume rules.
"""

from __future__ import annotations

from dagster_project.contract import LOAD_METADATA_COLUMNS, TABLES, Table
from dagster_project.loading.load_audit import AUDIT_TABLE
from dagster_project.loading.raw_schema import QUARANTINE_SCHEMA, RAW_SCHEMA
from expectations.suite import WARNING, GateSuite, gate, no_rows, not_null, unique_together

import great_expectations.expectations as gxe

VOLUME_MIN_MEDIAN = 50
VOLUME_BAND = 4


def _reconciliation_sql(table: Table) -> str:
    return f"""
        select loads.source_file, loads.data_records, coalesce(loaded.row_count, 0) as raw_rows,
               coalesce(quarantined.row_count, 0) as quarantined_rows
        from {AUDIT_TABLE} as loads
        left join (
            select _source_file, count(*) as row_count from {{batch}} group by _source_file
        ) as loaded on loaded._source_file = loads.source_file
        left join (
            select _source_file, count(*) as row_count
            from {QUARANTINE_SCHEMA}.{table.name}
            where _source_line is not null
            group by _source_file
        ) as quarantined on quarantined._source_file = loads.source_file
        where loads.table_name = '{table.name}'
          and loads.source_file is not null
          and loads.data_records <> coalesce(loaded.row_count, 0) + coalesce(quarantined.row_count, 0)
    """


def _daily_volume_sql(table: Table, condition: str) -> str:
    """Days of the table's latest load, with their row count and trailing median, where ``condition`` holds."""
    return f"""
        with latest_days as (
            select export_date
            from {AUDIT_TABLE}
            where table_name = '{table.name}' and export_date is not null
              and loaded_at = (select max(loaded_at) from {AUDIT_TABLE} where table_name = '{table.name}')
        ),
        daily as (
            select _export_date as export_date, count(*) as row_count from {{batch}} group by _export_date
        ),
        judged as (
            select latest_days.export_date,
                   coalesce(max(today.row_count), 0) as row_count,
                   median(previous.row_count) as trailing_median,
                   count(previous.row_count) as trailing_days
            from latest_days
            left join daily as today on today.export_date = latest_days.export_date
            left join daily as previous
                on previous.export_date >= latest_days.export_date - 7
               and previous.export_date < latest_days.export_date
            group by latest_days.export_date
        )
        select export_date, row_count, trailing_median
        from judged
        where trailing_days >= 3 and trailing_median >= {VOLUME_MIN_MEDIAN} and ({condition})
    """


def _build(table: Table) -> list[gxe.Expectation]:
    columns = [c.name for c in table.columns] + list(LOAD_METADATA_COLUMNS)
    return [
        gate(gxe.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=True), "columns present"),
        not_null(table.key),
        not_null("updated_at"),
        unique_together([table.key, "_source_file"], "key unique per export file"),
        no_rows(
            "reconciles with export file",
            "every loaded file: data records = rows in raw + rows in quarantine",
            _reconciliation_sql(table),
        ),
        no_rows(
            "no empty day",
            f"no day of the latest load without rows when the trailing 7-day median is >= {VOLUME_MIN_MEDIAN}",
            _daily_volume_sql(table, "row_count = 0"),
        ),
        no_rows(
            "daily volume within band",
            f"every day of the latest load within {VOLUME_BAND}x of the trailing 7-day median",
            _daily_volume_sql(
                table,
                f"row_count > 0 and (row_count > {VOLUME_BAND} * trailing_median"
                f" or row_count * {VOLUME_BAND} < trailing_median)",
            ),
            severity=WARNING,
        ),
    ]


def _suite(table: Table) -> GateSuite:
    return GateSuite("raw", RAW_SCHEMA, table.name, (table.key,), lambda: _build(table))


SUITES = [_suite(t) for t in TABLES]
