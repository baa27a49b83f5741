"""Clean export files straight into ``raw``: one read per batch, inside the replace transaction.

Most files are clean: every data line is one record, and no record breaks a
rule. For those, the general path (judge into a scratch table, then copy into
``raw``) reads every row into a working table and writes it twice. This path
reads a batch of files once (``read_csv`` with ``store_rejects``, or
``read_ndjson_objects``), evaluates every value rule in the same select and
inserts the records that break none straight into ``raw.<table>``, numbered
by position: the reader keeps each file's order, and the loader's pass over
the bytes gives each file's line count, so record i of a file is line i + 1
(CSV, after the header) or line i (JSON Lines).

Right after the insert, one aggregate over the rows just inserted checks
that each file was clean: as many rows as data lines (so no line was
rejected, blank, part of a multi-line record or broke a rule), no key
repeated, and nothing in the reader's reject table. The rows of a file that
is not clean are deleted again (they are the transaction's own) and the file
goes to the general path, which gives every record its rule, line and raw
text. Nothing here creates a working table: memory stays with the statement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.contract import Table
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


def _files_sql(files: Sequence[CleanCandidate]) -> str:
    """The batch's files by reader ``file_index``, with the rows read before each (its numbering offset)."""
    rows, offset = [], 0
    for index, f in enumerate(files):
        rows.append(f"({index}, date '{f.export_date}', {quote_literal(f.source_file)}, {offset})")
        offset += f.records
    return f"(values {', '.join(rows)}) as f(_file_index, _export_date, _source_file, _offset)"


def _paths(files: Sequence[CleanCandidate]) -> str:
    return "[" + ", ".join(quote_literal(str(f.path)) for f in files) + "]"


def _csv_source(table: Table, files: Sequence[CleanCandidate], header: Sequence[str]) -> tuple[str, str]:
    """(rows in reader order with ``_rn`` and ``_file_index`` and the values as text, a condition that is
    true for a record that is not a clean, good record)."""
    columns = "{" + ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in header) + "}"
    values = ", ".join(f"nullif({c}, '') as {c}" for c in table.column_names)
    source = f"""
        select row_number() over () as _rn, file_index as _file_index, {values}
        from read_csv({_paths(files)},
            header = true, columns = {columns}, auto_detect = false,
            delim = ',', quote = '"', escape = '"', strict_mode = true,
            store_rejects = true, rejects_table = '{_REJECTS}', rejects_scan = '{_SCANS}')
    """
    return source, breaks_any_sql(table, "csv")


def _jsonl_source(table: Table, files: Sequence[CleanCandidate]) -> tuple[str, str]:
    paths = "[" + ", ".join(quote_literal("$." + c) for c in table.column_names) + "]"
    expected = "[" + ", ".join(quote_literal(c) for c in sorted(table.column_names)) + "]"
    fields = ", ".join(
        f"_values[{i}] as {c}, _types[{i}] as {c}__jtype" for i, c in enumerate(table.column_names, start=1)
    )
    # a line that is not JSON comes back as null (ignore_errors), one row per non-blank line
    source = f"""
        select _rn, _file_index, _object, {fields}
        from (
            select _rn, _file_index, _object,
                   json_extract_string(_object, {paths}) as _values, json_type(_object, {paths}) as _types
            from (
                select row_number() over () as _rn, file_index as _file_index,
                       -- json_keys is [] for anything but an object: one test for object and fields
                       case when list_sort(json_keys(json)) = {expected} then json end as _object
                from read_ndjson_objects({_paths(files)}, ignore_errors = true)
            )
        )
    """
    return source, f"(_object is null or {breaks_any_sql(table, 'jsonl')})"


def insert_clean(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    files: Sequence[CleanCandidate],
    header: Sequence[str] | None,
    loaded_at: str,
) -> list[int]:
    """Insert the clean records of a batch into ``raw.<table>``; return the ids of the files that were
    not clean, whose rows are removed again. Run inside the replace transaction."""
    csv = table.file_format == "csv"
    for name in (_REJECTS, _SCANS):
        con.execute(f"drop table if exists {name}")
    source, bad = _csv_source(table, files, header) if csv else _jsonl_source(table, files)
    helpers = ", ".join(["*", *helpers_sql(table)])
    typed = ", ".join(typed_value_sql(c) for c in table.columns)
    first_line = 1 if csv else 0
    con.execute(
        f"""
        insert into {RAW_SCHEMA}.{table.name}
        select {typed}, _export_date, _source_file, _rn - _offset + {first_line}, {loaded_at}
        from (select {helpers} from ({source}) r join {_files_sql(files)} using (_file_index))
        where not {bad}
        """
    )
    return _not_clean(con, table, files, csv)


def _not_clean(con: duckdb.DuckDBPyConnection, table: Table, files: Sequence[CleanCandidate], csv: bool) -> list[int]:
    """Check what was inserted per file; delete the rows of the files that were not clean, renumber the others."""
    target = f"{RAW_SCHEMA}.{table.name}"
    first_line = 2 if csv else 1
    inserted = {
        name: (rows, keys, first)
        for name, rows, keys, first in con.execute(
            f"select _source_file, count(*), count(distinct {table.key}), min(_source_line) from {target} "
            f"where _export_date in ({_days(files)}) and _source_file in ({_names(files)}) group by 1"
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
    failed = [
        f for f in files
        if f.source_file in rejected or inserted.get(f.source_file, (0, 0, None))[:2] != (f.records, f.records)
    ]
    if failed:
        con.execute(f"delete from {target} where _export_date in ({_days(failed)}) and _source_file in ({_names(failed)})")
    # the reader numbers the batch's rows in one sequence: a file after one that yielded fewer rows than
    # lines starts late; a clean file's records are its data lines in order, so its first is line first_line
    shifted = {name: first - first_line for name, (_, _, first) in inserted.items() if first is not None and first != first_line}
    shifted = {f.source_file: shifted[f.source_file] for f in files if f not in failed and f.source_file in shifted}
    if shifted:
        shifts = ", ".join(f"({quote_literal(name)}, {shift})" for name, shift in shifted.items())
        moved = [f for f in files if f.source_file in shifted]
        con.execute(
            f"""
            update {target} as t set _source_line = t._source_line - s.shift
            from (values {shifts}) as s(name, shift)
            where t._export_date in ({_days(moved)}) and t._source_file = s.name
            """
        )
    return [f.file_id for f in failed]


def _days(files: Sequence[CleanCandidate]) -> str:
    return ", ".join(f"date '{f.export_date}'" for f in files)


def _names(files: Sequence[CleanCandidate]) -> str:
    return ", ".join(quote_literal(f.source_file) for f in files)
