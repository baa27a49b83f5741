"""Change-feed mechanics: from a record's versions to the rows of daily files.

Each simulation step returns *versions*: one row per change of a record, with
every column holding the record's state right after the change, ``updated_at``
the instant of the change and ``_day`` its export day (day index from the
start). This module:

1. collapses them to end-of-day state (one row per key per export day: the
   last version of that day);
2. turns a small share of later versions into late arrivals (back-dated
   corrections): the row is exported 1-3 days after its ``updated_at`` day, but
   only when the record has no other version before that later file, so a
   record's versions still appear in files in ``updated_at`` order;
3. buffers versions until their export day.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from dagster_project.generator.rows import Rows

LATE_SHARE = 0.01  # share of non-first versions exported late (about 0.5 % of all rows)
MAX_LATE_DAYS = 3


def _day_end_rows(keys: np.ndarray, updated: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Row positions of the last version of each key on each export day, ordered by (key, updated_at)."""
    order = np.lexsort((np.arange(keys.size), updated, keys))
    k, d = keys[order], days[order]
    last_of_day = np.ones(order.size, dtype=bool)
    last_of_day[:-1] = (k[1:] != k[:-1]) | (d[1:] != d[:-1])
    return order[last_of_day]


def _late_days(keys: np.ndarray, days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Export days after delaying a few non-first versions by 1-3 days (input sorted by key, then time).

    A version is only delayed to a day before the key's next version, so each key's versions still
    reach the files in ``updated_at`` order and never two in one file.
    """
    n = keys.size
    same_as_next = np.zeros(n, dtype=bool)
    same_as_next[:-1] = keys[:-1] == keys[1:]
    first = np.ones(n, dtype=bool)
    first[1:] = ~same_as_next[:-1]
    next_day = np.full(n, np.iinfo(np.int64).max)
    next_day[:-1] = np.where(same_as_next[:-1], days[1:], next_day[:-1])
    lag = rng.integers(1, MAX_LATE_DAYS + 1, n)
    late = (rng.random(n) < LATE_SHARE) & ~first & (days + lag < next_day)
    return np.where(late, days + lag, days)


def finalize(cols: Rows, key: str, rng: np.random.Generator, n_days: int) -> Rows:
    """End-of-day rows to export: collapse per key and day, delay a few, drop those after the last day."""
    if cols.empty:
        return cols
    keys = cols[key]
    rows = _day_end_rows(keys, cols["updated_at"], cols["_day"])
    days = _late_days(keys[rows], cols["_day"][rows], rng)
    kept = days < n_days
    out = cols.take(rows[kept])
    out["_day"] = days[kept]
    return out


class DayStore:
    """Rows filed under a day each, read back by day range; parts are kept sorted by day and sliced."""

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, Rows]] = []

    def add(self, frame: Rows, days: np.ndarray) -> None:
        if len(frame) == 0:
            return
        days = np.asarray(days, dtype=np.int64)
        if np.any(days[1:] < days[:-1]):
            order = np.argsort(days, kind="stable")
            frame, days = frame.take(order), days[order]
        self._parts.append((days, frame))

    def rows(self, first_day: int, last_day: int) -> Rows | None:
        """All rows filed under ``first_day .. last_day`` (in the order they were added)."""
        pieces = []
        for days, frame in self._parts:
            a, b = np.searchsorted(days, first_day, "left"), np.searchsorted(days, last_day, "right")
            if b > a:
                pieces.append(frame.take(slice(int(a), int(b))))
        return Rows.concat(pieces) if pieces else None

    def drop_before(self, day: int) -> None:
        kept = []
        for days, frame in self._parts:
            if days[-1] >= day:
                a = int(np.searchsorted(days, day, "left"))
                kept.append((days[a:], frame.take(slice(a, None))) if a else (days, frame))
        self._parts = kept


class VersionBuffer:
    """Finalised rows waiting for their export day, per table."""

    def __init__(self) -> None:
        self._stores: dict[str, DayStore] = defaultdict(DayStore)

    def add(self, table: str, rows: Rows) -> None:
        self._stores[table].add(rows, rows["_day"])

    def pop(self, table: str, day: int) -> Rows | None:
        store = self._stores[table]
        rows = store.rows(day, day)
        store.drop_before(day + 1)
        return rows
