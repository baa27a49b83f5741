"""Load export files into ``raw.<table>``; quarantine what breaks the contract.

One call loads the files of one table for a set of export days:

1. **Each file on its own** (no transaction): can it be read, is its name a
   date, is that date today or earlier, is it UTF-8, does its CSV header
   hold the table's columns (one streamed pass over its bytes, which also
   counts its lines). A file with a whole-file fault has each data line
   quarantined under that rule (``judged_path``), into a scratch schema
   ``_loading_<table>``; a file dated in the future is recorded once, unread.
2. **Replace** (one transaction): the rows of those days (and the
   quarantine records of their files and of the files of no day) are
   deleted; then the well-formed files are read in batches of up to
   ``batch_bytes``, and the records of clean files go straight into ``raw``
   (``fast_path``: one read per batch, every rule evaluated in the same
   select, nothing written twice). A file that is not clean (a rejected or
   blank line, a multi-line record, a row that breaks a rule) is judged
   record by record on a second connection, outside the transaction
   (``judged_path``), and its rows are copied into ``raw`` and
   ``quarantine``. The audit is written and the transaction
   commits. The scratch schema is dropped after it, whether it committed or
   not. Reloading a day replaces it (idempotent); a failure anywhere leaves
   the warehouse exactly as it was.

What lands where:

* Good rows go to ``raw.<table>`` with ``_export_date``, ``_source_file``,
  ``_source_line`` and ``_loaded_at``.
* A row that breaks a rule goes to ``quarantine.<table>`` with its file,
  line, rule, detail and raw text; the other rows of the file still load.
* A fault of the whole file (its name, its encoding, its header)
  quarantines each of its data lines under that rule, or records the file
  once when it has none. A name that is not valid UTF-8 is a name that is
  not a date; it is shown with its bytes escaped (``\\xNN``).
* A file dated after today (UTC) cannot be an export yet: it is recorded
  once under ``file_date_in_future``, without being read, and never stops
  the other files. Like a misnamed file it belongs to no day and is
  re-examined on every run of its table; once its date is today or earlier
  it is an ordinary file of its day (loaded by a run of that day) and its
  record goes. Days after today are not loaded.
* A file that cannot be read at all raises :class:`UnreadableExportFile`
  naming the file: that partition fails and nothing of it is written. So
  does an exports folder whose path is not valid UTF-8 (DuckDB cannot open
  a file under it).

Every connection, cursor, file and scratch table the loader opens is closed
or dropped on every path, an error included.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.contract import Table
from dagster_project.loading.csv_records import header_problem, read_header
from dagster_project.loading.export_files import ExportFile, dated_file, shown_path, table_files, utc_today
from dagster_project.loading.fast_path import CleanCandidate, insert_clean
from dagster_project.loading.judged_path import (
    CheckedFile,
    FileResult,
    Scratch,
    UnreadableExportFile,
    batches,
    judge_batch,
    judged_results,
    quarantine_whole_file,
)
from dagster_project.loading.load_audit import (
    AUDIT_DDL,
    AuditRow,
    forget_files_of_no_day,
    forget_loads,
    record_loads,
)
from dagster_project.loading.physical_lines import scan_file
from dagster_project.loading.raw_schema import QUARANTINE_SCHEMA, RAW_SCHEMA, create_schemas_sql
from dagster_project.loading.rules import FILE_DATE_IN_FUTURE, FILE_NAME_NOT_A_DATE, quote_literal, typed_value_sql
from dagster_project.loading.unchanged_days import contract_sha256, unchanged_days

__all__ = [
    "DEFAULT_BATCH_BYTES",
    "DEFAULT_FAST_BATCH_BYTES",
    "FileResult",
    "LoadResult",
    "UnreadableExportFile",
    "connect",
    "load_days",
]

# Export bytes judged in one batch on the general path: big enough that
# per-statement costs vanish, small enough that a batch's working tables (a
# few times its text) stay well inside memory at any scale. A file bigger
# than this is a batch of its own.
DEFAULT_BATCH_BYTES = 128 << 20
# Export bytes read in one fast-path insert. It keeps no working table (the
# rows stream into raw; the check after it holds one key per row), so its
# batches can be larger: fewer statements, and every core busy until the end
# of each read (at scale 10 on 2 cores, 40 days of orders: 8.0 s in one
# read, 9.3 s in 128 MiB batches).
DEFAULT_FAST_BATCH_BYTES = 1 << 30


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

    @property
    def unchanged(self) -> list[FileResult]:
        """The files of unchanged days, kept as their latest load left them."""
        return [f for f in self.files if f.kept_from is not None]


def _check_readable(path: Path, relative: str) -> None:
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise UnreadableExportFile(f"{relative}: cannot read export file: {exc.strerror or exc}") from exc


def _check_exports_dir(exports_dir: Path) -> None:
    """DuckDB's readers take paths as UTF-8 text: under a folder whose path is not, no file can be read."""
    path = exports_dir.absolute()
    try:
        os.fsencode(path).decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableExportFile(
            f"{shown_path(path)}: the exports folder's path is not valid UTF-8, so its files cannot be read; "
            "rename the folder"
        ) from None


