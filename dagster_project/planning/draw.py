"""The draw: within each stratum, the frame ordered by a seeded hash, the first ``quota`` cases taken.

Ordering by ``sha256("<seed>:<case_type>:<case_id>")`` is a random
permutation that needs no state: the same frame and seed give the same cases
in the same order on any machine, and another seed gives another order. A
case's place does not depend on the other cases of the frame.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from dagster_project.planning.frame import Case
from dagster_project.planning.quotas import StratumQuota


@dataclass(frozen=True)
class SampledCase:
    """One row of ``marts.qa_sample_daily``: a case to review on ``day``."""

    day: dt.date
    case_type: str
    case_id: str
    stratum: str
    inclusion_probability: float  # quota / frame size of the stratum
    draw_rank: int  # 1..quota within the stratum
    seed: int
    drawn_at: dt.datetime  # UTC, naive


def draw_key(seed: int, case: Case) -> tuple[str, str]:
    """A case's place in the seeded order: the hex sha256 of ``seed:case_type:case_id`` (then its id)."""
    digest = hashlib.sha256(f"{seed}:{case.case_type}:{case.case_id}".encode()).hexdigest()
    return digest, case.case_id


def draw_stratum(cases: Iterable[Case], quota: int, seed: int) -> list[Case]:
    """The first ``quota`` cases of one stratum's frame in the seeded order."""
    return sorted(cases, key=lambda case: draw_key(seed, case))[: max(quota, 0)]


def draw_sample(
    frame: list[Case], quotas: list[StratumQuota], seed: int, day: dt.date, drawn_at: dt.datetime
) -> list[SampledCase]:
    """Every stratum's draw as rows of the sample table, by stratum then rank."""
    sample = []
    for q in quotas:
        stratum_frame = [case for case in frame if case.stratum == q.stratum]
        for rank, case in enumerate(draw_stratum(stratum_frame, q.quota, seed), start=1):
            probability = q.quota / q.frame_n
            sample.append(SampledCase(day, case.case_type, case.case_id, q.stratum, probability, rank, seed, drawn_at))
    return sample
