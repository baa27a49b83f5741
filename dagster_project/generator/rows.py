"""``Rows``: a light table (column name -> numpy array, one length) used throughout the generator.

Pandas costs tens to hundreds of microseconds per call, which adds up over
hundreds of small daily batches; plain numpy columns cost almost nothing to
take, slice, assign or concatenate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np


class Rows(dict):
    """Column name -> 1-D numpy array; scalars given at construction are broadcast."""

    def __init__(self, columns: Mapping[str, object] | None = None, n: int | None = None) -> None:
        super().__init__()
        columns = {} if columns is None else columns
        if n is None:
            n = next((len(v) for v in columns.values() if np.ndim(v) == 1), 0)
        for name, values in columns.items():
            self[name] = np.full(n, values) if np.ndim(values) == 0 else np.asarray(values)

    def __len__(self) -> int:  # number of rows, not of columns
        return len(next(iter(self.values()))) if dict.__len__(self) else 0

    @property
    def empty(self) -> bool:
        return len(self) == 0

    @property
    def columns(self) -> list[str]:
        return list(self.keys())

    @classmethod
    def _wrap(cls, columns: dict[str, np.ndarray]) -> Rows:
        """Wrap arrays already known to be numpy arrays of one length (no checks, no copies)."""
        out = cls.__new__(cls)
        dict.update(out, columns)
        return out

    def take(self, idx: np.ndarray | slice) -> Rows:
        """Rows at positions / boolean mask / slice ``idx``."""
        return Rows._wrap({c: v[idx] for c, v in self.items()})

    def assign(self, **columns: object) -> Rows:
        """A copy with some columns replaced or added (scalars broadcast)."""
        out = Rows._wrap(dict(self))
        for name, values in columns.items():
            out[name] = np.full(len(self), values) if np.ndim(values) == 0 else np.asarray(values)
        return out

    def drop(self, *names: str) -> Rows:
        return Rows({c: v for c, v in self.items() if c not in names})

    def sort_by(self, column: str) -> Rows:
        return self.take(np.argsort(self[column], kind="stable"))

    @staticmethod
    def concat(parts: Iterable[Rows]) -> Rows:
        given = [p for p in parts if p is not None]
        parts = [p for p in given if not p.empty]
        if not parts:
            return given[0] if given else Rows()
        if len(parts) == 1:
            return parts[0]
        return Rows._wrap({c: np.concatenate([p[c] for p in parts]) for c in parts[0]})
