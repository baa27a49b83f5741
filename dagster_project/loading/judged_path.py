"""The general path: judge records into a scratch schema, rule by rule, line by line.

Every file the fast path (``fast_path``) cannot take goes here: a file with
a whole-file fault (its name, its encoding, its header) has each data line
quarantined under that rule; the others are read and judged in batches of
files sharing a CSV header, a few SQL statements per batch, plus a pass of
Python's csv reader over each CSV file that is not one record per line
(``physical_lines``, ``csv_records`` / ``jsonl_records``, ``rules``). Every
record goes to ``<scratch>.judged_records`` with its physical line, raw text
(for the quarantined ones) and every rule it breaks; each batch's temporary
tables are dropped as soon as it is done, so memory follows the batch, not
the number of files.

The loader runs this on a connection of its own, outside its replace
transaction (temporary tables made inside a transaction are kept until it
ends), and copies the judged rows into ``raw`` and ``quarantine`` from there.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import duckdb

from dagster_project.contract import Table
from dagster_project.loading.csv_records import load_csv_records
from dagster_project.loading.export_files import ExportFile
from dagster_project.loading.jsonl_records import load_jsonl_records
from dagster_project.loading.physical_lines import FileShape, load_lines
from dagster_project.loading.rules import failures_sql, helper_names, helpers_sql, quote_literal

_BATCH_TEMP_TABLES = ("_lines", "_csv_good", "_csv_records", "_csv_rejects", "_csv_scans", "_rejects", "_records")


class UnreadableExportFile(RuntimeError):
    """An export file that cannot be opened or read at all."""


@dataclass
class FileResult:
    source_file: str
    loaded: int = 0
    quarantined: Counter = field(default_factory=Counter)  # rule -> rows
    data_records: int = 0  # records the reader found in the file (a whole-file fault: its data lines)
    kept_from: dt.datetime | None = None  # an unchanged day's file, kept as loaded then (unchanged_days.py)


@dataclass(frozen=True)
class Scratch:
    """Where the judge phase puts its rows until the replace transaction."""

    schema: str
    judged: str  # every record of the well-formed files with the rules it breaks
    quarantine: str  # the records of the files quarantined whole

    @classmethod
    def of(cls, table: Table) -> Scratch:
        schema = f"_loading_{table.name}"
        return cls(schema, f"{schema}.judged_records", f"{schema}.whole_file_quarantine")


@dataclass(frozen=True)
class CheckedFile:
    """A file with what its own checks found: a whole-file fault, nothing to read, or a CSV header.

    ``shape`` is None for a file that was not read: one dated in the future, which belongs to no day
    (``day`` None) and is recorded once."""

    file_id: int
    file: ExportFile
    size: int
    shape: FileShape | None
    fault: tuple[str, str] | None = None  # (rule, detail)
    empty: bool = False
    header: tuple[str, ...] | None = None

    @property
    def day(self) -> dt.date | None:
        """The export day the file loads into: None for a file of no day (misnamed, or dated in the future)."""
        return None if self.shape is None else self.file.export_date


def read_lines_of(con: duckdb.DuckDBPyConnection, files: Sequence[CheckedFile], utf8: bool) -> None:
    contents: list[tuple[int, str | bytes]] = []
    for checked in files:
        try:
            data = checked.file.path.read_bytes()
        except OSError as exc:
            relative = checked.file.relative_path
            raise UnreadableExportFile(f"{relative}: cannot read export file: {exc.strerror or exc}") from exc
        contents.append((checked.file_id, data.decode("utf-8") if utf8 else data))
    load_lines(con, contents)


def quarantine_whole_file(
    con: duckdb.DuckDBPyConnection, table: Table, checked: CheckedFile, scratch: Scratch, loaded_at: str
) -> FileResult:
    """Quarantine every data line of the file under its file-level rule (the file once when it has none).

    A file that was not read (``checked.shape`` None: dated in the future) is recorded once."""
    rule, detail = checked.fault
    file = checked.file
    export_date = f"date '{checked.day}'" if checked.day else "null::date"
    common = f"{export_date}, {quote_literal(file.relative_path)}"
    if checked.shape is None:
        con.execute(
            f"insert into {scratch.quarantine} values "
            f"({common}, null, {quote_literal(rule)}, {quote_literal(detail)}, null, {loaded_at})"
        )
        return FileResult(file.relative_path, quarantined=Counter({rule: 1}))
    first_data_line = 2 if table.file_format == "csv" else 1
    try:
        read_lines_of(con, [checked], checked.shape.utf8)
        con.execute(
            f"""
            insert into {scratch.quarantine}
            select {common}, line_no, {quote_literal(rule)}, {quote_literal(detail)}, rtrim(text, chr(13)),
                   {loaded_at}
            from _lines where not blank and line_no >= {first_data_line}
            """
        )
        count = con.execute(
            "select count(*) from _lines where not blank and line_no >= ?", [first_data_line]
        ).fetchone()[0]
    finally:
        con.execute("drop table if exists _lines")  # the file's text: not kept on the writer's connection
    if count == 0:
        con.execute(
            f"insert into {scratch.quarantine} values "
            f"({common}, null, {quote_literal(rule)}, {quote_literal(detail + ' (file has no data lines)')}, null, {loaded_at})"
        )
        return FileResult(file.relative_path, quarantined=Counter({rule: 1}))
    return FileResult(file.relative_path, quarantined=Counter({rule: count}), data_records=count)


def _files_sql(files: Sequence[CheckedFile]) -> str:
    rows = ", ".join(
        f"({f.file_id}, date '{f.file.export_date}', {quote_literal(f.file.relative_path)}, {f.shape.cut_line or 'null'}::bigint)"
        for f in files
    )
    return f"(values {rows}) as files(_file_id, _export_date, _source_file, _cut_line)"


def judge_batch(
    con: duckdb.DuckDBPyConnection, table: Table, files: Sequence[CheckedFile], scratch: Scratch, first: bool
) -> None:
    """Read and judge a batch of well-formed files (one CSV header) into ``scratch.judged``: few statements in all."""
    by_id = {f.file_id: f for f in files}
    if table.file_format == "csv":
        load_csv_records(con, [(f.file_id, f.file.path, f.shape) for f in files], table, list(files[0].header))
    else:
        read_lines_of(con, files, utf8=True)
        load_jsonl_records(con, table)
    judged = f"""
        with records as (
            select r.*, files._export_date, files._source_file, files._cut_line,
                   count(*) over (partition by r._file_id, r.{table.key}) as _key_count
            from _records r
            join {_files_sql(files)} on files._file_id = r._file_id
        ),
        helped as (
            select *, {", ".join(helpers_sql(table))} from records
        ),
        judged as (
            select * exclude ({", ".join(helper_names(table))}), {failures_sql(table, table.file_format)} as _failures
            from helped
        )
        select *,
            case when _cut_line between _line and _end_line
                 then ['truncated_last_line: line ' || _cut_line || ' has no line terminator'] || _failures
                 else _failures end as _all_failures
        from judged
    """
    con.execute(f"create table {scratch.judged} as {judged}" if first else f"insert into {scratch.judged} {judged}")
    # CSV records have no raw text yet: read the lines of those that are quarantined
    ids = ", ".join(map(str, by_id))
    missing = [
        r[0]
        for r in con.execute(
            f"select distinct _file_id from {scratch.judged} "
            f"where _file_id in ({ids}) and _raw is null and len(_all_failures) > 0"
        ).fetchall()
    ]
    if missing:
        read_lines_of(con, [by_id[i] for i in missing], utf8=True)
        con.execute(
            f"""
            update {scratch.judged} as j set _raw = r.text
            from (
                select j._file_id, j._line, string_agg(l.text, chr(10) order by l.line_no) as text
                from {scratch.judged} j join _lines l on l._file_id = j._file_id and l.line_no between j._line and j._end_line
                where j._raw is null and len(j._all_failures) > 0
                group by all
            ) as r
            where r._file_id = j._file_id and r._line = j._line and j._raw is null
            """
        )
    for name in _BATCH_TEMP_TABLES:
        con.execute(f"drop table if exists {name}")


def judged_results(
    con: duckdb.DuckDBPyConnection, scratch: Scratch, files: Sequence[CheckedFile]
) -> dict[int, FileResult]:
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


def batches(files: Sequence[CheckedFile], batch_bytes: int) -> Iterator[list[CheckedFile]]:
    """Consecutive files of one CSV header, up to ``batch_bytes`` (at least one file) each."""
    batch: list[CheckedFile] = []
    size = 0
    for checked in files:
        if batch and (size + checked.size > batch_bytes or checked.header != batch[0].header):
            yield batch
            batch, size = [], 0
        batch.append(checked)
        size += checked.size
    if batch:
        yield batch
