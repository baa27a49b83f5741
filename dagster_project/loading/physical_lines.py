"""A file's physical lines as a DuckDB temp table, split in SQL.

``_lines(line_no, text, blank, unterminated)``: ``line_no`` counts from 1,
a UTF-8 byte-order mark is removed from line 1, a trailing carriage return
is kept in ``text`` but ignored by ``blank``. ``unterminated`` marks a last
line that has content but no line terminator (a cut-off file). For a file
that is not UTF-8 the lines come from its bytes, non-ASCII bytes shown as
``\\xNN`` so the raw text can still be kept in quarantine.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.loading.rules import quote_literal


def is_utf8(path: Path) -> bool:
    """True when the whole file decodes as UTF-8 (streamed, constant memory)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def load_lines(con: duckdb.DuckDBPyConnection, path: Path, utf8: bool) -> int:
    """Fill temp table ``_lines`` from ``path``; return the number of physical lines."""
    source = quote_literal(str(path))
    if utf8:
        content = f"(select content from read_text({source}))"
        newline = "chr(10)"
    else:
        content = f"(select cast(content as varchar) from read_blob({source}))"
        newline = r"'\x0A'"
    con.execute(
        f"""
        create or replace temp table _lines as
        with parts as (
            select string_split({content}, {newline}) as texts
        ),
        numbered as (
            select unnest(range(1, len(texts) + 1)) as line_no, unnest(texts) as text, len(texts) as n
            from parts
        )
        select
            line_no,
            case when line_no = 1 then ltrim(text, chr(65279)) else text end as text,
            trim(text, ' ' || chr(9) || chr(13) || chr(65279)) = '' as blank,
            line_no = n and trim(text, ' ' || chr(9) || chr(13)) <> '' as unterminated
        from numbered
        """
    )
    return con.execute("select count(*) from _lines").fetchone()[0]
