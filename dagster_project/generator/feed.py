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
import pandas as pd

LATE_SHARE = 0.005  # share of non-first versions exported late (back-dated corrections)
MAX_LATE_DAYS = 3


def collapse_to_day_end(versions: pd.DataFrame, key: str) -> pd.DataFrame:
    """Keep the last version of each key on each export day, ordered by (key, updated_at)."""
    if versions.empty:
        return versions
    order = np.lexsort((np.arange(len(versions)), versions["updated_at"].to_numpy(), versions[key].to_numpy()))
    v = versions.iloc[order].reset_index(drop=True)
    keys = v[key].to_numpy()
    days = v["_day"].to_numpy()
    last_of_day = np.ones(len(v), dtype=bool)
    last_of_day[:-1] = (keys[1:] != keys[:-1]) | (days[1:] != days[:-1])
    return v[last_of_day].reset_index(drop=True)


def delay_some(versions: pd.DataFrame, key: str, rng: np.random.Generator) -> pd.DataFrame:
    """Export a few non-first versions 1-3 days late; input must come from ``collapse_to_day_end``."""
    n = len(versions)
    if n == 0:
        return versions
    keys = versions[key].to_numpy()
    days = versions["_day"].to_numpy().copy()
    first = np.ones(n, dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    next_day = np.full(n, np.iinfo(np.int64).max)
    same_next = np.zeros(n, dtype=bool)
    same_next[:-1] = keys[:-1] == keys[1:]
    next_day[:-1] = np.where(same_next[:-1], days[1:], next_day[:-1])
    lag = rng.integers(1, MAX_LATE_DAYS + 1, n)
    late = (rng.random(n) < LATE_SHARE) & ~first & (days + lag < next_day)
    days[late] += lag[late]
    out = versions.copy()
    out["_day"] = days
    return out


def finalize(versions: pd.DataFrame, key: str, rng: np.random.Generator, n_days: int) -> pd.DataFrame:
    """Collapse to end-of-day rows, delay a few, and drop rows exported after the last day."""
    v = delay_some(collapse_to_day_end(versions, key), key, rng)
    return v[v["_day"] < n_days]


class VersionBuffer:
    """Finalised rows waiting for their export day, per table."""

    def __init__(self) -> None:
        self._pending: dict[str, dict[int, list[pd.DataFrame]]] = defaultdict(lambda: defaultdict(list))

    def add(self, table: str, rows: pd.DataFrame) -> None:
        if rows.empty:
            return
        days = rows["_day"].to_numpy()
        order = np.argsort(days, kind="stable")
        sorted_days = days[order]
        cuts = np.flatnonzero(np.diff(sorted_days)) + 1
        for chunk in np.split(order, cuts):
            self._pending[table][int(days[chunk[0]])].append(rows.iloc[chunk])

    def pop(self, table: str, day: int) -> pd.DataFrame | None:
        frames = self._pending[table].pop(day, [])
        if not frames:
            return None
        return pd.concat(frames, ignore_index=True)
