"""``trustqa plan`` in words: a week's sampling plan, one line per stratum, short strata first.

Pure formatting of plan rows (:class:`PlanLine`, one per row of
``marts.fct_qa_sampling_plan``); reading them is ``plan_command``'s job.
Proportions and margins are shown in percentage points.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dagster_project.planning.order import shortest_first

STRATUM_WIDTH = 36


@dataclass(frozen=True)
class PlanLine:
    """One stratum of a week's plan, as the mart holds it (``None`` where the mart has null)."""

    week_start: dt.date
    stratum: str
    is_current_week: bool
    population_n: float  # the week's cases; for the current week the average of the weeks before
    p_hat: float
    margin: float  # the wanted half-width, a proportion (0.05: 5 points)
    confidence: float
    n_required: int
    n_reviewed: int
    achieved_margin: float | None  # null before any review
    coverage: float | None  # n_reviewed / n_required, null when nothing is required
    is_short: bool
    n_allocated: int | None = None  # set only with a weekly capacity
    allocated_margin: float | None = None
    allocated_overall_margin: float | None = None

    @property
    def missing_reviews(self) -> int:
        """The reviews still needed to reach the requirement (0 when met)."""
        return max(self.n_required - self.n_reviewed, 0)


def points(margin: float | None) -> str:
    """A half-width as ± percentage points with one decimal ("-" when there is none)."""
    return "-" if margin is None else f"±{margin * 100:.1f}"


def population(value: float) -> str:
    """A population: a whole number as such, an average with one decimal."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def ordered(lines: list[PlanLine]) -> list[PlanLine]:
    """Short strata first, then by coverage ascending (strata that require nothing last), then by name."""
    return sorted(lines, key=lambda s: shortest_first(s.is_short, s.coverage, s.stratum))


def heading(lines: list[PlanLine]) -> list[str]:
    """The week, the margin and confidence, where the population comes from, and the allocation if any."""
    first = lines[0]
    week = f"the week of {first.week_start}" + (" (the current week)" if first.is_current_week else "")
    source = (
        "the average of the (up to 4) weeks before it, as this week is not over"
        if first.is_current_week
        else "the cases closed in the week"
    )
    text = [
        f"QA sampling plan for {week}: a margin of {points(first.margin)} points at {first.confidence * 100:g}% "
        f"confidence per stratum; population: {source}."
    ]
    allocated = [s.n_allocated for s in lines if s.n_allocated is not None]
    if allocated:
        text.append(
            f"Weekly capacity allocated by Neyman allocation: {sum(allocated)} reviews, "
            f"an overall margin of {points(first.allocated_overall_margin)} points."
        )
    return text


def column_header(with_allocation: bool) -> str:
    header = (
        f"  {'stratum':<{STRATUM_WIDTH}} {'population':>10} {'p_hat':>5} {'required':>8} {'reviewed':>8} "
        f"{'coverage':>8} {'margin':>7}"
    )
    return header + (f" {'allocated':>14}" if with_allocation else "")


def stratum_line(s: PlanLine, with_allocation: bool) -> str:
    """One stratum: population, p_hat, required, reviewed, coverage %, achieved margin, allocation; 'short' marked."""
    coverage = "-" if s.coverage is None else f"{s.coverage * 100:.0f}%"
    line = (
        f"  {s.stratum:<{STRATUM_WIDTH}} {population(s.population_n):>10} {s.p_hat:>5.2f} {s.n_required:>8} "
        f"{s.n_reviewed:>8} {coverage:>8} {points(s.achieved_margin):>7}"
    )
    if with_allocation:
        allocation = "-" if s.n_allocated is None else f"{s.n_allocated} ({points(s.allocated_margin)})"
        line += f" {allocation:>14}"
    return line + ("  short" if s.is_short else "")


def closing_sentence(lines: list[PlanLine]) -> str:
    """How many strata are short and how many more reviews they need together."""
    short = [s for s in lines if s.is_short]
    if not short:
        return "No stratum is short of its required reviews."
    more = sum(s.missing_reviews for s in short)
    if len(short) == 1:
        return f"1 of {len(lines)} strata is short of its required reviews; it needs {more} more."
    return f"{len(short)} of {len(lines)} strata are short of their required reviews; they need {more} more in total."


def plan_report(lines: list[PlanLine]) -> str:
    """The week's plan as text (``lines``: the rows of one week, at least one)."""
    with_allocation = any(s.n_allocated is not None for s in lines)
    body = [stratum_line(s, with_allocation) for s in ordered(lines)]
    return "\n".join([*heading(lines), column_header(with_allocation), *body, closing_sentence(lines)])
