"""Vectorised text building: character matrices and pyarrow string kernels."""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def fixed_width_strings(mat: np.ndarray, null: np.ndarray | None = None) -> pa.StringArray:
    """One string per row of an ``n x w`` uint8 matrix (every row ``w`` bytes); ``null`` rows are null."""
    n, w = mat.shape
    offsets = np.arange(n + 1, dtype=np.int32) * w
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(mat).reshape(-1))]
    null_count = 0
    if null is not None and null.any():
        buffers[0] = pa.py_buffer(np.packbits(~null, bitorder="little"))
        null_count = int(null.sum())
    return pa.Array.from_buffers(pa.string(), n, buffers, null_count=null_count)


def pick(options: tuple[str, ...] | list[str], codes: np.ndarray) -> pa.StringArray:
    """``options[code]`` for each code; a negative code gives null."""
    codes = np.asarray(codes)
    table = pa.array(list(options), type=pa.string())
    return pc.take(table, pa.array(codes.astype(np.int64), mask=codes < 0))


@functools.cache
def digit_table(width: int) -> np.ndarray:
    """Row v holds the ``width`` ASCII digits of v, zero padded (a ``10**width x width`` uint8 table)."""
    v = np.arange(10**width, dtype=np.int64)
    cols = [48 + (v // 10**k) % 10 for k in range(width - 1, -1, -1)]
    return np.stack(cols, axis=1).astype(np.uint8)


@functools.cache
def _digit_cells(width: int) -> np.ndarray:
    """``digit_table(width)`` with each row as one ``V{width}`` cell (for fast gathers)."""
    return np.ascontiguousarray(digit_table(width)).view(f"V{width}").reshape(-1)


def zero_padded_digits(values: np.ndarray, width: int, prefix: bytes = b"") -> np.ndarray:
    """``n x (len(prefix) + width)`` ASCII bytes: ``prefix`` then ``values`` (< 10**width) zero padded."""
    groups = [3] * (width // 3)
    if width % 3:
        groups.insert(0, width % 3)
    fields = ([("prefix", f"V{len(prefix)}")] if prefix else []) + [(f"g{i}", f"V{g}") for i, g in enumerate(groups)]
    out = np.empty(values.size, dtype=fields)
    if prefix:
        out["prefix"] = np.frombuffer(prefix, dtype=f"V{len(prefix)}")[0]
    v = values.astype(np.int64)
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        out[f"g{i}"] = _digit_cells(g)[v % 10**g]
        v = v // 10**g
    return out.view(np.uint8).reshape(values.size, len(prefix) + width)


def prefixed_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.StringArray:
    """Readable ids such as ``u_0000123``; a negative number gives null."""
    numbers = np.asarray(numbers, dtype=np.int64)
    null = numbers < 0
    if numbers.size == 0 or numbers.max() >= 10**width:  # wider than the usual width: general path
        digits = pc.utf8_lpad(pc.cast(pa.array(numbers, mask=null), pa.string()), width, "0")
        return pc.binary_join_element_wise(prefix, digits, "")
    return fixed_width_strings(zero_padded_digits(np.where(null, 0, numbers), width, prefix.encode()), null)


def integers(values: np.ndarray, null: np.ndarray | None = None) -> pa.StringArray:
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64), mask=null), pa.string())


def join(*parts: pa.Array | str, sep: str = "", skip_nulls: bool = False) -> pa.StringArray:
    """Concatenate string arrays element-wise (null parts make a null unless ``skip_nulls``)."""
    handling = "skip" if skip_nulls else "emit_null"
    return pc.binary_join_element_wise(*parts, sep, null_handling=handling)


def where(mask: np.ndarray, a: pa.Array | str | None, b: pa.Array | str | None) -> pa.StringArray:
    a = pa.scalar(a, pa.string()) if a is None or isinstance(a, str) else a
    b = pa.scalar(b, pa.string()) if b is None or isinstance(b, str) else b
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), a, b)
