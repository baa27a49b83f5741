"""CSV records with their physical line numbers, parsed by DuckDB's CSV reader.

DuckDB parses a batch of files that share one header in one multi-file read
(RFC 4180 quoting, multi-line quoted fields) and keeps the records it
rejects (``store_rejects``), per file. Its own ``line`` counts a
multi-line record once, and it gives no line for good rows, so this module
maps both to physical lines: from ``_lines`` it finds where records start
(a line starts a record unless an odd number of quotes before it left a
quoted field open) and pairs the reader's records with those starts in file
order, file by file. When the two disagree in count for a file (a stray
quote inside an unquoted field, which RFC 4180 forbids), every non-blank
line of that file is taken as one record, which is exact for files without
multi-line fields.

Most files need none of that: when a file's good records are exactly its
data lines (no rejected record, no blank line, no quoted line break; the
line count comes from the loader's pass over the bytes), record i is line
i + 1. Only the other files are split into lines and mapped.

Result: temp table ``_records(_file_id, _line, _raw, _parse_rule, _parse_detail, <columns as text>)``;
``_raw`` is null for files numbered by position.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import duckdb

from dagster_project.contract import Table
from dagster_project.loading.physical_lines import FileShape, file_ids_sql, paths_sql
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


def _read_with_rejects(con: duckdb.DuckDBPyConnection, files: Sequence[tuple[int, Path]], header: list[str]) -> None:
    columns = "{" + ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in header) + "}"
    con.execute("drop table if exists _csv_rejects")
    con.execute("drop table if exists _csv_scans")
    con.execute(
        f"""
        create or replace temp table _csv_read as
        select * from read_csv({paths_sql(files)},
            header = true, columns = {columns}, auto_detect = false,
            delim = ',', quote = '"', escape = '"', strict_mode = true, filename = '_csv_file',
            store_rejects = true, rejects_table = '_csv_rejects', rejects_scan = '_csv_scans')
        """
    )
    # good records in file order: a plain scan keeps insertion order, so rowid orders each file's rows
    con.execute(
        f"""
        create or replace temp table _csv_good as
        select f._file_id, row_number() over (partition by r._csv_file order by r.rowid) as good_no,
               r.* exclude (_csv_file)
        from _csv_read r join {file_ids_sql(files)} on f.path = r._csv_file
        """
    )
    con.execute("drop table _csv_read")
    # the rejected records, numbered like the files of the batch
    con.execute(
        f"""
        create or replace temp table _rejects as
        select f._file_id, j.*
        from _csv_rejects j
        join _csv_scans s on s.scan_id = j.scan_id and s.file_id = j.file_id
        join {file_ids_sql(files)} on f.path = s.file_path
        """
    )


def _map_records(con: duckdb.DuckDBPyConnection, parity: bool, only_files: list[int] | None = None) -> list[int]:
    """Build ``_csv_records(_file_id, record_no, start_line, reader_line, raw)``.

    Returns the files whose record count disagrees with the reader's (good
    records plus rejected lines). ``only_files`` rebuilds just those files.
    """
    odd = "(length(text) - length(replace(text, '\"', ''))) % 2 = 1" if parity else "false"
    selected = "" if only_files is None else f"where _file_id in ({', '.join(map(str, only_files))})"
    mapped = f"""
        with quotes as (
            select _file_id, line_no, text, blank, ({odd}) as odd_quotes from _lines {selected}
        ),
        continued as (
            select *,
                coalesce(sum(odd_quotes::int) over (partition by _file_id order by line_no
                    rows between unbounded preceding and 1 preceding), 0) % 2 = 1 as is_continuation
            from quotes
        ),
        grouped as (
            select *,
                sum((not is_continuation)::int) over (partition by _file_id order by line_no) as group_no,
                line_no - sum(is_continuation::int) over (partition by _file_id order by line_no) as reader_line
            from continued
        ),
        records as (
            select
                _file_id,
                group_no,
                min(line_no) as start_line,
                min(reader_line) as reader_line,
                string_agg(text, chr(10) order by line_no) as raw,
                bool_and(blank) as blank
            from grouped
            group by _file_id, group_no
        )
        select _file_id, row_number() over (partition by _file_id order by start_line) as record_no,
               start_line, reader_line, raw
        from records
        where not blank and start_line > 1
    """
    if only_files is None:
        con.execute(f"create or replace temp table _csv_records as {mapped}")
    else:
        con.execute(f"delete from _csv_records where _file_id in ({', '.join(map(str, only_files))})")
        con.execute(f"insert into _csv_records {mapped}")
    files = [r[0] for r in con.execute(f"select distinct _file_id from _lines {selected}").fetchall()]
    mapped = dict(con.execute("select _file_id, count(*) from _csv_records group by 1").fetchall())
    read = _reader_counts(con)
    return sorted(f for f in files if mapped.get(f, 0) != sum(read.get(f, (0, 0))))


def _reader_counts(con: duckdb.DuckDBPyConnection) -> dict[int, tuple[int, int]]:
    """Per file, what DuckDB's reader found: (good records, rejected lines)."""
    return {
        file_id: (good, rejected)
        for file_id, good, rejected in con.execute(
            """
            select _file_id, sum(good), sum(rejected) from (
                select _file_id, count(*) as good, 0 as rejected from _csv_good group by 1
                union all
                select _file_id, 0, count(distinct line) from _rejects group by 1
            ) group by 1
            """
        ).fetchall()
    }


