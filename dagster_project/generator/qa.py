"""QA reviews: the rubric a reviewer fills in, for sampled cases and calibration sessions.

A case is a ticket, an enforcement action or an appeal decision, with its
reviewee (the agent who handled it). Error chances grow with the case's
difficulty and shrink with the reviewee's skill; a policy item is only scored
when the case involved a policy decision (null otherwise).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from dagster_project.generator import config as C
from dagster_project.generator.planted import apply_shifts
from dagster_project.generator.rand import bernoulli, categorical, lognormal
from dagster_project.generator.roster import QA_REVIEWER, choose_agents
from dagster_project.generator.rows import Rows
from dagster_project.generator.timestamps import DAY, HOUR, date_to_us, day_index, quantize
from dagster_project.generator.world import World

TICKET, ENFORCEMENT, APPEAL = range(3)
RANDOM, STRATIFIED, TARGETED, CALIBRATION = range(4)
RUBRIC_VERSIONS = ("v3", "v4")
COMMUNICATION_SHARE = (0.03, 0.07, 0.15, 0.4, 0.35)  # scores 1..5


def _flag(ok: np.ndarray, present: np.ndarray) -> np.ndarray:
    """int8 boolean with -1 for null."""
    return np.where(present, ok.astype(np.int8), -1).astype(np.int8)


def true_rubric(rng: np.random.Generator, cases: Rows, skill: np.ndarray) -> dict[str, np.ndarray]:
    """What a careful reviewer would find for each case (items as int8 with -1 = null)."""
    n = len(cases)
    case_type = cases["case_type"]
    p_wrong = (1 - skill) + cases["difficulty"]
    not_ticket = case_type != TICKET
    policy = _flag(~bernoulli(rng, 0.8 * p_wrong, n), cases["has_policy"])
    evidence = _flag(
        ~bernoulli(rng, p_wrong, n), np.where(not_ticket, bernoulli(rng, 0.97, n), bernoulli(rng, 0.25, n))
    )
    resolution = (~bernoulli(rng, np.where(policy == 0, 0.6, 0.7 * p_wrong), n)).astype(np.int8)
    comm = np.where(not_ticket, -1, categorical(rng, COMMUNICATION_SHARE, n) + 1).astype(np.int8)
    critical = bernoulli(rng, 0.025 + 0.3 * (policy == 0) + 0.1 * (resolution == 0), n).astype(np.int8)
    return {"policy": policy, "evidence": evidence, "resolution": resolution, "comm": comm, "critical": critical}


def overall_tenths(rng: np.random.Generator, r: dict[str, np.ndarray]) -> np.ndarray:
    """Overall score 0-100 in tenths, from the rubric items plus reviewer noise."""
    n = r["policy"].size
    score = 97.0 - 22 * (r["policy"] == 0) - 12 * (r["evidence"] == 0) - 18 * (r["resolution"] == 0)
    score = score - np.where(r["comm"] > 0, 5 * (5 - r["comm"]), 0) - 15 * (r["critical"] == 1)
    score = score + 4 * rng.standard_normal(n)
    return np.round(np.clip(score, 0, 100) * 10).astype(np.int64)


def rubric_version(reviewed_at: np.ndarray) -> np.ndarray:
    return (reviewed_at >= date_to_us(dt.date.fromisoformat(C.RUBRIC_SWITCH_DATE))).astype(np.int8)


def review_rows(
    world: World,
    review_ids: np.ndarray,
    cases: Rows,
    reviewer: np.ndarray,
    rubric: dict[str, np.ndarray],
    overall: np.ndarray,
    session: np.ndarray,
) -> Rows:
    reviewed = cases["reviewed_at"]
    return Rows(
        {
            "review_id": review_ids,
            "case_type": cases["case_type"].astype(np.int8),
            "case_id": cases["case_id"],
            "agent_id": cases["agent_id"],
            "reviewer_id": reviewer,
            "reviewed_at": reviewed,
            "rubric_version": rubric_version(reviewed),
            "sampling_method": cases["sampling_method"].astype(np.int8),
            "calibration_session_id": session,
            "policy_applied_correctly": rubric["policy"],
            "evidence_standard_met": rubric["evidence"],
            "resolution_correct": rubric["resolution"],
            "communication_score": rubric["comm"],
            "critical_error": rubric["critical"],
            "overall_score": overall,
            "updated_at": reviewed,
        }
    )


def with_edits(rng: np.random.Generator, rows: Rows, start_us: int) -> Rows:
    """Add a later version for a few reviews (the reviewer revises the score)."""
    edited = rows.take(bernoulli(rng, C.QA_EDIT_SHARE, len(rows)))
    k = len(edited)
    edited["updated_at"] = quantize(rng, edited["reviewed_at"] + (lognormal(rng, 6, 1.0, k) * HOUR).astype(np.int64))
    delta = np.round(rng.normal(0, 50, k)).astype(np.int64)
    edited["overall_score"] = np.clip(edited["overall_score"] + delta, 0, 1000)
    out = Rows.concat([rows, edited])
    out["_day"] = day_index(out["updated_at"], start_us)
    return out


def audit(world: World, rng: np.random.Generator, cases: Rows) -> tuple[Rows, np.ndarray]:
    """Reviews of sampled cases (columns case_type, case_id, agent_id, reviewed_at, sampling_method,
    has_policy, difficulty; tickets also category, -1 = none). Returns (review versions,
    policy_applied_correctly per case). Planted shifts (``planted.py``) move the scores they match."""
    reviewed = quantize(rng, cases["reviewed_at"])
    cases = cases.assign(reviewed_at=reviewed)
    agents = world.agents
    skill = agents.skill[cases["agent_id"] - 1]
    rubric = true_rubric(rng, cases, skill)
    reviewer = choose_agents(rng, world, reviewed, (QA_REVIEWER,), exclude=cases["agent_id"])
    rows = review_rows(
        world,
        world.next_ids("review", len(cases)),
        cases,
        reviewer,
        rubric,
        overall_tenths(rng, rubric),
        np.full(len(cases), -1, dtype=np.int64),
    )
    ctx = world.ctx
    if ctx.planted and len(rows):
        category = cases["category"] if "category" in cases else np.full(len(cases), -1)
        rows = apply_shifts(ctx.planted, world.planted, ctx.seed, rows, category, ctx.end_us)
    return with_edits(rng, rows, ctx.start_us), rubric["policy"]


def review_delay(rng: np.random.Generator, n: int, low_days: float, high_days: float) -> np.ndarray:
    return (rng.uniform(low_days, high_days, n) * DAY).astype(np.int64)
