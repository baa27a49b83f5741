"""Weekly calibration sessions: several QA reviewers score the same handful of recent cases.

Each case has a "true" rubric; each reviewer reads it with their own accuracy,
so the sessions show realistic (imperfect) agreement. Now and then a reviewer
re-submits a case in the same session (the later review is the one that counts).
"""

from __future__ import annotations

import numpy as np

from dagster_project.generator import config as C
from dagster_project.generator import qa
from dagster_project.generator.rand import CALIBRATION, bernoulli
from dagster_project.generator.roster import QA_REVIEWER
from dagster_project.generator.rows import Rows
from dagster_project.generator.timestamps import HOUR, MINUTE, day_index, quantize
from dagster_project.generator.world import Context, World

KEEP_CASE_DAYS = 14


def _flip(rng: np.random.Generator, values: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Flip non-null int8 booleans with probability ``p``."""
    flip = (values >= 0) & bernoulli(rng, p, values.size)
    return np.where(flip, 1 - values, values).astype(np.int8)


def _reviewer_reads(
    rng: np.random.Generator, truth: dict[str, np.ndarray], accuracy: np.ndarray
) -> dict[str, np.ndarray]:
    miss = 1 - accuracy
    n = accuracy.size
    comm = truth["comm"] + np.where(truth["comm"] > 0, rng.choice([-1, 0, 0, 0, 1], n), 0)
    return {
        "policy": _flip(rng, truth["policy"], miss),
        "evidence": np.where(
            (truth["evidence"] < 0) & bernoulli(rng, 0.05, n), 1, _flip(rng, truth["evidence"], miss)
        ).astype(np.int8),
        "resolution": _flip(rng, truth["resolution"], miss),
        "comm": np.where(truth["comm"] > 0, np.clip(comm, 1, 5), -1).astype(np.int8),
        "critical": _flip(rng, truth["critical"], miss / 2),
    }


def _session(
    ctx: Context, world: World, rng: np.random.Generator, day: int, reviewers: np.ndarray, cases: Rows
) -> Rows:
    t0 = ctx.day_start(day)
    session = world.next_ids("calibration", 1)[0]
    truth = qa.true_rubric(rng, cases, world.agents.skill[cases["agent_id"] - 1])
    k, m = reviewers.size, len(cases)
    case_idx = np.tile(np.arange(m), k)
    reviewer = np.repeat(reviewers, m)
    again = bernoulli(rng, 0.03, case_idx.size)  # a second submission of the same case
    case_idx = np.concatenate([case_idx, case_idx[again]])
    reviewer = np.concatenate([reviewer, reviewer[again]])
    accuracy = rng.uniform(0.78, 0.95, k)[np.searchsorted(reviewers, reviewer)]
    reads = _reviewer_reads(rng, {name: v[case_idx] for name, v in truth.items()}, accuracy)
    start = t0 + 14 * HOUR + (rng.uniform(0, 120, case_idx.size) * MINUTE).astype(np.int64)
    n_again = int(again.sum())
    if n_again:
        start[-n_again:] += HOUR
    rows = cases.take(case_idx).assign(reviewed_at=quantize(rng, start), sampling_method=qa.CALIBRATION)
    order = np.argsort(rows["reviewed_at"], kind="stable")
    rows = rows.take(order)
    reads = {name: v[order] for name, v in reads.items()}
    out = qa.review_rows(
        world,
        world.next_ids("review", len(rows)),
        rows,
        reviewer[order],
        reads,
        qa.overall_tenths(rng, reads),
        np.full(len(rows), session),
    )
    return out


def calibration_sessions(ctx: Context, world: World, day: int) -> Rows:
    """Review versions of the calibration sessions held on ``day`` (none unless it is the session weekday)."""
    world.forget_before("qa_cases", day - KEEP_CASE_DAYS)
    if ctx.date(day).weekday() != C.CALIBRATION_WEEKDAY:
        return Rows()
    rng = ctx.rng(CALIBRATION, day)
    t0 = ctx.day_start(day)
    agents = world.agents
    active = agents.active_at(np.array([t0 + 14 * HOUR]))[0] & (agents.role == QA_REVIEWER)
    qa_reviewers = np.flatnonzero(active) + 1
    pool = world.recall("qa_cases", day - 7, day - 1)
    if pool is None or qa_reviewers.size < C.CALIBRATION_REVIEWERS[0]:
        return Rows()
    pool = pool.take(pool["closed_at"] < t0)
    _, first = np.unique(pool["case_type"].astype(np.int64) * 10**12 + pool["case_id"], return_index=True)
    pool = pool.take(np.sort(first))
    sessions = []
    for _ in range(max(1, round(qa_reviewers.size / C.QA_REVIEWERS_PER_SESSION))):
        k = min(qa_reviewers.size, rng.integers(C.CALIBRATION_REVIEWERS[0], C.CALIBRATION_REVIEWERS[1] + 1))
        m = min(len(pool), rng.integers(C.CALIBRATION_CASES[0], C.CALIBRATION_CASES[1] + 1))
        if m == 0:
            break
        reviewers = np.sort(rng.choice(qa_reviewers, size=k, replace=False))
        cases = pool.take(np.sort(rng.choice(len(pool), size=m, replace=False)))
        cases = cases.assign(difficulty=0.05, has_policy=cases["has_policy"].astype(bool))
        sessions.append(_session(ctx, world, rng, day, reviewers, cases))
    if not sessions:
        return Rows()
    out = Rows.concat(sessions)
    out["_day"] = day_index(out["updated_at"], ctx.start_us)
    return out