def _files_needing_lines(con: duckdb.DuckDBPyConnection, shapes: Mapping[int, FileShape]) -> list[int]:
    """Files whose records cannot be numbered by position: rejected records, blank or multi-line records."""
    read = _reader_counts(con)
    slow = []
    for file_id, shape in shapes.items():
        good, rejected = read.get(file_id, (0, 0))
        if rejected or good != shape.data_lines:
            slow.append(file_id)
    return sorted(slow)


def load_csv_records(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[tuple[int, Path, FileShape]],
    table: Table,
    header: list[str],
    read_lines: Callable[[list[int]], None],
) -> None:
    """``_records`` for a batch of files that all have ``header``.

    A file whose every data line is one good record (the usual case) is
    numbered by position: record i is line i + 1, and ``_raw`` is left null
    (the loader fetches the text of the few lines it quarantines). Only the
    other files are split into lines (``read_lines`` fills ``_lines`` for
    them) and mapped record by record.
    """
    _read_with_rejects(con, [(file_id, path) for file_id, path, _ in files], header)
    slow = _files_needing_lines(con, {file_id: shape for file_id, _, shape in files})
    if slow:
        read_lines(slow)
        disagreeing = _map_records(con, parity=True)
        if disagreeing:
            _map_records(con, parity=False, only_files=disagreeing)
    else:
        con.execute(
            "create or replace temp table _csv_records "
            "(_file_id BIGINT, record_no BIGINT, start_line BIGINT, reader_line BIGINT, raw VARCHAR)"
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
                   arg_min(error_message, case error_type::varchar {rank_case} else 99 end) as message,
                   min(csv_line) as csv_line
            from _rejects group by _file_id, line
        ),
        good_records as (
            select r.*, row_number() over (partition by r._file_id order by r.record_no) as good_no
            from _csv_records r anti join rejects j on j._file_id = r._file_id and j.line = r.reader_line
        )
        select g._file_id, coalesce(r.start_line, g.good_no + 1) as _line, r.raw as _raw,
               null::varchar as _parse_rule, null::varchar as _parse_detail, {values}
        from _csv_good g left join good_records r on r._file_id = g._file_id and r.good_no = g.good_no
        union all
        select j._file_id, coalesce(r.start_line, j.line) as _line, coalesce(r.raw, j.csv_line) as _raw,
               case j.error_type {rule_case} else 'unparseable_row' end as _parse_rule,
               j.message as _parse_detail, {nulls}
        from rejects j left join _csv_records r on r._file_id = j._file_id and r.reader_line = j.line
        """
    )
