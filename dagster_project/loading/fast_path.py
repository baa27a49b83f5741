"""Clean export files straight into ``raw``: one read per batch, inside the replace transaction.

Most files are clean: every data line is one record, and no record breaks a
rule. For those, the general path (judge into a scratch table, then copy into
``raw``) reads every row into a working table and writes it twice. This path
reads a batch of files once, evaluates every value rule in the same select
and inserts the records that break none straight into ``raw.<table>``. CSV
is read by the judged path's reader (``csv_records.read_csv_sql``: DuckDB's
``read_csv`` with ``store_rejects``); JSON Lines by ``read_ndjson_objects``,
which is faster than the judged path's line reader but cannot number lines
(measured in ``jsonl_records``).

The read runs on every core: nothing in it numbers rows (``row_number() over
()`` would run the whole read, parse and rules on one thread). Lines are
numbered after the insert instead, from the table's ``rowid``: a batch
insert keeps the reader's order (``preserve_insertion_order``, set here), so
a file's records are its rows in ``rowid`` order, and for a clean file
record i is line i + 1 (CSV, after the header) or line i (JSON Lines).
Before each insert, ``keeps_reader_order`` reads DuckDB's plan: when it is
not an order-preserving insert, no line number is trusted and the batch's
files go to the general path, which numbers lines itself.

Right after the insert, one aggregate over the rows just inserted checks
that each file was clean: as many rows as data lines (so no line was
rejected, blank, part of a multi-line record or broke a rule), no key
repeated, its rows one contiguous run of ``rowid``, and nothing in the
reader's reject table. The rows of a file that is not clean are deleted
again (they are the transaction's own) and the file goes to the general
path, which gives every record its rule, line and raw text; the others get
their line numbers. Nothing here creates a working table: memory stays with
the statement.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.contract import Table
from dagster_project.loading.csv_records import read_csv_sql
from dagster_project.loading.raw_schema import RAW_SCHEMA
from dagster_project.loading.rules import breaks_any_sql, helpers_sql, quote_literal, typed_value_sql

_REJECTS, _SCANS = "_fast_rejects", "_fast_scans"


@dataclass(frozen=True)
class CleanCandidate:
    """A well-formed file that may be clean: UTF-8, a dated name, a last line with its terminator."""

    file_id: int
    path: Path
    export_date: dt.date
    source_file: str
    records: int  # data lines: what a clean file yields, one record each


def _file_columns_sql(files: Sequence[CleanCandidate]) -> str:
    """``_export_date`` and ``_source_file`` of a row from its reader ``_file_index``: list lookups, a
    projection that keeps the reader's order (a join with the list of files would not)."""
    days = ", ".join(f"date '{f.export_date}'" for f in files)
    names = ", ".join(quote_literal(f.source_file) for f in files)
    return f"[{days}][_file_index::bigint + 1] as _export_date, [{names}][_file_index::bigint + 1] as _source_file"


def keeps_reader_order(con: duckdb.DuckDBPyConnection, insert: str) -> bool:
    """Whether DuckDB's plan for ``insert`` keeps the reader's row order: an order-preserving batch
    insert at the top of the plan, or a plain insert run on one thread. Anything in the select that
    does not keep row order (a join, say one the planner makes of a long ``IN`` list) turns the plan
    into a plain parallel insert, whose rows may land in any order."""
    plan = json.loads(con.execute(f"explain (format json) {insert}").fetchall()[0][-1])
    top = plan[0]["name"] if plan else None
    if top == "BATCH_INSERT":
        return True
    return top == "INSERT" and con.execute("select current_setting('threads')").fetchone()[0] == 1


def _paths(files: Sequence[CleanCandidate]) -> str:
    return "[" + ", ".join(quote_literal(str(f.path)) for f in files) + "]"


def _csv_source(table: Table, files: Sequence[CleanCandidate], header: Sequence[str]) -> tuple[str, str]:
    """(rows in reader order with ``_file_index`` and the values as text, a condition that is
    true for a record that is not a clean, good record)."""
    values = ", ".join(f"nullif({c}, '') as {c}" for c in table.column_names)
    reader = read_csv_sql([f.path for f in files], header, _REJECTS, _SCANS)
    return f"select file_index as _file_index, {values} from {reader}", breaks_any_sql(table, "csv")


