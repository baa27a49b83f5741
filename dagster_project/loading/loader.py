"""Load export files into ``raw.<table>``; quarantine what breaks the contract.

One call loads the files of one table for a set of export days, inside one
transaction: the rows of those days (and the quarantine records of their
files) are deleted first, so reloading a day replaces it (idempotent), and
a failure leaves the warehouse exactly as it was.

* Good rows go to ``raw.<table>`` with ``_export_date``, ``_source_file``,
  ``_source_line`` and ``_loaded_at``.
* A row that breaks a rule goes to ``quarantine.<table>`` with its file,
  line, rule, detail and raw text; the other rows of the file still load.
* A fault of the whole file (its name, its encoding, its header)
  quarantines each of its data lines under that rule, or records the file
  once when it has none.
* A file that cannot be read at all raises :class:`UnreadableExportFile`
  naming the file: that partition fails and nothing of it is written.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.contract import Table
from dagster_project.loading.csv_records import header_problem, load_csv_records, read_header
from dagster_project.loading.export_files import ExportFile, dated_file, misnamed_files
from dagster_project.loading.jsonl_records import load_jsonl_records
from dagster_project.loading.load_audit import AUDIT_DDL, forget_loads, record_load
from dagster_project.loading.physical_lines import is_utf8, load_lines
from dagster_project.loading.raw_schema import QUARANTINE_SCHEMA, RAW_SCHEMA, create_schemas_sql
from dagster_project.loading.rules import failures_sql, quote_literal, typed_value_sql


class UnreadableExportFile(RuntimeError):
    """An export file that cannot be opened or read at all."""


@dataclass
class FileResult:
    source_file: str
    loaded: int = 0
    quarantined: Counter = field(default_factory=Counter)  # rule -> rows
    data_records: int = 0  # records the reader found in the file (a whole-file fault: its data lines)


@dataclass
class LoadResult:
    table: str
    days: list[dt.date]
    files: list[FileResult] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return sum(f.loaded for f in self.files)

    @property
    def quarantined(self) -> Counter:
        return sum((f.quarantined for f in self.files), Counter())


def _check_readable(path: Path, relative: str) -> None:
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise UnreadableExportFile(f"{relative}: cannot read export file: {exc.strerror or exc}") from exc


def _quarantine_whole_file(
    con: duckdb.DuckDBPyConnection, table: Table, file: ExportFile, rule: str, detail: str, loaded_at: str
) -> FileResult:
    """Quarantine every data line of ``_lines`` under one file-level rule."""
    first_data_line = 2 if table.file_format == "csv" else 1
    export_date = f"date '{file.export_date}'" if file.export_date else "null::date"
    common = f"{export_date}, {quote_literal(file.relative_path)}"
    con.execute(
        f"""
        insert into {QUARANTINE_SCHEMA}.{table.name}
        select {common}, line_no, {quote_literal(rule)}, {quote_literal(detail)}, rtrim(text, chr(13)),
               {loaded_at}
        from _lines where not blank and line_no >= {first_data_line}
        """
    )
    count = con.execute("select count(*) from _lines where not blank and line_no >= ?", [first_data_line]).fetchone()[0]
    if count == 0:
        con.execute(
            f"insert into {QUARANTINE_SCHEMA}.{table.name} values "
            f"({common}, null, {quote_literal(rule)}, {quote_literal(detail + ' (file has no data lines)')}, null, {loaded_at})"
        )
        return FileResult(file.relative_path, quarantined=Counter({rule: 1}))
    return FileResult(file.relative_path, quarantined=Counter({rule: count}), data_records=count)


def _validate_and_insert(con: duckdb.DuckDBPyConnection, table: Table, file: ExportFile, loaded_at: str) -> FileResult:
    """Judge every record of ``_records`` and insert it into raw or quarantine."""
    truncated = con.execute("select line_no from _lines where unterminated").fetchone()
    last_line = truncated[0] if truncated else None
    con.execute(
        f"""
        create or replace temp table _judged as
        with records as (
            select *, date '{file.export_date}' as _export_date,
                   count(*) over (partition by {table.key}) as _key_count
            from _records
        ),
        judged as (
            select *, {failures_sql(table, table.file_format)} as _failures from records
        )
        select *,
            case when {last_line if last_line is not None else 'null'} between _line
                          and _line + length(coalesce(_raw, '')) - length(replace(coalesce(_raw, ''), chr(10), ''))
                 then ['truncated_last_line: line ' || {last_line or 0} || ' has no line terminator'] || _failures
                 else _failures end as _all_failures
        from judged
        """
    )
    columns = ", ".join(typed_value_sql(c) for c in table.columns)
    con.execute(
        f"""
        insert into {RAW_SCHEMA}.{table.name}
        select {columns}, _export_date, {quote_literal(file.relative_path)}, _line, {loaded_at}
        from _judged where len(_all_failures) = 0
        """
    )
    con.execute(
        f"""
        insert into {QUARANTINE_SCHEMA}.{table.name}
        select _export_date, {quote_literal(file.relative_path)}, _line,
               split_part(_all_failures[1], ':', 1), array_to_string(_all_failures, '; '), _raw, {loaded_at}
        from _judged where len(_all_failures) > 0
        """
    )
    # one pass: the null group is the loaded rows, the others count quarantined rows per first rule
    counts = dict(
        con.execute(
            "select case when len(_all_failures) > 0 then split_part(_all_failures[1], ':', 1) end, count(*) "
            "from _judged group by 1"
        ).fetchall()
    )
    loaded = counts.pop(None, 0)
    data_records = con.execute("select count(*) from _records").fetchone()[0]
    return FileResult(file.relative_path, loaded=loaded, quarantined=Counter(counts), data_records=data_records)


def load_file(con: duckdb.DuckDBPyConnection, table: Table, file: ExportFile, loaded_at: str) -> FileResult:
    _check_readable(file.path, file.relative_path)
    utf8 = is_utf8(file.path)
    try:
        load_lines(con, file.path, utf8)
    except duckdb.Error as exc:
        raise UnreadableExportFile(f"{file.relative_path}: cannot read export file: {exc}") from exc
    if file.export_date is None:
        expected = f"<YYYY-MM-DD>.{table.file_format}"
        return _quarantine_whole_file(con, table, file, "file_name_not_a_date", f"file name is not {expected}", loaded_at)
    if not utf8:
        return _quarantine_whole_file(con, table, file, "not_utf8", "file is not valid UTF-8", loaded_at)
    if table.file_format == "csv":
        header = read_header(con)
        if header is None:
            return FileResult(file.relative_path)  # an empty file is valid: no rows
        problem = header_problem(header, table)
        if problem:
            return _quarantine_whole_file(con, table, file, "header_mismatch", f"header: {problem}", loaded_at)
        load_csv_records(con, file.path, table, header)
    else:
        load_jsonl_records(con, table)
    return _validate_and_insert(con, table, file, loaded_at)


def load_days(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    exports_dir: Path,
    days: list[dt.date],
    loaded_at: dt.datetime,
) -> LoadResult:
    """Replace the rows of ``days`` in ``raw.<table>`` with what the export files hold.

    Also (re)quarantines the table's misnamed files, which belong to no day.
    Runs in one transaction: on any error nothing is changed.
    """
    loaded_at_sql = f"timestamp '{loaded_at.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    result = LoadResult(table.name, sorted(days))
    for statement in (*create_schemas_sql(table), *AUDIT_DDL):
        con.execute(statement)
    misnamed = misnamed_files(exports_dir, table)
    day_list = ", ".join(f"date '{d}'" for d in days) or "null"
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {RAW_SCHEMA}.{table.name} where _export_date in ({day_list})")
        con.execute(f"delete from {QUARANTINE_SCHEMA}.{table.name} where _export_date in ({day_list})")
        if misnamed:
            names = ", ".join(quote_literal(f.relative_path) for f in misnamed)
            con.execute(f"delete from {QUARANTINE_SCHEMA}.{table.name} where _source_file in ({names})")
        forget_loads(con, table.name, sorted(days), [f.relative_path for f in misnamed])
        for day in sorted(days):
            file = dated_file(exports_dir, table, day)
            file_result = load_file(con, table, file, loaded_at_sql) if file is not None else None
            _audit(con, table, day, file_result, loaded_at_sql)
            if file_result is not None:
                result.files.append(file_result)
        for file in misnamed:
            file_result = load_file(con, table, file, loaded_at_sql)
            _audit(con, table, None, file_result, loaded_at_sql)
            result.files.append(file_result)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return result


def _audit(
    con: duckdb.DuckDBPyConnection, table: Table, day: dt.date | None, file: FileResult | None, loaded_at: str
) -> None:
    if file is None:
        record_load(con, table.name, day, None, 0, 0, 0, loaded_at)
    else:
        quarantined = sum(file.quarantined.values())
        record_load(con, table.name, day, file.source_file, file.data_records, file.loaded, quarantined, loaded_at)


def connect(duckdb_path: Path) -> duckdb.DuckDBPyConnection:
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(duckdb_path))
    con.execute("set TimeZone = 'UTC'")
    return con
