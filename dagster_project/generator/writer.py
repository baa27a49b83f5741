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
_CSV_SPECIAL_BYTES = b'",\r\n'
_JSON_SPECIAL_BYTES = b'\\"\n\r\t'
_JSON_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 13))


def _contains_any(values: pa.Array, chars: bytes) -> bool:
    """Whether any value's text holds one of ``chars`` (a scan of the raw data buffer)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if len(values) == 0 or values.null_count == len(values):
        return False
    _, offsets_buf, data_buf = values.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)
    data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[values.offset] : offsets[values.offset + len(values)]]
    if len(chars) > 6:
        table = np.zeros(256, dtype=bool)
        table[np.frombuffer(chars, dtype=np.uint8)] = True
        return bool(table[data].any())
    return any(bool((data == c).any()) for c in chars)


def _has_empty(values: pa.Array) -> bool:
    return values.null_count < len(values) and pc.min(pc.binary_length(values)).as_py() == 0


def _as_text(column: Column, values: pa.Array) -> pa.Array:
    """The column's values as text, before any quoting (nulls stay null)."""
    if column.kind == "integer":
        return pc.cast(values, pa.string())
    if column.kind == "boolean":
        return pc.if_else(values, "true", "false")
    return values


def csv_cell(column: Column, values: pa.Array) -> pa.Array:
    text = _as_text(column, values)
    if column.kind != "string" or not (_contains_any(text, _CSV_SPECIAL_BYTES) or _has_empty(text)):
        return text
    needs_quotes = pc.or_(pc.match_substring_regex(text, _CSV_SPECIAL), pc.equal(pc.utf8_length(text), 0))
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(needs_quotes, quoted, text)


def json_value(column: Column, values: pa.Array) -> pa.Array:
    text = _as_text(column, values)
    if column.kind == "string" and _contains_any(text, _JSON_CONTROL_BYTES):
        raise ValueError(f"{column.name}: control characters other than \\n, \\r, \\t are not supported")
    if column.kind == "string" and _contains_any(text, _JSON_SPECIAL_BYTES):
        for raw, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
            text = pc.replace_substring(text, raw, escaped)
    if column.kind in ("string", "timestamp"):
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
