"""How many cases each stratum of a day's frame gets: from the week's plan, or by Neyman allocation of a capacity."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from dagster_project.planning.allocation import neyman_allocation

DAYS_PER_WEEK = 7
NO_PLAN_P = 0.5  # a stratum without a plan row: the most cautious proportion


@dataclass(frozen=True)
class StratumQuota:
    """One stratum of the day: its frame (cases that can be drawn), its quota before and after the frame cap,
    and a note for the summary ("" when there is nothing to say)."""

    stratum: str
    frame_n: int
    target: int  # the daily quota the rule gives
    quota: int  # min(target, frame_n): what is drawn
    note: str = ""


def capped(stratum: str, frame_n: int, target: int, note: str = "") -> StratumQuota:
    """A stratum's quota, capped at its frame (and saying so when the cap bites)."""
    if target > frame_n and not note:
        note = "the whole frame (quota above it)"
    return StratumQuota(stratum, frame_n, target, min(target, frame_n), note)


def daily_share(n_required: int) -> int:
    """A week's required reviews spread over its days: ceil(n_required / 7)."""
    return math.ceil(max(n_required, 0) / DAYS_PER_WEEK)


def quotas_from_plan(frame_sizes: Mapping[str, int], n_required: Mapping[str, int]) -> list[StratumQuota]:
    """Each stratum of the frame gets the daily share of its week's ``n_required`` (stratum -> plan value);
    a stratum without a plan row gets 0, said in its note."""
    return [
        capped(s, n, daily_share(n_required[s]))
        if s in n_required
        else StratumQuota(s, n, 0, 0, "no plan row for the week: quota 0")
        for s, n in sorted(frame_sizes.items())
    ]


def planning_p(p_hat: float | None, min_p: float) -> float:
    """The proportion a stratum is planned with: its plan p_hat kept within [min_p, 1 - min_p], 0.5 without one."""
    if p_hat is None:
        return NO_PLAN_P
    return min(max(p_hat, min_p), 1.0 - min_p)


def quotas_from_capacity(
    capacity: int, frame_sizes: Mapping[str, int], p_hat: Mapping[str, float | None], min_p: float
) -> list[StratumQuota]:
    """``capacity`` reviews allocated over the frame's strata by :func:`neyman_allocation`, each stratum planned
    with :func:`planning_p` of its plan p_hat (``p_hat``: stratum -> value; a missing stratum has no plan row)."""
    p = {s: planning_p(p_hat.get(s), min_p) for s in frame_sizes}
    allocation = neyman_allocation(capacity, frame_sizes, p)
    return [
        capped(s, n, allocation[s], "" if s in p_hat else f"no plan row for the week: planned with p = {NO_PLAN_P}")
        for s, n in sorted(frame_sizes.items())
    ]
