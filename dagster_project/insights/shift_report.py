"""``trustqa shifts``: each signal of a week in plain words, with what drove it.

One paragraph per signal of ``fct_metric_shifts_weekly`` (``is_signal``),
built from its row and its rows in ``fct_metric_shift_drivers_weekly``:

    QA score, category trading_cards: 81.9 -> 69.4 (-15.3%, q=0.0004, 412 reviews). 72% of the change
    comes from agents a_0012 and a_0040 getting worse (rate), 6% from a change in which agents handle
    the work (mix). Rubric item that moved: resolution_correct 0.93 -> 0.71 (q=0.0021).

The leading members are those of the first driver dimension present (agent,
then team, queue, category) whose contributions point the way of the change,
taken by rank until they explain half of it (at most three). "Rate" is their
rate effects, "mix" the mix effects of every member of that dimension, both
as shares of the change (docs/metrics.md, "Quality shifts and their drivers").
Rubric items are named as moved only when their q-value (adjusted among the
shift's item tests) is below the signal threshold.
A week without a signal says so, with how many tests were run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from dagster_project.insights.metric_labels import DIMENSION_PLURALS, label_of, shown_value

DRIVER_ORDER = ("agent", "team", "queue", "category")
MAX_LEADING_MEMBERS = 3
EXPLAINED_SHARE = 0.5


@dataclass(frozen=True)
class Shift:
    """One row of ``marts.fct_metric_shifts_weekly``."""

    week_start: dt.date
    metric: str
    slice_dimension: str
    slice_value: str
    n: int
    value: float | None
    baseline_n: int
    baseline_value: float | None
    abs_change: float | None
    rel_change: float | None
    p_value: float | None
    q_value: float | None
    is_signal: bool


@dataclass(frozen=True)
class Driver:
    """One row of ``marts.fct_metric_shift_drivers_weekly`` (for one shift)."""

    driver_dimension: str
    driver_value: str
    base_value: float | None
    cur_value: float | None
    mix_effect: float | None
    rate_effect: float | None
    contribution: float | None
    rank: int | None
    q_value: float | None = None


def _names(values: Sequence[str]) -> str:
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} and {values[-1]}"


def _percent(part: float, whole: float) -> str:
    return f"{round(100 * part / whole)}%"


def headline(shift: Shift) -> str:
    label = label_of(shift.metric)
    where = "all" if shift.slice_dimension == "all" else f"{shift.slice_dimension} {shift.slice_value}"
    change = "n/a" if shift.rel_change is None else f"{shift.rel_change * 100:+.1f}%"
    q = "n/a" if shift.q_value is None else f"{shift.q_value:.2g}"
    return (
        f"{label.name}, {where}: {shown_value(shift.metric, shift.baseline_value)} -> "
        f"{shown_value(shift.metric, shift.value)} ({change}, q={q}, {shift.n:,} {label.unit})."
    )


def drivers_sentence(shift: Shift, drivers: Sequence[Driver]) -> str | None:
    """Who or what moved the metric: the leading members' rate effect and the dimension's mix effect."""
    change = shift.abs_change
    if not change:
        return None
    dimension = next((d for d in DRIVER_ORDER if any(r.driver_dimension == d for r in drivers)), None)
    if dimension is None:
        return None
    members = sorted(
        (r for r in drivers if r.driver_dimension == dimension and r.contribution is not None),
        key=lambda r: (r.rank if r.rank is not None else 10**9, r.driver_value),
    )
    leading, explained = [], 0.0
    for member in members:
        if member.contribution * change <= 0 or len(leading) == MAX_LEADING_MEMBERS:
            break
        leading.append(member)
        explained += member.contribution
        if explained / change >= EXPLAINED_SHARE:
            break
    mix = sum(r.mix_effect or 0.0 for r in members)
    plural = DIMENSION_PLURALS.get(dimension, dimension)
    mix_part = f"{_percent(mix, change)} from a change in which {plural} handle the work (mix)"
    if not leading:
        return f"No single {dimension} stands out; {mix_part}."
    rate = sum(r.rate_effect or 0.0 for r in leading)
    better = (change > 0) == label_of(shift.metric).higher_is_better
    names = _names([r.driver_value for r in leading])
    noun = dimension if len(leading) == 1 else plural
    return (
        f"{_percent(rate, change)} of the change comes from {noun} {names} getting "
        f"{'better' if better else 'worse'} (rate), {mix_part}."
    )


def rubric_sentence(drivers: Sequence[Driver], max_q: float) -> str | None:
    """The rubric items whose pass rate moved significantly (q below ``max_q``), else the largest mover, named
    as not significant: an item test is one of several, so only its q-value can call it a change."""
    items = [
        r
        for r in drivers
        if r.driver_dimension == "rubric_item" and r.base_value is not None and r.cur_value is not None
    ]
    if not items:
        return None
    moved = sorted(
        (r for r in items if r.q_value is not None and r.q_value < max_q), key=lambda r: (r.q_value, r.driver_value)
    )
    if moved:
        listed = ", ".join(
            f"{r.driver_value} {r.base_value:.2f} -> {r.cur_value:.2f} (q={r.q_value:.2g})" for r in moved
        )
        return f"Rubric item{'s' if len(moved) > 1 else ''} that moved: {listed}."
    item = max(items, key=lambda r: (abs(r.cur_value - r.base_value), r.driver_value))
    return (
        f"No rubric item moved significantly (largest change: {item.driver_value} "
        f"{item.base_value:.2f} -> {item.cur_value:.2f})."
    )


def describe_shift(shift: Shift, drivers: Sequence[Driver], max_q: float) -> str:
    """One signal in plain words: headline, drivers, and for QA metrics the rubric items that moved."""
    parts = [headline(shift), drivers_sentence(shift, drivers), rubric_sentence(drivers, max_q)]
    return " ".join(p for p in parts if p)


def weekly_report(
    week: dt.date, shifts: Sequence[Shift], drivers: dict[tuple[str, str, str], list[Driver]], max_q: float
) -> str:
    """Every signal of ``week`` (largest |relative change| first), or a plain statement that there is none.

    ``drivers`` is keyed by (metric, slice_dimension, slice_value) of the week's shifts.
    """
    tested = [s for s in shifts if s.p_value is not None]
    signals = sorted(
        (s for s in shifts if s.is_signal), key=lambda s: (-abs(s.rel_change or 0.0), s.metric, s.slice_value)
    )
    heading = f"Quality shifts in the week of {week} (Monday), against the 4 complete weeks before:"
    if not tested:
        return (
            f"{heading}\nNo significant shift: no slice of this week had enough units in the week and in its "
            "baseline for a test (shift_min_n), so nothing can be called a change yet."
        )
    if not signals:
        return (
            f"{heading}\nNo significant shift: none of the {len(tested)} tests of this week has a q-value "
            f"below {max_q:g} with a large enough change. Differences that are not significant are noise "
            "until more data says otherwise."
        )
    paragraphs = [
        describe_shift(s, drivers.get((s.metric, s.slice_dimension, s.slice_value), []), max_q) for s in signals
    ]
    count = f"{len(signals)} signal{'s' if len(signals) != 1 else ''} among {len(tested)} tests"
    return f"{heading} {count}.\n\n" + "\n\n".join(paragraphs)
