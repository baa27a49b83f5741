"""Vectorised text building: character matrices and pyarrow string kernels."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def compact_chars(mat: np.ndarray, valid: np.ndarray, null: np.ndarray | None = None) -> pa.StringArray:
    """Build a string array from an ``n x w`` uint8 matrix, keeping the ``valid`` cells of each row."""
    n = mat.shape[0]
    if null is not None and null.any():
        valid = valid & ~null[:, None]
    offsets = np.zeros(n + 1, dtype=np.int32)
    data = np.ascontiguousarray(mat[valid])
    np.cumsum(valid.sum(axis=1), out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    if null is not None and null.any():
        buffers[0] = pa.py_buffer(np.packbits(~null, bitorder="little"))
        return pa.Array.from_buffers(pa.string(), n, buffers, null_count=int(null.sum()))
    return pa.Array.from_buffers(pa.string(), n, buffers, null_count=0)


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


def prefixed_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.StringArray:
    """Readable ids such as ``u_0000123``; a negative number gives null."""
    numbers = np.asarray(numbers, dtype=np.int64)
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, mask=numbers < 0), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


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
