"""The simulation's memory between days: run parameters, users, agents, id counters, recent records.

Only what later days need is kept: per-user arrays (small numbers), the agent
roster, and short rolling windows of recent orders, reports, appeals and QA
cases. Everything else lives only in the versions waiting to be written.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dagster_project.generator import config as C
from dagster_project.generator.rand import stream
from dagster_project.generator.timestamps import DAY, date_to_us


@dataclass(frozen=True)
class Context:
    """The run's arguments and the derived clock."""

    start: dt.date
    days: int
    scale: float
    seed: int

    @property
    def start_us(self) -> int:
        return date_to_us(self.start)

    def day_start(self, day: int) -> int:
        return self.start_us + day * DAY

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def rng(self, purpose: int, day: int, sub: int = 0) -> np.random.Generator:
        return stream(self.seed, purpose, day, sub)

    def weekday_factor(self, day: int) -> float:
        return C.WEEKDAY_FACTOR[self.date(day).weekday()]

    def volume(self, per_day_at_scale_1: float, day: int) -> float:
        """Expected count on ``day``: scaled, with weekday and growth factors."""
        growth = 1.0 - C.GROWTH_PER_YEAR / 2 + C.GROWTH_PER_YEAR * min(day, 365) / 365
        return per_day_at_scale_1 * self.scale * self.weekday_factor(day) * growth


class Users:
    """Per-user arrays, indexed by user number - 1 (users are numbered in signup order)."""

    FIELDS = ("signup_at", "seller_since", "weight", "seller_weight", "risky", "category", "blocked_until")

    def __init__(self) -> None:
        self.n = 0
        self._cols: dict[str, np.ndarray] = {}

    def append(self, **cols: np.ndarray) -> np.ndarray:
        """Add users; returns their numbers."""
        count = len(cols["signup_at"])
        for name in self.FIELDS:
            values = cols.get(name, np.full(count, np.iinfo(np.int64).min, dtype=np.int64))
            old = self._cols.get(name)
            if old is None:
                self._cols[name] = np.asarray(values).copy()
            else:
                if self.n + count > old.size:
                    grown = np.empty(max(2 * old.size, self.n + count), dtype=old.dtype)
                    grown[: self.n] = old[: self.n]
                    old = self._cols[name] = grown
                old[self.n : self.n + count] = values
        numbers = np.arange(self.n + 1, self.n + count + 1, dtype=np.int64)
        self.n += count
        return numbers

    def __getattr__(self, name: str) -> np.ndarray:
        if name in Users.FIELDS:
            return self._cols[name][: self.n]
        raise AttributeError(name)

    def block(self, numbers: np.ndarray, until: np.ndarray) -> None:
        idx = numbers - 1
        np.maximum.at(self._cols["blocked_until"], idx, until)

    def buyer_weights(self, t: int) -> np.ndarray:
        """Chance weight of each user placing an order at instant ``t`` (0 before signup or when blocked)."""
        return np.where((self.signup_at < t) & (self.blocked_until < t), self.weight, 0.0)

    def seller_weights(self, t: int) -> np.ndarray:
        return np.where((self.seller_since < t) & (self.blocked_until < t), self.seller_weight, 0.0)


@dataclass
class Agents:
    """The support / trust roster (small: tens to hundreds), indexed by agent number - 1."""

    role: np.ndarray  # code into contract roles
    team0: np.ndarray  # code into TEAMS
    team1: np.ndarray  # team after ``team_change_at``
    team_change_at: np.ndarray
    site: np.ndarray
    hired_at: np.ndarray
    left_at: np.ndarray  # NEVER while active
    skill: np.ndarray  # chance that a QA rubric item is done right

    @property
    def n(self) -> int:
        return self.role.size

    def team_at(self, t: np.ndarray) -> np.ndarray:
        """Team of every agent at each instant: shape (len(t), n)."""
        return np.where(self.team_change_at[None, :] <= t[:, None], self.team1[None, :], self.team0[None, :])

    def active_at(self, t: np.ndarray) -> np.ndarray:
        return (self.hired_at[None, :] <= t[:, None]) & (self.left_at[None, :] > t[:, None])


@dataclass
class World:
    ctx: Context
    users: Users = field(default_factory=Users)
    agents: Agents | None = None
    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    recent: dict[str, dict[int, pd.DataFrame]] = field(default_factory=lambda: defaultdict(dict))

    def next_ids(self, name: str, count: int) -> np.ndarray:
        """``count`` new record numbers (1, 2, ...) for ``name``."""
        first = self.counters[name] + 1
        self.counters[name] += count
        return np.arange(first, first + count, dtype=np.int64)

    def remember(self, name: str, day: int, frame: pd.DataFrame, keep_days: int) -> None:
        """Keep ``frame`` as ``name``'s records of ``day``, forgetting days older than ``keep_days``."""
        store = self.recent[name]
        store[day] = frame
        for old in [d for d in store if d <= day - keep_days]:
            del store[old]

    def schedule(self, name: str, frame: pd.DataFrame, days: np.ndarray) -> None:
        """File ``frame``'s rows under the day each is due (for a later ``due``)."""
        store = self.recent[name]
        for day in np.unique(days):
            rows = frame[days == day]
            store[int(day)] = pd.concat([store[int(day)], rows], ignore_index=True) if int(day) in store else rows

    def due(self, name: str, day: int) -> pd.DataFrame | None:
        """Rows scheduled for ``day`` (removed from the schedule)."""
        return self.recent[name].pop(day, None)

    def recall(self, name: str, first_day: int, last_day: int) -> pd.DataFrame | None:
        frames = [f for d, f in sorted(self.recent[name].items()) if first_day <= d <= last_day and not f.empty]
        return pd.concat(frames, ignore_index=True) if frames else None