def _name_detail(table: Table, file: ExportFile) -> str:
    expected = f"<YYYY-MM-DD>.{table.file_format}"
    try:
        os.fsencode(file.path.name).decode("utf-8")
    except UnicodeDecodeError:
        return f"file name is not valid UTF-8 (bytes shown as \\xNN), so not {expected}"
    return f"file name is not {expected}"


def _future_detail(file: ExportFile) -> str:
    return (
        f"file dated {file.export_date}, after the day it was found (UTC): not an export yet, not read; "
        "it loads with its day once that day has come"
    )


def _check_file(table: Table, file: ExportFile, file_id: int, today: dt.date) -> CheckedFile:
    if file.dated_after(today):  # not read at all: nothing in it can stop the other files
        return CheckedFile(file_id, file, 0, None, (FILE_DATE_IN_FUTURE, _future_detail(file)))
    _check_readable(file.path, file.relative_path)
    size = file.path.stat().st_size
    shape = scan_file(file.path)
    if file.export_date is None:
        return CheckedFile(file_id, file, size, shape, (FILE_NAME_NOT_A_DATE, _name_detail(table, file)))
    if not shape.utf8:
        return CheckedFile(file_id, file, size, shape, ("not_utf8", "file is not valid UTF-8"))
    if table.file_format != "csv":
        return CheckedFile(file_id, file, size, shape)
    header = read_header(file.path)
    if header is None:
        return CheckedFile(file_id, file, size, shape, empty=True)  # an empty file is valid: no rows
    problem = header_problem(header, table)
    if problem:
        return CheckedFile(file_id, file, size, shape, ("header_mismatch", f"header: {problem}"))
    return CheckedFile(file_id, file, size, shape, header=tuple(header))


def _candidate(table: Table, checked: CheckedFile) -> CleanCandidate | None:
    """The file as a fast-path candidate; None when it surely is not clean (its last line is cut off)."""
    if checked.shape.cut_line is not None:
        return None
    records = checked.shape.data_lines + (table.file_format == "jsonl")  # JSON Lines have no header line
    return CleanCandidate(
        checked.file_id, checked.file.path, checked.file.export_date, checked.file.relative_path, records
    )


def _insert_clean_files(
    con: duckdb.DuckDBPyConnection, table: Table, readable: Sequence[CheckedFile], loaded_at: str, fast_batch_bytes: int
) -> dict[int, FileResult]:
    """Fast path for every readable file; the results of the files that were clean."""
    candidates = {c.file_id: _candidate(table, c) for c in readable}
    clean: dict[int, FileResult] = {}
    for batch in batches([c for c in readable if candidates[c.file_id] is not None], fast_batch_bytes):
        files = [candidates[c.file_id] for c in batch]
        not_clean = set(insert_clean(con, table, files, batch[0].header, loaded_at))
        for c in batch:
            if c.file_id not in not_clean:
                records = candidates[c.file_id].records
                clean[c.file_id] = FileResult(c.file.relative_path, loaded=records, data_records=records)
    return clean


