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

Restricted (a run over a window of export days, :func:`restrict`): the
rows of the window's export days, plus the days of any load not yet
accepted downstream (loaded after the latest ``_loaded_at`` of the table's
history, ``intermediate.int_<table>_history``, which is built only after
the table's gates passed: a day whose run was blocked is validated again
by the next run). Every rule keeps its meaning on those days: a file lies
within one export day, so per-file uniqueness and reconciliation see all of
a file's rows; the volume rules still compare a day with the 7 days before
it, read from the table.
"""

from __future__ import annotations

import datetime as dt

import great_expectations.expectations as gxe

from dagster_project.contract import LOAD_METADATA_COLUMNS, TABLES, Table
from dagster_project.loading.load_audit import AUDIT_TABLE
from dagster_project.loading.raw_schema import QUARANTINE_SCHEMA, RAW_SCHEMA
from expectations.suite import (
    WARNING,
    GateSuite,
    Lookup,
    Restricted,
    Window,
    date_literal,
    gate,
    loaded_through,
    no_rows,
    not_null,
    timestamp_literal,
    unique_together,
)

VOLUME_MIN_MEDIAN = 50
VOLUME_BAND = 4
TRAILING_DAYS = 7
# Built from raw only after the table's raw and staging gates passed (a blocking gate holds it back):
# its latest _loaded_at marks what downstream has accepted.
HISTORY = "intermediate.int_{table}_history"

Days = tuple[dt.date, dt.date]  # export days, both ends included


def _between(column: str, days: Days) -> str:
    return f"{column} between {date_literal(days[0])} and {date_literal(days[1])}"


def _reconciliation_sql(table: Table, days: Days | None = None) -> str:
    """Files whose records differ from raw + quarantined rows (``days``: only the files of those export days,
    and the misnamed ones, which have no day)."""
    loads_of_days = quarantined_of_days = ""
    if days is not None:
        loads_of_days = f"and (loads.{_between('export_date', days)} or loads.export_date is null)"
        quarantined_of_days = f"and ({_between('_export_date', days)} or _export_date is null)"
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
            where _source_line is not null {quarantined_of_days}
            group by _source_file
        ) as quarantined on quarantined._source_file = loads.source_file
        where loads.table_name = '{table.name}'
          and loads.source_file is not null {loads_of_days}
          and loads.data_records <> coalesce(loaded.row_count, 0) + coalesce(quarantined.row_count, 0)
    """


def _daily_volume_sql(table: Table, condition: str, days: Days | None = None) -> str:
    """Days of the table's latest load, with their row count and trailing median, where ``condition`` holds.

    ``days``: only the latest load's days among them; the batch holds those
    days, and the counts of the 7 days before them are read from the table.
    """
    latest_of_days = trailing = ""
    if days is not None:
        latest_of_days = f"and {_between('export_date', days)}"
        before = (days[0] - dt.timedelta(days=TRAILING_DAYS), days[0] - dt.timedelta(days=1))
        trailing = f"""
            union all
            select _export_date as export_date, count(*) as row_count
            from {RAW_SCHEMA}.{table.name}
            where {_between("_export_date", before)}
            group by _export_date"""
    return f"""
        with latest_days as (
            select export_date
            from {AUDIT_TABLE}
            where table_name = '{table.name}' and export_date is not null {latest_of_days}
              and loaded_at = (select max(loaded_at) from {AUDIT_TABLE} where table_name = '{table.name}')
        ),
        daily as (
            select _export_date as export_date, count(*) as row_count from {{batch}} group by _export_date{trailing}
        ),
        judged as (
            select latest_days.export_date,
                   coalesce(max(today.row_count), 0) as row_count,
                   median(previous.row_count) as trailing_median,
                   count(previous.row_count) as trailing_days
            from latest_days
            left join daily as today on today.export_date = latest_days.export_date
            left join daily as previous
                on previous.export_date >= latest_days.export_date - {TRAILING_DAYS}
               and previous.export_date < latest_days.export_date
            group by latest_days.export_date
        )
        select export_date, row_count, trailing_median
        from judged
        where trailing_days >= 3 and trailing_median >= {VOLUME_MIN_MEDIAN} and ({condition})
    """


def _build(table: Table, days: Days | None = None) -> list[gxe.Expectation]:
    columns = [c.name for c in table.columns] + list(LOAD_METADATA_COLUMNS)
    return [
        gate(gxe.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=True), "columns present"),
        not_null(table.key),
        not_null("updated_at"),
        unique_together([table.key, "_source_file"], "key unique per export file"),
        no_rows(
            "reconciles with export file",
            "every loaded file: data records = rows in raw + rows in quarantine",
            _reconciliation_sql(table, days),
        ),
        no_rows(
            "no empty day",
            f"no day of the latest load without rows when the trailing 7-day median is >= {VOLUME_MIN_MEDIAN}",
            _daily_volume_sql(table, "row_count = 0", days),
        ),
        no_rows(
            "daily volume within band",
            f"every day of the latest load within {VOLUME_BAND}x of the trailing 7-day median",
            _daily_volume_sql(
                table,
                f"row_count > 0 and (row_count > {VOLUME_BAND} * trailing_median"
                f" or row_count * {VOLUME_BAND} < trailing_median)",
                days,
            ),
            severity=WARNING,
        ),
    ]


def days_to_validate(table: Table, window: Window, lookup: Lookup) -> Days:
    """The window's export days, widened to the days of every load not yet accepted downstream."""
    first, last = window.first, window.last
    accepted = loaded_through(lookup, HISTORY.format(table=table.name))
    if accepted is not None:
        row = lookup(
            f"select min(export_date), max(export_date) from {AUDIT_TABLE} "
            f"where table_name = '{table.name}' and loaded_at > {timestamp_literal(accepted)}"
        )
        if row and row[0] is not None:
            first, last = min(first, _date(row[0])), max(last, _date(row[1]))
    return first, last


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def restrict(table: Table, suite: GateSuite, window: Window, lookup: Lookup) -> Restricted:
    days = days_to_validate(table, window, lookup)
    return Restricted(
        f"select * from {suite.name} where {_between('_export_date', days)}",
        f"export days {days[0]} .. {days[1]}",
        _build(table, days),
    )


def _suite(table: Table) -> GateSuite:
    return GateSuite(
        "raw",
        RAW_SCHEMA,
        table.name,
        (table.key,),
        lambda: _build(table),
        lambda suite, window, lookup: restrict(table, suite, window, lookup),
    )


SUITES = [_suite(t) for t in TABLES]
