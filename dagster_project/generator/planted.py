"""Planted quality shifts: QA scores of chosen agents' cases, in a category, during chosen ISO weeks.

``--plant-shift category=trading_cards,agents=ag_0012+ag_0040,weeks=2026-11-02,size=-15``
moves the ``overall_score`` of every matching QA review by ``size`` points
(clipped to 0-100) and makes its ``resolution_correct`` item agree: for a drop,
a passed resolution fails with probability ``min(1, |size| / 18)`` (a failed
resolution costs 18 points in the score formula of ``qa.overall_tenths``), for
a rise a failed one passes with that probability. A review matches when it is
a sampled review (calibration sessions are left alone), its reviewee is one of
the agents (every agent when ``agents`` is left out), it was reviewed (UTC) in
one of the ISO weeks, and, when a category is given, its case is a ticket of
that category (only a ticket carries a category of its own; enforcement and
appeal cases are left alone then). Nothing else changes: the choice of the
flipped items hashes the review id, so the random streams, every other row and
every other table are exactly what the same run without the shift writes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dagster_project.contract import CATEGORIES
from dagster_project.generator.rand import hash_unit
from dagster_project.generator.rows import Rows
from dagster_project.generator.timestamps import DAY, date_to_us

MANIFEST = "planted_shifts.json"
RESOLUTION_POINTS = 18.0  # what a failed resolution costs in qa.overall_tenths
AGENT_ID = re.compile(r"ag_(\d{4})")
KEYS = ("category", "agents", "weeks", "size")
EXAMPLE = "category=trading_cards,agents=ag_0012+ag_0040,weeks=2026-11-02,size=-15"
_SALT = 0x5F1F7  # hash salt of the resolution flips (mixed with the seed)


@dataclass(frozen=True)
class PlantedShift:
    """One planted shift; ``weeks`` are ISO week Mondays, ``size`` points of overall_score (0-100 scale)."""

    weeks: tuple[dt.date, ...]
    size: float
    category: str | None = None  # None: every category and case type
    agents: tuple[str, ...] = ()  # exported agent ids; empty: every agent

    def __post_init__(self) -> None:
        if not self.weeks:
            raise ValueError("a planted shift needs at least one week")
        for week in self.weeks:
            if week.weekday() != 0:
                monday = week - dt.timedelta(days=week.weekday())
                raise ValueError(f"week {week} is not a Monday (its ISO week starts on {monday})")
        if not (-100 <= self.size <= 100) or self.size == 0:
            raise ValueError(f"size must be a non-zero number of points between -100 and 100 (got {self.size:g})")
        if self.category is not None and self.category not in CATEGORIES:
            raise ValueError(f"unknown category {self.category!r} (one of: {', '.join(CATEGORIES)})")
        for agent in self.agents:
            if not AGENT_ID.fullmatch(agent) or agent == "ag_0000":
                raise ValueError(f"agent {agent!r} is not an agent id like ag_0012")

    @classmethod
    def parse(cls, text: str) -> PlantedShift:
        """``category=C,agents=A+B,weeks=W1+W2,size=S`` (weeks and size required; see the module doc)."""
        values: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, value = part.partition("=")
            key = key.strip()
            if not sep or key not in KEYS:
                raise ValueError(f"--plant-shift: expected KEY=VALUE with KEY in {', '.join(KEYS)} (got {part!r})")
            if key in values:
                raise ValueError(f"--plant-shift: {key} given twice")
            values[key] = value.strip()
        missing = [k for k in ("weeks", "size") if not values.get(k)]
        if missing:
            raise ValueError(f"--plant-shift: {' and '.join(missing)} required, e.g. {EXAMPLE}")
        try:
            weeks = tuple(dt.date.fromisoformat(w) for w in values["weeks"].split("+"))
        except ValueError:
            weeks_text = values["weeks"]
            raise ValueError(
                f"--plant-shift: weeks must be YYYY-MM-DD Mondays joined by '+' (got {weeks_text!r})"
            ) from None
        try:
            size = float(values["size"])
        except ValueError:
            raise ValueError(f"--plant-shift: size must be a number of points (got {values['size']!r})") from None
        agents = tuple(a for a in values.get("agents", "").split("+") if a)
        return cls(weeks=weeks, size=size, category=values.get("category") or None, agents=agents)

    def describe(self) -> dict:
        return {
            "category": self.category,
            "agents": list(self.agents),
            "weeks": [w.isoformat() for w in self.weeks],
            "size": self.size,
        }


@dataclass
class PlantedTally:
    """What a shift changed in the exported reviews (first versions, written within the run's days)."""

    review_ids: list[int] = field(default_factory=list)
    overall_before: list[int] = field(default_factory=list)  # tenths
    overall_after: list[int] = field(default_factory=list)
    resolution_failed_before: int = 0
    resolution_failed_after: int = 0


def _agent_numbers(shift: PlantedShift) -> np.ndarray:
    return np.array([int(AGENT_ID.fullmatch(a).group(1)) for a in shift.agents], dtype=np.int64)


def matches(shift: PlantedShift, rows: Rows, category: np.ndarray) -> np.ndarray:
    """Which review rows (first versions, with their case's category code, -1 = none) the shift hits."""
    reviewed = rows["reviewed_at"]
    hit = np.zeros(len(rows), dtype=bool)
    for week in shift.weeks:
        start = date_to_us(week)
        hit |= (reviewed >= start) & (reviewed < start + 7 * DAY)
    if shift.agents:
        hit &= np.isin(rows["agent_id"], _agent_numbers(shift))
    if shift.category is not None:
        hit &= category == CATEGORIES.index(shift.category)
    return hit


def apply_shifts(
    shifts: tuple[PlantedShift, ...],
    tallies: list[PlantedTally],
    seed: int,
    rows: Rows,
    category: np.ndarray,
    end_us: int,
) -> Rows:
    """``rows`` (first versions of sampled reviews) with every planted shift applied, in order."""
    for shift, tally in zip(shifts, tallies, strict=True):
        hit = np.flatnonzero(matches(shift, rows, category))
        if hit.size == 0:
            continue
        before = rows["overall_score"][hit]
        resolution = rows["resolution_correct"][hit]
        after = np.clip(before + round(shift.size * 10), 0, 1000)
        flip = hash_unit(rows["review_id"][hit], seed * 1_000_003 + _SALT) < min(
            1.0, abs(shift.size) / RESOLUTION_POINTS
        )
        turned = np.where(flip & (resolution == (1 if shift.size < 0 else 0)), 1 - resolution, resolution)
        rows = rows.assign(
            overall_score=_put(rows["overall_score"], hit, after),
            resolution_correct=_put(rows["resolution_correct"], hit, turned.astype(np.int8)),
        )
        written = rows["reviewed_at"][hit] < end_us
        tally.review_ids += rows["review_id"][hit][written].tolist()
        tally.overall_before += before[written].tolist()
        tally.overall_after += after[written].tolist()
        tally.resolution_failed_before += int((resolution[written] == 0).sum())
        tally.resolution_failed_after += int((turned[written] == 0).sum())
    return rows


def _put(values: np.ndarray, idx: np.ndarray, new: np.ndarray) -> np.ndarray:
    out = values.copy()
    out[idx] = new
    return out


def manifest(shifts: tuple[PlantedShift, ...], tallies: list[PlantedTally]) -> list[dict]:
    """The JSON manifest: each shift as asked, and the reviews it changed (ids as exported)."""
    out = []
    for shift, tally in zip(shifts, tallies, strict=True):
        n = len(tally.review_ids)
        out.append(
            {
                **shift.describe(),
                "reviews_shifted": n,
                "mean_overall_score_before": round(sum(tally.overall_before) / n / 10, 2) if n else None,
                "mean_overall_score_after": round(sum(tally.overall_after) / n / 10, 2) if n else None,
                "resolution_failed_before": tally.resolution_failed_before,
                "resolution_failed_after": tally.resolution_failed_after,
                "review_ids": [f"qar_{i:07d}" for i in tally.review_ids],
            }
        )
    return out


def planted_summary(out_dir: Path) -> list[str]:
    """One line per shift of the folder's manifest: what was asked and what it changed."""
    lines = []
    for planted in json.loads((Path(out_dir) / MANIFEST).read_text(encoding="utf-8")):
        n = planted["reviews_shifted"]
        moved = (
            f"mean overall_score {planted['mean_overall_score_before']} -> {planted['mean_overall_score_after']}, "
            f"failed resolutions {planted['resolution_failed_before']} -> {planted['resolution_failed_after']}"
            if n
            else "no review matched"
        )
        who = "+".join(planted["agents"]) or "every agent"
        lines.append(
            f"{planted['category'] or 'every category'}, {who}, weeks {'+'.join(planted['weeks'])}, "
            f"size {planted['size']:+g}: {n} reviews, {moved}"
        )
    return lines
