"""CSV records with their physical line numbers, parsed by DuckDB's CSV reader.

DuckDB parses the file (RFC 4180 quoting, multi-line quoted fields) and keeps
the records it rejects (``store_rejects``). Its own ``line`` counts a
multi-line record once, and it gives no line for good rows, so this module
maps both to physical lines: from ``_lines`` it finds where records start
(a line starts a record unless an odd number of quotes before it left a
quoted field open) and pairs the reader's records with those starts in file
order. When the two disagree in count (a stray quote inside an unquoted
field, which RFC 4180 forbids), every non-blank line is taken as one record,
which is exact for files without multi-line fields.

Result: temp table ``_records(_line, _raw, _parse_rule, _parse_detail, <columns as text>)``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from dagster_project.contract import Table
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


def read_header(con: duckdb.DuckDBPyConnection) -> list[str] | None:
    """The header fields from line 1 of ``_lines`` (None for an empty file)."""
    row = con.execute("select text from _lines where line_no = 1 and not blank").fetchone()
    if row is None:
        return None
    return next(csv.reader([row[0].rstrip("\r")]))


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


def _read_with_rejects(con: duckdb.DuckDBPyConnection, path: Path, header: list[str]) -> None:
    columns = "{" + ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in header) + "}"
    con.execute("drop table if exists _csv_rejects")
    con.execute("drop table if exists _csv_scans")
    con.execute(
        f"""
        create or replace temp table _csv_good as
        select * from read_csv({quote_literal(str(path))},
            header = true, columns = {columns}, auto_detect = false,
            delim = ',', quote = '"', escape = '"', strict_mode = true,
            store_rejects = true, rejects_table = '_csv_rejects', rejects_scan = '_csv_scans')
        """
    )


def _map_records(con: duckdb.DuckDBPyConnection, parity: bool) -> bool:
    """Build ``_csv_records(record_no, start_line, reader_line, raw)``; True if counts agree."""
    odd = "(length(text) - length(replace(text, '\"', ''))) % 2 = 1" if parity else "false"
    con.execute(
        f"""
        create or replace temp table _csv_records as
        with quotes as (
            select line_no, text, blank, ({odd}) as odd_quotes from _lines
        ),
        continued as (
            select *,
                coalesce(sum(odd_quotes::int) over (order by line_no
                    rows between unbounded preceding and 1 preceding), 0) % 2 = 1 as is_continuation
            from quotes
        ),
        grouped as (
            select *,
                sum((not is_continuation)::int) over (order by line_no) as group_no,
                line_no - sum(is_continuation::int) over (order by line_no) as reader_line
            from continued
        ),
        records as (
            select
                group_no,
                min(line_no) as start_line,
                min(reader_line) as reader_line,
                string_agg(text, chr(10) order by line_no) as raw,
                bool_and(blank) as blank
            from grouped
            group by group_no
        )
        select row_number() over (order by start_line) as record_no, start_line, reader_line, raw
        from records
        where not blank and start_line > 1
        """
    )
    return con.execute(
        """
        select (select count(*) from _csv_records)
             = (select count(*) from _csv_good) + (select count(distinct line) from _csv_rejects)
        """
    ).fetchone()[0]


def load_csv_records(con: duckdb.DuckDBPyConnection, path: Path, table: Table, header: list[str]) -> None:
    _read_with_rejects(con, path, header)
    if not _map_records(con, parity=True):
        _map_records(con, parity=False)
    rule_case = " ".join(f"when {quote_literal(k)} then {quote_literal(v)}" for k, v in _REJECT_RULES.items())
    rank_case = " ".join(f"when {quote_literal(k)} then {i}" for i, k in enumerate(_REJECT_RULES))
    values = ", ".join(f"nullif(g.{c}, '') as {c}" for c in table.column_names)
    nulls = ", ".join(f"null::varchar as {c}" for c in table.column_names)
    con.execute(
        f"""
        create or replace temp table _records as
        with rejects as (
            select line,
                   arg_min(error_type::varchar, case error_type::varchar {rank_case} else 99 end) as error_type,
                   arg_min(error_message, case error_type::varchar {rank_case} else 99 end) as message,
                   min(csv_line) as csv_line
            from _csv_rejects group by line
        ),
        good_records as (
            select r.*, row_number() over (order by r.record_no) as good_no
            from _csv_records r anti join rejects j on j.line = r.reader_line
        ),
        good as (
            select row_number() over (order by g.rowid) as good_no, * from _csv_good g
        )
        select coalesce(r.start_line, g.good_no + 1) as _line, r.raw as _raw,
               null::varchar as _parse_rule, null::varchar as _parse_detail, {values}
        from good g left join good_records r using (good_no)
        union all
        select coalesce(r.start_line, j.line) as _line, coalesce(r.raw, j.csv_line) as _raw,
               case j.error_type {rule_case} else 'unparseable_row' end as _parse_rule,
               j.message as _parse_detail, {nulls}
        from rejects j left join _csv_records r on r.reader_line = j.line
        """
    )
