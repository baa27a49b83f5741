"""The physical lines of a batch of files as one DuckDB temp table, split in SQL.

``_lines(_file_id, line_no, text, blank, unterminated)``: ``_file_id`` is the
caller's number for the file, ``line_no`` counts from 1 in each file, a UTF-8
byte-order mark is removed from line 1, a trailing carriage return is kept
in ``text`` but ignored by ``blank``. ``unterminated`` marks a last line that
has content but no line terminator (a cut-off file). For a file that is not
UTF-8 the lines come from its bytes, non-ASCII bytes shown as ``\\xNN`` so
the raw text can still be kept in quarantine.

One statement reads every file of the batch (``read_text`` of a list), so
the cost per file is a row, not a query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.loading.rules import quote_literal


@dataclass(frozen=True)
class FileShape:
    """What one streamed pass over a file's bytes tells: encoding, physical lines, a cut-off end."""

    utf8: bool
    lines: int  # physical lines as ``_lines`` numbers them (the text after the last newline counts)
    cut_line: int | None  # the last line when it has content but no terminator

    @property
    def data_lines(self) -> int:
        """Physical lines after a header line, not counting the empty text after a final newline."""
        return self.lines - 1 - (self.cut_line is None)


def scan_file(path: Path) -> FileShape:
    """Decode the whole file as UTF-8 and count its lines in one pass (streamed, constant memory)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, newlines, tail = True, 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            newlines += chunk.count(b"\n")
            last = chunk.rfind(b"\n")
            tail = chunk[last + 1 :] if last >= 0 else tail + chunk
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    has_content = tail.decode("utf-8", errors="replace").strip(" \t\r") != ""
    return FileShape(utf8, newlines + 1, newlines + 1 if has_content else None)


def file_ids_sql(files: Sequence[tuple[int, Path]]) -> str:
    """A ``(path, _file_id)`` VALUES list to join a multi-file read back to the caller's numbers."""
    return (
        "(values "
        + ", ".join(f"({quote_literal(str(path))}, {file_id})" for file_id, path in files)
        + ") as f(path, _file_id)"
    )


def paths_sql(files: Sequence[tuple[int, Path]]) -> str:
    return "[" + ", ".join(quote_literal(str(path)) for _, path in files) + "]"


def load_lines(con: duckdb.DuckDBPyConnection, files: Sequence[tuple[int, Path]], utf8: bool) -> None:
    """Fill temp table ``_lines`` from ``files`` (``(_file_id, path)`` pairs, all UTF-8 or all not)."""
    if utf8:
        content = f"select filename, content from read_text({paths_sql(files)})"
        newline = "chr(10)"
    else:
        content = f"select filename, cast(content as varchar) as content from read_blob({paths_sql(files)})"
        newline = r"'\x0A'"
    con.execute(
        f"""
        create or replace temp table _lines as
        with parts as (
            select f._file_id, string_split(c.content, {newline}) as texts
            from ({content}) as c join {file_ids_sql(files)} on f.path = c.filename
        ),
        numbered as (
            select _file_id, unnest(range(1, len(texts) + 1)) as line_no, unnest(texts) as text, len(texts) as n
            from parts
        )
        select
            _file_id,
            line_no,
            case when line_no = 1 then ltrim(text, chr(65279)) else text end as text,
            trim(text, ' ' || chr(9) || chr(13) || chr(65279)) = '' as blank,
            line_no = n and trim(text, ' ' || chr(9) || chr(13)) <> '' as unterminated
        from numbered
        """
    )