def _judge_and_copy(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    files: Sequence[CheckedFile],
    scratch: Scratch,
    loaded_at: str,
    batch_bytes: int,
) -> dict[int, FileResult]:
    """General path for ``files``: judged on a connection of its own, copied into raw and quarantine on ``con``."""
    if not files:
        return {}
    judge = con.cursor()  # outside con's transaction: its temporary tables go with each batch
    try:
        judge.execute("set TimeZone = 'UTC'")  # as connect() sets it for con
        judge.execute(f"drop table if exists {scratch.judged}")  # left by an attempt that rolled back
        for number, batch in enumerate(batches(files, batch_bytes)):
            judge_batch(judge, table, batch, scratch, first=number == 0)
        columns = ", ".join(typed_value_sql(c) for c in table.columns)
        for target, query in (
            (
                f"{RAW_SCHEMA}.{table.name}",
                f"select {columns}, _export_date, _source_file, _line, {loaded_at} "
                f"from {scratch.judged} where len(_all_failures) = 0",
            ),
            (
                f"{QUARANTINE_SCHEMA}.{table.name}",
                "select _export_date, _source_file, _line, split_part(_all_failures[1], ':', 1), "
                f"array_to_string(_all_failures, '; '), _raw, {loaded_at} from {scratch.judged} where len(_all_failures) > 0",
            ),
        ):
            rows = judge.sql(query).to_arrow_reader(1 << 16)  # streamed: the rows never sit in Python at once
            try:
                con.register("_judged_rows", rows)
                try:
                    con.execute(f"insert into {target} select * from _judged_rows")
                finally:
                    con.unregister("_judged_rows")
            finally:
                rows.close()
        return judged_results(judge, scratch, files)
    finally:
        judge.close()


def _replace(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    days: list[dt.date],
    checked: Sequence[CheckedFile],
    results: dict[int, FileResult],
    scratch: Scratch,
    loaded_at: str,
    batch_bytes: int,
    fast_batch_bytes: int | None,
    contract: str,
) -> dict[int, FileResult]:
    """In one transaction: delete the days' rows (and the records of the files of no day), load the readable
    files, write the audit.

    The records of files dated in the future are all replaced, whichever
    days are loaded: one whose date has come (or that is gone) loses its
    record here, and is loaded by a run of its day.

    ``fast_batch_bytes`` None: every file on the general path. ``contract``: the digest the audit rows record."""
    quarantine = f"{QUARANTINE_SCHEMA}.{table.name}"
    day_list = ", ".join(f"date '{d}'" for d in days) or "null"
    misnamed = [c.file for c in checked if c.file.export_date is None]
    readable = [c for c in checked if c.fault is None and not c.empty]
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {RAW_SCHEMA}.{table.name} where _export_date in ({day_list})")
        con.execute(f"delete from {quarantine} where _export_date in ({day_list})")
        if misnamed:
            names = ", ".join(quote_literal(f.relative_path) for f in misnamed)
            con.execute(f"delete from {quarantine} where _source_file in ({names})")
        forget_loads(con, table.name, days, [f.relative_path for f in misnamed])
        future = [c.file.relative_path for c in checked if c.fault and c.fault[0] == FILE_DATE_IN_FUTURE]
        recorded = [
            name
            for (name,) in con.execute(
                f"select distinct _source_file from {quarantine} where rule = ?", [FILE_DATE_IN_FUTURE]
            ).fetchall()
        ]
        forget_files_of_no_day(con, table.name, sorted({*future, *recorded}))
        con.execute(f"delete from {quarantine} where rule = ?", [FILE_DATE_IN_FUTURE])
        results = dict(results)
        if fast_batch_bytes is not None:
            results.update(_insert_clean_files(con, table, readable, loaded_at, fast_batch_bytes))
        rest = [c for c in readable if c.file_id not in results]
        results.update(_judge_and_copy(con, table, rest, scratch, loaded_at, batch_bytes))
        con.execute(f"insert into {QUARANTINE_SCHEMA}.{table.name} select * from {scratch.quarantine}")
        record_loads(con, table.name, _audit_rows(days, checked, results), loaded_at, contract)
        con.execute("commit")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a failed rollback must not hide the error (nothing was committed)
            con.execute("rollback")
        raise
    return results