def _jsonl_source(table: Table, files: Sequence[CleanCandidate]) -> tuple[str, str]:
    paths = "[" + ", ".join(quote_literal("$." + c) for c in table.column_names) + "]"
    expected = "[" + ", ".join(quote_literal(c) for c in sorted(table.column_names)) + "]"
    fields = ", ".join(
        f"_values[{i}] as {c}, _types[{i}] as {c}__jtype" for i, c in enumerate(table.column_names, start=1)
    )
    # a line that is not JSON comes back as null (ignore_errors), one row per non-blank line
    source = f"""
        select _file_index, _object, {fields}
        from (
            select _file_index, _object,
                   json_extract_string(_object, {paths}) as _values, json_type(_object, {paths}) as _types
            from (
                select file_index as _file_index,
                       -- json_keys is [] for anything but an object: one test for object and fields
                       case when list_sort(json_keys(json)) = {expected} then json end as _object
                from read_ndjson_objects({_paths(files)}, ignore_errors = true)
            )
        )
    """
    return source, f"(_object is null or {breaks_any_sql(table, 'jsonl')})"


def clean_insert_sql(
    table: Table, files: Sequence[CleanCandidate], header: Sequence[str] | None, loaded_at: str
) -> str:
    """The insert of a batch's good records into ``raw.<table>``, in reader order, ``_source_line`` 0
    (``_not_clean`` numbers the lines once the file is known to be clean)."""
    source, bad = _csv_source(table, files, header) if table.file_format == "csv" else _jsonl_source(table, files)
    helpers = ", ".join(["*", *helpers_sql(table)])
    typed = ", ".join(typed_value_sql(c) for c in table.columns)
    return f"""
        insert into {RAW_SCHEMA}.{table.name}
        select {typed}, _export_date, _source_file, 0, {loaded_at}
        from (select {helpers} from (select *, {_file_columns_sql(files)} from ({source})))
        where not {bad}
    """


def insert_clean(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    files: Sequence[CleanCandidate],
    header: Sequence[str] | None,
    loaded_at: str,
) -> list[int]:
    """Insert the clean records of a batch into ``raw.<table>``; return the ids of the files that were
    not clean, whose rows are removed again. Run inside the replace transaction."""
    con.execute("set preserve_insertion_order = true")  # the line numbers rest on it (DuckDB's default)
    _drop_reject_tables(con)
    insert = clean_insert_sql(table, files, header, loaded_at)
    if not keeps_reader_order(con, insert):
        return [f.file_id for f in files]  # no line numbers to trust: the general path numbers the lines itself
    try:
        con.execute(insert)
        not_clean = _not_clean(con, table, files, table.file_format == "csv")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # an aborted transaction drops them itself: keep the error
            _drop_reject_tables(con)
        raise
    _drop_reject_tables(con)  # the reader's temporary tables: not kept on the writer's connection
    return not_clean


def _drop_reject_tables(con: duckdb.DuckDBPyConnection) -> None:
    for name in (_REJECTS, _SCANS):
        con.execute(f"drop table if exists {name}")


def _not_clean(con: duckdb.DuckDBPyConnection, table: Table, files: Sequence[CleanCandidate], csv: bool) -> list[int]:
    """Check what was inserted per file; delete the rows of the files that were not clean, number the others' lines."""
    target = f"{RAW_SCHEMA}.{table.name}"
    inserted = {
        name: (rows, keys, run, first)
        for name, rows, keys, run, first in con.execute(
            f"select _source_file, count(*), count(distinct {table.key}), max(rowid) - min(rowid) + 1, min(rowid) "
            f"from {target} where _export_date in ({_days(files)}) and _source_file in ({_names(files)}) group by 1"
        ).fetchall()
    }
    rejected: set[str] = set()
    if csv:
        by_path = {str(f.path): f.source_file for f in files}
        rejected = {
            by_path[path]
            for (path,) in con.execute(
                f"select distinct s.file_path from {_REJECTS} j join {_SCANS} s on s.scan_id = j.scan_id and s.file_id = j.file_id"
            ).fetchall()
        }
    # clean: every data line one good record, no key twice, the rows one run of rowid (the file's order)
    failed = [
        f
        for f in files
        if f.source_file in rejected or inserted.get(f.source_file, (0, 0, 0, None))[:3] != (f.records,) * 3
    ]
    if failed:
        con.execute(
            f"delete from {target} where _export_date in ({_days(failed)}) and _source_file in ({_names(failed)})"
        )
    numbered = [f for f in files if f not in failed and f.records > 0]
    if numbered:
        first_line = 2 if csv else 1
        firsts = ", ".join(f"({quote_literal(f.source_file)}, {inserted[f.source_file][3]})" for f in numbered)
        con.execute(
            f"""
            update {target} as t set _source_line = t.rowid - s.first_rowid + {first_line}
            from (values {firsts}) as s(name, first_rowid)
            where t._export_date in ({_days(numbered)}) and t._source_file = s.name
            """
        )
    return [f.file_id for f in failed]


def _days(files: Sequence[CleanCandidate]) -> str:
    return ", ".join(f"date '{f.export_date}'" for f in files)


def _names(files: Sequence[CleanCandidate]) -> str:
    return ", ".join(quote_literal(f.source_file) for f in files)
