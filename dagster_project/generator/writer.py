"""Serialise rendered columns to the contract's file formats and write them.

Input: one pyarrow array per contract column, typed by the column's kind
(``integer`` -> int64, ``boolean`` -> bool, everything else -> string, with
``decimal``, ``number`` and ``string_list`` already holding their exact text).
Output: CSV (RFC 4180 quoting, ``true``/``false``, empty = null, ``\\n``) or JSON
Lines (every field present, ``null`` for null). Lines are assembled with
pyarrow kernels and written from the array's data buffer: no per-row Python.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.contract import Column, Table

_CSV_SPECIAL = r'[",\r\n]'


def _as_text(column: Column, values: pa.Array) -> pa.Array:
    """The column's values as text, before any quoting (nulls stay null)."""
    if column.kind == "integer":
        return pc.cast(values, pa.string())
    if column.kind == "boolean":
        return pc.if_else(values, "true", "false")
    return values


def csv_cell(column: Column, values: pa.Array) -> pa.Array:
    text = _as_text(column, values)
    if column.kind != "string":
        return text
    needs_quotes = pc.or_(pc.match_substring_regex(text, _CSV_SPECIAL), pc.equal(pc.utf8_length(text), 0))
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(needs_quotes, quoted, text)


def json_value(column: Column, values: pa.Array) -> pa.Array:
    text = _as_text(column, values)
    if column.kind == "string":
        for raw, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
            text = pc.replace_substring(text, raw, escaped)
        text = pc.binary_join_element_wise('"', text, '"', "")
    elif column.kind == "timestamp":
        text = pc.binary_join_element_wise('"', text, '"', "")
    return pc.fill_null(text, "null")


def _with_newlines(lines: pa.Array) -> bytes:
    """All lines, each followed by ``\\n``, as one bytes object."""
    if len(lines) == 0:
        return b""
    terminated = pc.binary_join_element_wise(lines, "", "\n")
    if isinstance(terminated, pa.ChunkedArray):
        terminated = terminated.combine_chunks()
    _, offsets_buf, data_buf = terminated.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)
    first, last = offsets[terminated.offset], offsets[terminated.offset + len(terminated)]
    return data_buf.to_pybytes()[first:last]


def csv_bytes(table: Table, columns: dict[str, pa.Array]) -> bytes:
    header = (",".join(table.column_names) + "\n").encode()
    cells = [csv_cell(c, columns[c.name]) for c in table.columns]
    if not cells or len(cells[0]) == 0:
        return header
    lines = pc.binary_join_element_wise(*cells, ",", null_handling="replace", null_replacement="")
    return header + _with_newlines(lines)


def jsonl_bytes(table: Table, columns: dict[str, pa.Array]) -> bytes:
    parts: list[pa.Array | str] = []
    for i, column in enumerate(table.columns):
        parts.append(("{" if i == 0 else ",") + f'"{column.name}":')
        parts.append(json_value(column, columns[column.name]))
    if len(parts[1]) == 0:
        return b""
    lines = pc.binary_join_element_wise(*parts, "}", "")
    return _with_newlines(lines)


def export_path(out_dir: Path, table: Table, day: dt.date) -> Path:
    return out_dir / table.system / table.name / f"{day.isoformat()}.{table.file_format}"


def write_export(out_dir: Path, table: Table, day: dt.date, columns: dict[str, pa.Array]) -> Path:
    """Write one table's file for one export day (header-only / empty when there are no rows)."""
    missing = [c for c in table.column_names if c not in columns]
    extra = [c for c in columns if c not in table.column_names]
    if missing or extra:
        raise ValueError(f"{table.name}: rendered columns do not match the contract (missing {missing}, extra {extra})")
    body = csv_bytes(table, columns) if table.file_format == "csv" else jsonl_bytes(table, columns)
    path = export_path(out_dir, table, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return path
