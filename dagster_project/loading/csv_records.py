"""CSV records with their physical line numbers, parsed by DuckDB's CSV reader.

Both paths read CSV with the same DuckDB reader (``read_csv_sql``: RFC 4180
quoting, multi-line quoted fields, one multi-file read per batch of files
sharing a header). It keeps the records it rejects (``store_rejects``), per
file, but numbers no line of a good record, and the ``line`` of a rejected
one counts records, not physical lines (a multi-line record and a blank line
count once each). So the physical lines come from elsewhere:

* Most files: when a file's good records are exactly its data lines (no
  rejected record, no blank line, no quoted line break; the line count
  comes from the loader's pass over the bytes), record i is line i + 1.
* The others: Python's ``csv`` reader (``line_num`` counts the lines inside
  quoted fields too) gives each record its first and last line. Its record
  number is the ``line`` DuckDB gives a rejected record (both count the
  header, each record and each blank line once), and its non-blank records
  that DuckDB did not reject are DuckDB's good records, in order. It is run
  with ``skipinitialspace`` because DuckDB, too, opens a quoted field after
  spaces. On malformed quoting the two readers still split a file the same
  way almost always (a quote inside an unquoted field, an unterminated quote,
  ``"u2"x``); where they do not (a quote after a closing quote and a space),
  no row is lost but that file's line numbers can be off.

Result: temp table ``_records(_file_id, _line, _end_line, _raw, _parse_rule, _parse_detail, <columns as text>)``:
``_line`` .. ``_end_line`` are the record's physical lines; ``_raw`` is null (``judged_path`` reads
the text of the few records it quarantines from those lines).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

from dagster_project.contract import Table
from dagster_project.loading.physical_lines import FileShape
from dagster_project.loading.rules import quote_literal

# DuckDB reject error types -> contract rules, most telling first (one broken
# record can raise several: an unterminated quote also leaves columns missing).
_REJECT_RULES = {
    "UNQUOTED VALUE": "unparseable_row",
    "INVALID STATE": "unparseable_row",
    "LINE SIZE OVER MAXIMUM": "unparseable_row",
    "INVALID ENCODING": "not_utf8",
    "TOO MANY COLUMNS": "extra_column",
    "MISSING COLUMNS": "missing_column",
    "CAST": "wrong_type",
}


def read_header(path: Path) -> list[str] | None:
    """The header fields from line 1 of a UTF-8 file (None when line 1 is blank: an empty file)."""
    with path.open("rb") as handle:
        first = handle.readline().decode("utf-8").removeprefix("\ufeff").rstrip("\n")
    if first.strip(" \t\r\ufeff") == "":
        return None
    return next(csv.reader([first.rstrip("\r")]))


def header_problem(header: list[str], table: Table) -> str | None:
    expected = set(table.column_names)
    missing = [c for c in table.column_names if c not in header]
    extra = [c for c in header if c not in expected]
    repeated = sorted({c for c in header if header.count(c) > 1})
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if extra:
        parts.append("unexpected " + ", ".join(extra))
    if repeated:
        parts.append("repeated " + ", ".join(repeated))
    return "; ".join(parts) or None


def read_csv_sql(paths: Sequence[Path], header: Sequence[str], rejects_table: str, rejects_scan: str) -> str:
    """DuckDB's reader of a batch of CSV files with ``header``, every column as text, rejects kept."""
    columns = "{" + ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in header) + "}"
    files = "[" + ", ".join(quote_literal(str(path)) for path in paths) + "]"
    return f"""read_csv({files},
            header = true, columns = {columns}, auto_detect = false,
            delim = ',', quote = '"', escape = '"', strict_mode = true,
            store_rejects = true, rejects_table = '{rejects_table}', rejects_scan = '{rejects_scan}')"""


def _read_with_rejects(con: duckdb.DuckDBPyConnection, files: Sequence[tuple[int, Path]], header: list[str]) -> None:
    con.execute("drop table if exists _csv_rejects")
    con.execute("drop table if exists _csv_scans")
    file_ids = "[" + ", ".join(str(file_id) for file_id, _ in files) + "]"
    con.execute(
        f"""
        create or replace temp table _csv_read as
        select {file_ids}[file_index::bigint + 1] as _file_id, *
        from {read_csv_sql([path for _, path in files], header, "_csv_rejects", "_csv_scans")}
        """
    )
    # good records in file order: a plain scan keeps insertion order, so rowid orders each file's rows
    con.execute(
        """
        create or replace temp table _csv_good as
        select _file_id, row_number() over (partition by _file_id order by rowid) as good_no, * exclude (_file_id)
        from _csv_read
        """
    )
    con.execute("drop table _csv_read")
    # the rejected records, numbered like the files of the batch
    paths = ", ".join(f"({quote_literal(str(path))}, {file_id})" for file_id, path in files)
    con.execute(
        f"""
        create or replace temp table _rejects as
        select f._file_id, j.*
        from _csv_rejects j
        join _csv_scans s on s.scan_id = j.scan_id and s.file_id = j.file_id
        join (values {paths}) as f(path, _file_id) on f.path = s.file_path
        """
    )


