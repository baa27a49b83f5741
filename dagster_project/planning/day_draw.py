"""One day's draw from the marts, before anything is written: the frame, the quotas, the sample, the summary.

``trustqa sample --date D`` reviews on D the cases closed on D - 1 that no
review has looked at (``marts.dim_qa_cases``); the quotas come from the plan
row of the week of D - 1 (``marts.fct_qa_sampling_plan``), or from a
capacity allocated by Neyman allocation (docs/sampling.md).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from dagster_project.insights.mart_reader import Read, date_literal, monday_of
from dagster_project.planning.draw import SampledCase, draw_sample
from dagster_project.planning.frame import CASES, PLAN, missing_marts, read_frame, read_plan
from dagster_project.planning.quotas import StratumQuota, quotas_from_capacity, quotas_from_plan

MAX_SEED = 2**31 - 1  # the table's seed column is a 32-bit integer


class SampleRefused(ValueError):
    """The sample cannot be drawn: the one-line message says why and what to do."""


@dataclass(frozen=True)
class SampleRequest:
    """What ``trustqa sample`` was asked: the review day, the capacity (None: the plan's daily share),
    the seed and the CSV to write (None: none)."""

    day: dt.date
    capacity: int | None
    seed: int
    out: Path | None

    @property
    def closed_day(self) -> dt.date:
        """The day whose closed cases are drawn: the day before the review day."""
        return self.day - dt.timedelta(days=1)

    @property
    def week_start(self) -> dt.date:
        """The Monday of the closed day's ISO week: the plan row the quotas come from."""
        return monday_of(self.closed_day)


@dataclass(frozen=True)
class DayDraw:
    """A drawn day: the quotas of the frame's strata and the sample; ``empty_reason`` says why nothing
    could be drawn (the frame is empty) and is "" otherwise."""

    request: SampleRequest
    quotas: list[StratumQuota]
    sample: list[SampledCase]
    empty_reason: str = ""


def parse_request(date: str, capacity: int | None, seed: int, out: str | None) -> SampleRequest:
    """The command's arguments checked; :class:`SampleRefused` names the one that is wrong."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            raise ValueError
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise SampleRefused(f"--date {date!r} is not a date (YYYY-MM-DD)") from None
    if capacity is not None and capacity < 0:
        raise SampleRefused(f"--capacity {capacity} is negative: give the number of reviews available on {day}")
    if not 0 <= seed <= MAX_SEED:
        raise SampleRefused(f"--seed {seed} is outside 0..{MAX_SEED}")
    return SampleRequest(day, capacity, seed, Path(out) if out else None)


def draw_day(read: Read, request: SampleRequest, drawn_at: dt.datetime, min_p: float) -> DayDraw:
    """Read the frame and the plan, work out the quotas, draw (``min_p``: the plan's bound on p_hat)."""
    missing = missing_marts(read, (CASES, PLAN))
    if missing:
        raise SampleRefused(f"no {' or '.join(missing)} in the warehouse; run `trustqa materialize` first")
    frame = read_frame(read, request.closed_day)
    if not frame:
        return DayDraw(request, [], [], _empty_reason(read, request.closed_day))
    sizes = dict(Counter(case.stratum for case in frame))
    plan = read_plan(read, request.week_start)
    if request.capacity is None:
        quotas = quotas_from_plan(sizes, {s: row.n_required for s, row in plan.items()})
    else:
        quotas = quotas_from_capacity(request.capacity, sizes, {s: row.p_hat for s, row in plan.items()}, min_p)
    return DayDraw(request, quotas, draw_sample(frame, quotas, request.seed, request.day, drawn_at))


def _empty_reason(read: Read, closed_day: dt.date) -> str:
    """Why a day's frame is empty: no case closed that day (and the last day that has some), or all reviewed."""
    (row,) = read(
        f"select sum(case when closed_day = {date_literal(closed_day)} then 1 else 0 end) as closed, "
        f"max(closed_day) as last_day from marts.{CASES}"
    )
    closed = int(row["closed"] or 0)
    if closed:
        return f"all {closed} cases closed on {closed_day} have a QA review already"
    return f"no case closed on {closed_day} in marts.{CASES} (its last closed day is {row['last_day']})"


def summary_lines(draw: DayDraw) -> list[str]:
    """The draw in words: what was drawn from, how the quotas were set, one line per stratum and the total."""
    r = draw.request
    if r.capacity is None:
        rule = f"ceil(n_required / 7) of the plan for the week of {r.week_start}"
    else:
        rule = f"{r.capacity} reviews by Neyman allocation (p_hat of the plan for the week of {r.week_start})"
    lines = [
        f"Sample for {r.day}: cases closed on {r.closed_day} with no QA review yet, seed {r.seed}.",
        f"Quotas: {rule}, capped at the frame.",
        f"  {'stratum':<40} {'frame':>6} {'quota':>6} {'drawn':>6}",
    ]
    for q in draw.quotas:
        lines.append(f"  {q.stratum:<40} {q.frame_n:>6} {q.target:>6} {q.quota:>6}  {q.note}".rstrip())
    totals = [sum(getattr(q, name) for q in draw.quotas) for name in ("frame_n", "target", "quota")]
    lines.append(f"  {'total':<40} {totals[0]:>6} {totals[1]:>6} {totals[2]:>6}")
    return lines
