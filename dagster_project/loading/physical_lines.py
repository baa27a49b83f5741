"""Physical lines: one streamed pass over a file's bytes (``scan_file``), and a batch of files split
into lines as one DuckDB temp table (``load_lines``).

``_lines(_file_id, line_no, text, blank)``: ``_file_id`` is the caller's
number for the file, ``line_no`` counts from 1 in each file, a UTF-8
byte-order mark is removed from line 1, a trailing carriage return is kept
in ``text`` but ignored by ``blank``. For a file that is not UTF-8 the lines
come from its bytes, non-ASCII bytes shown as ``\\xNN`` (DuckDB's text of a
blob) so the raw text can still be kept in quarantine.

The caller reads the files' bytes (Python): DuckDB's own readers
(``read_text``, ``read_blob``) cannot open a file whose name is not valid
UTF-8. One statement splits every file of the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class FileShape:
    """What one streamed pass over a file's bytes tells: encoding, physical lines, a cut-off end."""

    utf8: bool
    lines: int  # physical lines as ``_lines`` numbers them (the text after the last newline counts)
    cut_line: int | None  # the last line when it has content but no terminator
    sha256: str  # of the file's bytes: tells an unchanged re-delivery from a new one (loader.py)

    @property
    def data_lines(self) -> int:
        """Physical lines after a header line, not counting the empty text after a final newline."""
        return self.lines - 1 - (self.cut_line is None)


def scan_file(path: Path) -> FileShape:
    """Decode the whole file as UTF-8, count its lines and hash its bytes in one pass (streamed, constant memory)."""
    import codecs
    import hashlib

    decoder = codecs.getincrementaldecoder("utf-8")()
    digest = hashlib.sha256()
    utf8, newlines, tail = True, 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
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
    return FileShape(utf8, newlines + 1, newlines + 1 if has_content else None, digest.hexdigest())


def load_lines(con: duckdb.DuckDBPyConnection, contents: Sequence[tuple[int, str | bytes]]) -> None:
    """Fill temp table ``_lines`` from ``(_file_id, content)`` pairs: all text (UTF-8 files) or all bytes."""
    utf8 = all(isinstance(content, str) for _, content in contents)
    content, newline = ("content", "chr(10)") if utf8 else ("cast(content as varchar)", r"'\x0A'")
    con.execute(
        f"""
        create or replace temp table _lines as
        with parts as (
            select _file_id, string_split({content}, {newline}) as texts
            from (select unnest($ids) as _file_id, unnest($contents) as content)
        ),
        numbered as (
            select _file_id, unnest(range(1, len(texts) + 1)) as line_no, unnest(texts) as text from parts
        )
        select
            _file_id,
            line_no,
            case when line_no = 1 then ltrim(text, chr(65279)) else text end as text,
            trim(text, ' ' || chr(9) || chr(13) || chr(65279)) = '' as blank
        from numbered
        """,
        {"ids": [file_id for file_id, _ in contents], "contents": [content for _, content in contents]},
    )
