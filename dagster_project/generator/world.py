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

from dagster_project.generator import config as C
from dagster_project.generator.feed import DayStore
from dagster_project.generator.planted import PlantedShift, PlantedTally
from dagster_project.generator.rand import Sampler, stream
from dagster_project.generator.rows import Rows
from dagster_project.generator.timestamps import DAY, date_to_us


@dataclass(frozen=True)
class Context:
    """The run's arguments and the derived clock."""

    start: dt.date
    days: int
    scale: float
    seed: int
    support_scale: float | None = None  # the scale of new tickets (default: ``scale``)
    qa_sampling: float = 1.0  # multiplies every QA sampling rate (capped at 1): more cases reviewed
    planted: tuple[PlantedShift, ...] = ()

    @property
    def end_us(self) -> int:
        """The end of the last export day (records after it are never written)."""
        return self.day_start(self.days)

    def qa_rate(self, rate: float) -> float:
        return min(1.0, rate * self.qa_sampling)

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

    @property
    def ticket_scale(self) -> float:
        return self.scale if self.support_scale is None else self.support_scale

    def volume(self, per_day_at_scale_1: float, day: int, scale: float | None = None) -> float:
        """Expected count on ``day``: scaled (by ``scale``, default the run's), with weekday and growth factors."""
        growth = 1.0 - C.GROWTH_PER_YEAR / 2 + C.GROWTH_PER_YEAR * min(day, 365) / 365
        return per_day_at_scale_1 * (self.scale if scale is None else scale) * self.weekday_factor(day) * growth


class Users:
    """Per-user arrays, indexed by user number - 1 (users are numbered in signup order)."""

    FIELDS = ("signup_at", "seller_since", "weight", "seller_weight", "risky", "category", "blocked_until")

    def __init__(self) -> None:
        self.n = 0
        self._cols: dict[str, np.ndarray] = {}
        self._samplers: dict[tuple[str, int], Sampler] = {}

    def append(self, **cols: np.ndarray) -> np.ndarray:
        """Add users; returns their numbers."""
        count = len(cols["signup_at"])
        for name in self.FIELDS:
            values = cols[name]
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
        self._samplers.clear()
        return numbers

    def __getattr__(self, name: str) -> np.ndarray:
        if name in Users.FIELDS:
            return self._cols[name][: self.n]
        raise AttributeError(name)

    def block(self, numbers: np.ndarray, until: np.ndarray) -> None:
        idx = numbers - 1
        np.maximum.at(self._cols["blocked_until"], idx, until)
        self._samplers.clear()

    def buyers(self, t: int) -> Sampler:
        """Draws user numbers - 1 by buying activity among users signed up and not blocked at ``t``."""
        key = ("buyers", t)
        if key not in self._samplers:
            self._samplers[key] = Sampler(np.where((self.signup_at < t) & (self.blocked_until < t), self.weight, 0.0))
        return self._samplers[key]

    def suspects(self, t: int) -> Sampler:
        """Draws user numbers - 1 likely to be reported or acted on: risky users and sellers weigh more."""
        key = ("suspects", t)
        if key not in self._samplers:
            weights = np.where(self.risky, 20.0, 1.0) * np.where(self.seller_since < t, 2.5, 1.0) * (self.signup_at < t)
            self._samplers[key] = Sampler(weights)
        return self._samplers[key]

    def sellers(self, t: int) -> Sampler:
        """Draws user numbers - 1 by selling activity among sellers not blocked at ``t``."""
        key = ("sellers", t)
        if key not in self._samplers:
            self._samplers[key] = Sampler(
                np.where((self.seller_since < t) & (self.blocked_until < t), self.seller_weight, 0.0)
            )
        return self._samplers[key]


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

    def active_at(self, t: np.ndarray) -> np.ndarray:
        """Whether every agent is employed at each instant: shape (len(t), n)."""
        return (self.hired_at[None, :] <= t[:, None]) & (self.left_at[None, :] > t[:, None])


@dataclass
class World:
    ctx: Context
    users: Users = field(default_factory=Users)
    agents: Agents | None = None
    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    recent: dict[str, DayStore] = field(default_factory=lambda: defaultdict(DayStore))
    planted: list[PlantedTally] = field(default_factory=list)  # one per ctx.planted shift

    def __post_init__(self) -> None:
        self.planted = [PlantedTally() for _ in self.ctx.planted]

    def next_ids(self, name: str, count: int) -> np.ndarray:
        """``count`` new record numbers (1, 2, ...) for ``name``."""
        first = self.counters[name] + 1
        self.counters[name] += count
        return np.arange(first, first + count, dtype=np.int64)

    def remember(self, name: str, day: int, frame: Rows, keep_days: int) -> None:
        """Keep ``frame`` as ``name``'s records of ``day``, forgetting days older than ``keep_days``."""
        store = self.recent[name]
        store.add(frame, np.full(len(frame), day))
        store.drop_before(day - keep_days + 1)

    def schedule(self, name: str, frame: Rows, days: np.ndarray) -> None:
        """File ``frame``'s rows under the day each is due."""
        self.recent[name].add(frame, days)

    def due(self, name: str, day: int) -> Rows | None:
        """Rows scheduled for ``day`` (and forget earlier days)."""
        store = self.recent[name]
        rows = store.rows(day, day)
        store.drop_before(day + 1)
        return rows

    def recall(self, name: str, first_day: int, last_day: int) -> Rows | None:
        return self.recent[name].rows(first_day, last_day)

    def forget_before(self, name: str, day: int) -> None:
        self.recent[name].drop_before(day)