def load_days(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    exports_dir: Path,
    days: list[dt.date],
    loaded_at: dt.datetime,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    fast: bool = True,
    fast_batch_bytes: int = DEFAULT_FAST_BATCH_BYTES,
    today: dt.date | None = None,
    keep_unchanged: bool = True,
) -> LoadResult:
    """Replace the rows of ``days`` in ``raw.<table>`` with what the export files hold.

    A day whose file is byte for byte the one of its latest load, under the
    same contract, is kept as it is (``keep_unchanged``; see
    :mod:`~dagster_project.loading.unchanged_days`): its rows keep their
    ``_loaded_at`` and its file's result says ``kept_from``.

    Also (re)quarantines the table's files of no day: misnamed files
    (``file_name_not_a_date``) and files dated after ``today``
    (``file_date_in_future``; default today: the UTC day now), which are not
    read. Days after ``today`` are left out of ``days``: they cannot have an
    export yet. On any error nothing is changed. ``fast=False`` judges every
    file on the general path (the fast path's reference; same rows, lines
    and quarantine). ``batch_bytes`` and ``fast_batch_bytes`` size the
    batches of the general and the fast path.
    """
    today = today or utc_today()
    loaded_at_sql = f"timestamp '{loaded_at.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    days = sorted(d for d in days if d <= today)
    asked = days
    _check_exports_dir(exports_dir)
    for statement in (*create_schemas_sql(table), *AUDIT_DDL):
        con.execute(statement)
    dated = [f for day in days if (f := dated_file(exports_dir, table, day)) is not None]
    of_no_day = [f for f in table_files(exports_dir, table) if f.export_date is None or f.dated_after(today)]
    files = dated + of_no_day
    scratch = Scratch.of(table)
    con.execute(f"drop schema if exists {scratch.schema} cascade")
    con.execute(f"create schema {scratch.schema}")
    try:
        con.execute(f"create table {scratch.quarantine} as select * from {QUARANTINE_SCHEMA}.{table.name} limit 0")
        every_file = [_check_file(table, file, file_id, today) for file_id, file in enumerate(files)]
        contract = contract_sha256(table)
        kept = unchanged_days(con, table, days, every_file, contract) if keep_unchanged else {}
        checked = [c for c in every_file if c.day not in kept]
        results: dict[int, FileResult] = {c.file_id: r for c in every_file if (r := kept.get(c.day)) is not None}
        for c in checked:
            if c.fault is not None:
                results[c.file_id] = quarantine_whole_file(con, table, c, scratch, loaded_at_sql)
            elif c.empty:
                results[c.file_id] = FileResult(c.file.relative_path)
        days = [d for d in days if d not in kept]
        try:
            results = _replace(
                con,
                table,
                days,
                checked,
                results,
                scratch,
                loaded_at_sql,
                batch_bytes,
                fast_batch_bytes if fast else None,
                contract,
            )
        except duckdb.Error:
            if not fast:
                raise
            # the fast read failed as a whole (rolled back): the general path names the file or loads it
            results = _replace(con, table, days, checked, results, scratch, loaded_at_sql, batch_bytes, None, contract)
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # dropping the scratch schema must not hide the error
            con.execute(f"drop schema if exists {scratch.schema} cascade")
        raise
    con.execute(f"drop schema if exists {scratch.schema} cascade")
    return LoadResult(table.name, asked, [results[c.file_id] for c in every_file])


def _audit_rows(days: list[dt.date], checked: Sequence[CheckedFile], results: dict[int, FileResult]) -> list[AuditRow]:
    by_day = {c.day: c for c in checked if c.day is not None}
    rows = [_audit_row(day, by_day.get(day), results) for day in days]
    rows += [_audit_row(None, c, results) for c in checked if c.day is None]
    return rows


def _audit_row(day: dt.date | None, checked: CheckedFile | None, results: dict[int, FileResult]) -> AuditRow:
    if checked is None:
        return AuditRow(day, None, 0, 0, 0, None)
    file = results[checked.file_id]
    sha = None if checked.shape is None else checked.shape.sha256
    return AuditRow(day, file.source_file, file.data_records, file.loaded, sum(file.quarantined.values()), sha)


def connect(duckdb_path: Path) -> duckdb.DuckDBPyConnection:
    """The writer's connection to the warehouse file (UTC session, the configured memory limit)."""
    from dagster_project.settings import settings

    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(duckdb_path), config=settings().duckdb_config())
    try:
        con.execute("set TimeZone = 'UTC'")
    except BaseException:
        con.close()
        raise
    return con