def _files_needing_lines(con: duckdb.DuckDBPyConnection, shapes: Mapping[int, FileShape]) -> list[int]:
    """Files whose records cannot be numbered by position: rejected records, blank or multi-line records."""
    good = dict(con.execute("select _file_id, count(*) from _csv_good group by 1").fetchall())
    rejected = {file_id for (file_id,) in con.execute("select distinct _file_id from _rejects").fetchall()}
    return sorted(f for f, shape in shapes.items() if f in rejected or good.get(f, 0) != shape.data_lines)


def _record_lines(path: Path) -> tuple[list[int], list[int], list[int]]:
    """Python's csv reader over the file: for each non-blank record after the header, its number
    (the header, every record and every blank line counted once), first and last physical line."""
    numbers: list[int] = []
    first_lines: list[int] = []
    last_lines: list[int] = []
    # an unterminated quote runs to the end of the file, as DuckDB reads it: let a field be that long
    csv.field_size_limit(max(csv.field_size_limit(), path.stat().st_size))
    with path.open(encoding="utf-8-sig", newline="\n") as handle:  # lines end at \n only, as _lines splits them
        reader = csv.reader(handle, skipinitialspace=True)
        previous = 0
        for number, fields in enumerate(reader, start=1):
            if fields and number > 1:
                numbers.append(number)
                first_lines.append(previous + 1)
                last_lines.append(reader.line_num)
            previous = reader.line_num
    return numbers, first_lines, last_lines


def load_csv_records(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[tuple[int, Path, FileShape]],
    table: Table,
    header: list[str],
) -> None:
    """``_records`` for a batch of files that all have ``header``."""
    _read_with_rejects(con, [(file_id, path) for file_id, path, _ in files], header)
    con.execute(
        "create or replace temp table _csv_records "
        "(_file_id BIGINT, record_no BIGINT, first_line BIGINT, last_line BIGINT)"
    )
    paths = {file_id: path for file_id, path, _ in files}
    for file_id in _files_needing_lines(con, {file_id: shape for file_id, _, shape in files}):
        con.execute(
            "insert into _csv_records select ?, unnest(?), unnest(?), unnest(?)",
            [file_id, *_record_lines(paths[file_id])],
        )
    rule_case = " ".join(f"when {quote_literal(k)} then {quote_literal(v)}" for k, v in _REJECT_RULES.items())
    rank_case = " ".join(f"when {quote_literal(k)} then {i}" for i, k in enumerate(_REJECT_RULES))
    values = ", ".join(f"nullif(g.{c}, '') as {c}" for c in table.column_names)
    nulls = ", ".join(f"null::varchar as {c}" for c in table.column_names)
    con.execute(
        f"""
        create or replace temp table _records as
        with rejects as (
            select _file_id, line,
                   arg_min(error_type::varchar, case error_type::varchar {rank_case} else 99 end) as error_type,
                   arg_min(error_message, case error_type::varchar {rank_case} else 99 end) as message
            from _rejects group by _file_id, line
        ),
        good_records as (
            select r.*, row_number() over (partition by r._file_id order by r.record_no) as good_no
            from _csv_records r anti join rejects j on j._file_id = r._file_id and j.line = r.record_no
        )
        select g._file_id, coalesce(r.first_line, g.good_no + 1) as _line,
               coalesce(r.last_line, g.good_no + 1) as _end_line, null::varchar as _raw,
               null::varchar as _parse_rule, null::varchar as _parse_detail, {values}
        from _csv_good g left join good_records r on r._file_id = g._file_id and r.good_no = g.good_no
        union all
        select j._file_id, coalesce(r.first_line, j.line) as _line, coalesce(r.last_line, j.line) as _end_line,
               null::varchar as _raw, case j.error_type {rule_case} else 'unparseable_row' end as _parse_rule,
               j.message as _parse_detail, {nulls}
        from rejects j left join _csv_records r on r._file_id = j._file_id and r.record_no = j.line
        """
    )
