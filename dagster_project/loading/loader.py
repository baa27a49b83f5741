"""Load export files into ``raw.<table>``; quarantine what breaks the contract.

One call loads the files of one table for a set of export days:

1. **Judge** (no transaction): each file is checked on its own first (can it
   be read, is its name a date, is it UTF-8, does its CSV header hold the
   table's columns); the files that pass are then read and judged in
   batches of up to ``batch_bytes``, a few SQL statements per batch whatever
   its number of files (``physical_lines``, ``csv_records`` /
   ``jsonl_records``, ``rules``). Results go to scratch tables in the schema
   ``_loading_<table>``; each batch's temporary tables are dropped as soon as
   it is done, so memory follows the batch, not the number of days.
2. **Replace** (one transaction): the rows of those days (and the
   quarantine records of their files) are deleted, the scratch rows are
   inserted and the audit is written. The scratch schema is dropped after
   it, whether it committed or not. Reloading a day replaces it
   (idempotent); a failure anywhere leaves the warehouse exactly as it was.

What lands where:

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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.contract import Table
from dagster_project.loading.csv_records import header_problem, load_csv_records, read_header
from dagster_project.loading.export_files import ExportFile, dated_file, misnamed_files
from dagster_project.loading.jsonl_records import load_jsonl_records
from dagster_project.loading.load_audit import AUDIT_DDL, forget_loads, record_loads
from dagster_project.loading.physical_lines import FileShape, load_lines, scan_file
from dagster_project.loading.raw_schema import QUARANTINE_SCHEMA, RAW_SCHEMA, create_schemas_sql
from dagster_project.loading.rules import failures_sql, quote_literal, typed_value_sql

# Export bytes judged in one batch: big enough that per-statement costs vanish,
# small enough that a batch's working tables (a few times its text) stay well
# inside memory at any scale. A file bigger than this is a batch of its own.
DEFAULT_BATCH_BYTES = 128 << 20

_BATCH_TEMP_TABLES = ("_lines", "_csv_good", "_csv_records", "_csv_rejects", "_csv_scans", "_rejects", "_records")


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


@dataclass(frozen=True)
class _Scratch:
    """Where the judge phase puts its rows until the replace transaction."""

    schema: str
    judged: str  # every record of the well-formed files with the rules it breaks
    quarantine: str  # the records of the files quarantined whole

    @classmethod
    def of(cls, table: Table) -> _Scratch:
        schema = f"_loading_{table.name}"
        return cls(schema, f"{schema}.judged_records", f"{schema}.whole_file_quarantine")


@dataclass(frozen=True)
class _CheckedFile:
    """A file with what its own checks found: a whole-file fault, nothing to read, or a CSV header."""

    file_id: int
    file: ExportFile
    size: int
    shape: FileShape
    fault: tuple[str, str] | None = None  # (rule, detail)
    empty: bool = False
    header: tuple[str, ...] | None = None


def _check_readable(path: Path, relative: str) -> None:
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise UnreadableExportFile(f"{relative}: cannot read export file: {exc.strerror or exc}") from exc


def _check_file(table: Table, file: ExportFile, file_id: int) -> _CheckedFile:
    _check_readable(file.path, file.relative_path)
    size = file.path.stat().st_size
    shape = scan_file(file.path)
    if file.export_date is None:
        detail = f"file name is not <YYYY-MM-DD>.{table.file_format}"
        return _CheckedFile(file_id, file, size, shape, ("file_name_not_a_date", detail))
    if not shape.utf8:
        return _CheckedFile(file_id, file, size, shape, ("not_utf8", "file is not valid UTF-8"))
    if table.file_format != "csv":
        return _CheckedFile(file_id, file, size, shape)
    header = read_header(file.path)
    if header is None:
        return _CheckedFile(file_id, file, size, shape, empty=True)  # an empty file is valid: no rows
    problem = header_problem(header, table)
    if problem:
        return _CheckedFile(file_id, file, size, shape, ("header_mismatch", f"header: {problem}"))
    return _CheckedFile(file_id, file, size, shape, header=tuple(header))


def _read_lines(con: duckdb.DuckDBPyConnection, files: Sequence[_CheckedFile], utf8: bool) -> None:
    try:
        load_lines(con, [(f.file_id, f.file.path) for f in files], utf8)
    except duckdb.Error as exc:
        culprit = files[0]
        for checked in files if len(files) > 1 else ():  # name the file DuckDB could not read
            try:
                load_lines(con, [(checked.file_id, checked.file.path)], utf8)
            except duckdb.Error:
                culprit = checked
                break
        raise UnreadableExportFile(f"{culprit.file.relative_path}: cannot read export file: {exc}") from exc


def _quarantine_whole_file(
    con: duckdb.DuckDBPyConnection, table: Table, checked: _CheckedFile, scratch: _Scratch, loaded_at: str
) -> FileResult:
    """Quarantine every data line of the file under its file-level rule."""
    rule, detail = checked.fault
    file = checked.file
    _read_lines(con, [checked], checked.shape.utf8)
    first_data_line = 2 if table.file_format == "csv" else 1
    export_date = f"date '{file.export_date}'" if file.export_date else "null::date"
    common = f"{export_date}, {quote_literal(file.relative_path)}"
    con.execute(
        f"""
        insert into {scratch.quarantine}
        select {common}, line_no, {quote_literal(rule)}, {quote_literal(detail)}, rtrim(text, chr(13)),
               {loaded_at}
        from _lines where not blank and line_no >= {first_data_line}
        """
    )
    count = con.execute("select count(*) from _lines where not blank and line_no >= ?", [first_data_line]).fetchone()[0]
    if count == 0:
        con.execute(
            f"insert into {scratch.quarantine} values "
            f"({common}, null, {quote_literal(rule)}, {quote_literal(detail + ' (file has no data lines)')}, null, {loaded_at})"
        )
        return FileResult(file.relative_path, quarantined=Counter({rule: 1}))
    return FileResult(file.relative_path, quarantined=Counter({rule: count}), data_records=count)


def _files_sql(files: Sequence[_CheckedFile]) -> str:
    rows = ", ".join(
        f"({f.file_id}, date '{f.file.export_date}', {quote_literal(f.file.relative_path)}, {f.shape.cut_line or 'null'}::bigint)"
        for f in files
    )
    return f"(values {rows}) as files(_file_id, _export_date, _source_file, _cut_line)"


def _judge_batch(
    con: duckdb.DuckDBPyConnection, table: Table, files: Sequence[_CheckedFile], scratch: _Scratch, first: bool
) -> None:
    """Read and judge a batch of well-formed files (one CSV header) into ``scratch.judged``: few statements in all."""
    by_id = {f.file_id: f for f in files}

    def read_lines(file_ids: list[int]) -> None:
        _read_lines(con, [by_id[i] for i in file_ids], utf8=True)

    if table.file_format == "csv":
        load_csv_records(con, [(f.file_id, f.file.path, f.shape) for f in files], table, list(files[0].header), read_lines)
    else:
        read_lines(list(by_id))
        load_jsonl_records(con, table)
    judged = f"""
        with records as (
            select r.*, files._export_date, files._source_file, files._cut_line,
                   count(*) over (partition by r._file_id, r.{table.key}) as _key_count
            from _records r
            join {_files_sql(files)} on files._file_id = r._file_id
        ),
        judged as (
            select *, {failures_sql(table, table.file_format)} as _failures from records
        )
        select *,
            case when _cut_line between _line
                          and _line + length(coalesce(_raw, '')) - length(replace(coalesce(_raw, ''), chr(10), ''))
                 then ['truncated_last_line: line ' || _cut_line || ' has no line terminator'] || _failures
                 else _failures end as _all_failures
        from judged
    """
    con.execute(f"create table {scratch.judged} as {judged}" if first else f"insert into {scratch.judged} {judged}")
    # records numbered by position have no raw text yet: fetch the lines of those that are quarantined
    ids = ", ".join(map(str, by_id))
    missing = [r[0] for r in con.execute(
        f"select distinct _file_id from {scratch.judged} "
        f"where _file_id in ({ids}) and _raw is null and len(_all_failures) > 0"
    ).fetchall()]
    if missing:
        read_lines(missing)
        con.execute(
            f"""
            update {scratch.judged} as j set _raw = l.text
            from _lines l
            where l._file_id = j._file_id and l.line_no = j._line and j._raw is null and len(j._all_failures) > 0
            """
        )
    for name in _BATCH_TEMP_TABLES:
        con.execute(f"drop table if exists {name}")


def _judged_results(con: duckdb.DuckDBPyConnection, scratch: _Scratch, files: Sequence[_CheckedFile]) -> dict[int, FileResult]:
    """Rows loaded and quarantined (per first rule) per file, counted once over every batch."""
    results = {f.file_id: FileResult(f.file.relative_path) for f in files}
    if not files:
        return results
    # one pass: the null group is the loaded rows, the others count quarantined rows per first rule
    for file_id, rule, rows in con.execute(
        "select _file_id, case when len(_all_failures) > 0 then split_part(_all_failures[1], ':', 1) end, count(*) "
        f"from {scratch.judged} group by 1, 2"
    ).fetchall():
        result = results[file_id]
        result.data_records += rows
        if rule is None:
            result.loaded = rows
        else:
            result.quarantined[rule] = rows
    return results


def _batches(files: Sequence[_CheckedFile], batch_bytes: int) -> Iterator[list[_CheckedFile]]:
    """Consecutive files of one CSV header, up to ``batch_bytes`` (at least one file) each."""
    batch: list[_CheckedFile] = []
    size = 0
    for checked in files:
        if batch and (size + checked.size > batch_bytes or checked.header != batch[0].header):
            yield batch
            batch, size = [], 0
        batch.append(checked)
        size += checked.size
    if batch:
        yield batch


def _judge(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    files: Sequence[ExportFile],
    scratch: _Scratch,
    loaded_at: str,
    batch_bytes: int,
) -> tuple[list[FileResult], bool]:
    """Stage every file's records in the scratch tables.

    Returns the results in the order of ``files``, and whether any file was
    judged (then ``scratch.judged`` exists).
    """
    checked = [_check_file(table, file, file_id) for file_id, file in enumerate(files)]
    results: dict[int, FileResult] = {}
    for c in checked:
        if c.fault is not None:
            results[c.file_id] = _quarantine_whole_file(con, table, c, scratch, loaded_at)
        elif c.empty:
            results[c.file_id] = FileResult(c.file.relative_path)
    readable = [c for c in checked if c.fault is None and not c.empty]
    for number, batch in enumerate(_batches(readable, batch_bytes)):
        _judge_batch(con, table, batch, scratch, first=number == 0)
    results.update(_judged_results(con, scratch, readable))
    return [results[c.file_id] for c in checked], bool(readable)


def _replace(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    days: list[dt.date],
    misnamed: list[ExportFile],
    audit_rows: list[tuple[dt.date | None, str | None, int, int, int]],
    scratch: _Scratch,
    judged: bool,
    loaded_at: str,
) -> None:
    """Swap the staged rows in for the days' rows (and the misnamed files' records), in one transaction."""
    day_list = ", ".join(f"date '{d}'" for d in days) or "null"
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {RAW_SCHEMA}.{table.name} where _export_date in ({day_list})")
        con.execute(f"delete from {QUARANTINE_SCHEMA}.{table.name} where _export_date in ({day_list})")
        if misnamed:
            names = ", ".join(quote_literal(f.relative_path) for f in misnamed)
            con.execute(f"delete from {QUARANTINE_SCHEMA}.{table.name} where _source_file in ({names})")
        forget_loads(con, table.name, days, [f.relative_path for f in misnamed])
        if judged:
            columns = ", ".join(typed_value_sql(c) for c in table.columns)
            con.execute(
                f"""
                insert into {RAW_SCHEMA}.{table.name}
                select {columns}, _export_date, _source_file, _line, {loaded_at}
                from {scratch.judged} where len(_all_failures) = 0
                """
            )
            con.execute(
                f"""
                insert into {QUARANTINE_SCHEMA}.{table.name}
                select _export_date, _source_file, _line,
                       split_part(_all_failures[1], ':', 1), array_to_string(_all_failures, '; '), _raw, {loaded_at}
                from {scratch.judged} where len(_all_failures) > 0
                """
            )
        con.execute(f"insert into {QUARANTINE_SCHEMA}.{table.name} select * from {scratch.quarantine}")
        record_loads(con, table.name, audit_rows, loaded_at)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def load_days(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    exports_dir: Path,
    days: list[dt.date],
    loaded_at: dt.datetime,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
) -> LoadResult:
    """Replace the rows of ``days`` in ``raw.<table>`` with what the export files hold.

    Also (re)quarantines the table's misnamed files, which belong to no day.
    On any error nothing is changed.
    """
    loaded_at_sql = f"timestamp '{loaded_at.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    days = sorted(days)
    for statement in (*create_schemas_sql(table), *AUDIT_DDL):
        con.execute(statement)
    dated = {day: dated_file(exports_dir, table, day) for day in days}
    misnamed = misnamed_files(exports_dir, table)
    files = [f for f in dated.values() if f is not None] + misnamed
    scratch = _Scratch.of(table)
    con.execute(f"drop schema if exists {scratch.schema} cascade")
    con.execute(f"create schema {scratch.schema}")
    try:
        con.execute(f"create table {scratch.quarantine} as select * from {QUARANTINE_SCHEMA}.{table.name} limit 0")
        judged_files, judged = _judge(con, table, files, scratch, loaded_at_sql, batch_bytes)
        file_results = dict(zip((f.relative_path for f in files), judged_files, strict=True))
        audit_rows = []
        for day, file in dated.items():
            audit_rows.append(_audit_row(day, file_results.get(file.relative_path) if file else None))
        for file in misnamed:
            audit_rows.append(_audit_row(None, file_results[file.relative_path]))
        _replace(con, table, days, misnamed, audit_rows, scratch, judged, loaded_at_sql)
    finally:
        con.execute(f"drop schema if exists {scratch.schema} cascade")
    return LoadResult(table.name, days, [file_results[f.relative_path] for f in files])


def _audit_row(day: dt.date | None, file: FileResult | None) -> tuple[dt.date | None, str | None, int, int, int]:
    if file is None:
        return (day, None, 0, 0, 0)
    return (day, file.source_file, file.data_records, file.loaded, sum(file.quarantined.values()))


def connect(duckdb_path: Path) -> duckdb.DuckDBPyConnection:
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(duckdb_path))
    con.execute("set TimeZone = 'UTC'")
    return con
