"""The future of new enforcement actions: appeals (levels 1 and 2), QA audits and reversals.

Drawn when the action is created, so all of an action's versions are known at
once: an overturned appeal reverses the action (``appeal_overturned``), a
partially overturned one downgrades it (e.g. suspension -> warning), and an
audit that finds the policy misapplied may reverse it (``qa_correction``).
"""

from __future__ import annotations

import numpy as np

from dagster_project.generator import config as C
from dagster_project.generator import qa
from dagster_project.generator.rand import bernoulli, lognormal
from dagster_project.generator.roster import AGENT, APPEALS, LEAD, SPECIALIST, choose_agents
from dagster_project.generator.rows import Rows
from dagster_project.generator.timestamps import DAY, HOUR, MINUTE, NEVER, as_of, day_index, quantize
from dagster_project.generator.world import Context, World

UPHELD, OVERTURNED, PARTIALLY_OVERTURNED = range(3)
APPEAL_OVERTURNED, QA_CORRECTION = range(2)
WARNING, BAN = 0, 4
APPEAL_SHARE = np.array(list(C.APPEAL_SHARE.values()))


def _hours(rng: np.random.Generator, median: float, sigma: float, n: int, low: float, high: float) -> np.ndarray:
    return (lognormal(rng, median, sigma, n).clip(low, high) * HOUR).astype(np.int64)


def _outcomes(rng: np.random.Generator, shares: tuple[float, float, float], overturn_factor: np.ndarray) -> np.ndarray:
    p_over = shares[1] * overturn_factor
    u = rng.random(overturn_factor.size)
    return np.where(u < p_over, OVERTURNED, np.where(u < p_over + shares[2], PARTIALLY_OVERTURNED, UPHELD)).astype(
        np.int8
    )


def _appeal_level(
    world: World,
    rng: np.random.Generator,
    rows: np.ndarray,
    actions: Rows,
    submitted: np.ndarray,
    level: int,
    exclude: np.ndarray,
    overturn_factor: np.ndarray,
) -> Rows:
    """Appeals of one level on the actions at ``rows``, ordered by submission."""
    n = rows.size
    order = np.argsort(submitted, kind="stable")
    rows, submitted, exclude, overturn_factor = rows[order], submitted[order], exclude[order], overturn_factor[order]
    median, sigma = (
        (C.LEVEL1_DECISION_MEDIAN_H, C.LEVEL1_DECISION_SIGMA)
        if level == 1
        else (C.LEVEL2_DECISION_MEDIAN_H, C.LEVEL2_DECISION_SIGMA)
    )
    delay = _hours(rng, median, sigma, n, 0.5, 24 * 20)
    roles = (AGENT, SPECIALIST) if level == 1 else (SPECIALIST, LEAD)
    agent = choose_agents(rng, world, submitted, roles, np.full(n, APPEALS), exclude)
    shares = C.LEVEL1_OUTCOME_SHARE if level == 1 else C.LEVEL2_OUTCOME_SHARE
    return Rows(
        {
            "appeal_id": world.next_ids("appeal", n),
            "action_id": actions["action_id"][rows],
            "user_id": actions["user_id"][rows],
            "submitted_at": submitted,
            "review_level": np.full(n, level),
            "assigned_agent_id": agent,
            "decided_at": quantize(rng, submitted + delay),
            "outcome": _outcomes(rng, shares, overturn_factor),
            "_assigned_at": quantize(rng, submitted + (delay * rng.uniform(0.05, 0.5, n)).astype(np.int64)),
            "_row": rows,
        }
    )


def _appeal_versions(ctx: Context, appeals: Rows) -> Rows:
    events = [appeals["submitted_at"], appeals["_assigned_at"], appeals["decided_at"]]
    t = np.concatenate(events)
    idx = np.tile(np.arange(len(appeals)), len(events))
    v = appeals.take(idx).drop("_assigned_at", "_row")
    assigned = appeals["_assigned_at"][idx] <= t
    v["assigned_agent_id"] = np.where(assigned, v["assigned_agent_id"], -1)
    v["decided_at"] = as_of(v["decided_at"], t)
    v["outcome"] = np.where(v["decided_at"] != NEVER, v["outcome"], -1).astype(np.int8)
    v["updated_at"] = t
    v["_day"] = day_index(t, ctx.start_us)
    return v


def _audit_cases(
    ctx: Context, rng: np.random.Generator, actions: Rows, appeals: Rows, overturned_at: np.ndarray
) -> Rows:
    """Sampled enforcement and appeal cases with their review times."""
    n = len(actions)
    created = actions["created_at"]
    by_agent = actions["agent_id"] > 0
    random = by_agent & bernoulli(rng, ctx.qa_rate(C.QA_ACTION_RANDOM), n)
    targeted = by_agent & ~random & (overturned_at != NEVER) & bernoulli(rng, ctx.qa_rate(C.QA_ACTION_TARGETED), n)
    earliest = np.where(
        targeted, np.maximum(created + 4 * DAY, np.where(targeted, overturned_at, 0) + DAY), created + 4 * DAY
    )
    reviewed = earliest + qa.review_delay(rng, n, 0, 6)
    pick = np.flatnonzero(random | targeted)
    enforcement = Rows(
        {
            "case_type": qa.ENFORCEMENT,
            "case_id": actions["action_id"][pick],
            "agent_id": actions["agent_id"][pick],
            "reviewed_at": reviewed[pick],
            "sampling_method": np.where(targeted[pick], qa.TARGETED, qa.RANDOM),
            "has_policy": True,
            "difficulty": np.where(overturned_at[pick] != NEVER, 0.25, 0.0),
            "_row": pick,
        }
    )
    m = len(appeals)
    random = bernoulli(rng, ctx.qa_rate(C.QA_APPEAL_RANDOM), m)
    stratified = ~random & (appeals["review_level"] == 2) & bernoulli(rng, ctx.qa_rate(C.QA_APPEAL_STRATIFIED), m)
    pick = np.flatnonzero(random | stratified)
    appeal = Rows(
        {
            "case_type": qa.APPEAL,
            "case_id": appeals["appeal_id"][pick],
            "agent_id": appeals["assigned_agent_id"][pick],
            "reviewed_at": appeals["decided_at"][pick] + qa.review_delay(rng, pick.size, 1, 7),
            "sampling_method": np.where(stratified[pick], qa.STRATIFIED, qa.RANDOM),
            "has_policy": True,
            "difficulty": 0.0,
            "_row": -1,
        }
    )
    return Rows.concat([enforcement, appeal])


def _schedule_side_effects(ctx: Context, world: World, rng: np.random.Generator, actions: Rows, appeals: Rows) -> None:
    """Appeals that come with a support ticket, and cases eligible for calibration sessions."""
    with_ticket = appeals.take(bernoulli(rng, C.APPEAL_TICKET_SHARE, len(appeals)))
    world.schedule(
        "appeal_tickets",
        Rows({c: with_ticket[c] for c in ("appeal_id", "action_id", "user_id", "submitted_at")}),
        day_index(with_ticket["submitted_at"], ctx.start_us),
    )
    by_agent = actions.take(actions["agent_id"] > 0)
    cases = Rows.concat(
        [
            Rows(
                {
                    "case_type": qa.ENFORCEMENT,
                    "case_id": by_agent["action_id"],
                    "agent_id": by_agent["agent_id"],
                    "closed_at": by_agent["created_at"],
                    "has_policy": True,
                }
            ),
            Rows(
                {
                    "case_type": qa.APPEAL,
                    "case_id": appeals["appeal_id"],
                    "agent_id": appeals["assigned_agent_id"],
                    "closed_at": appeals["decided_at"],
                    "has_policy": True,
                }
            ),
        ]
    )
    if len(cases):
        world.schedule("qa_cases", cases, day_index(cases["closed_at"], ctx.start_us))


def action_futures(ctx: Context, world: World, rng: np.random.Generator, day: int, actions: Rows) -> dict:
    """Appeals, audits and the resulting downgrade / reversal times of each new action."""
    n = len(actions)
    kind = actions["action_type"]
    created = actions["created_at"]
    risky = world.users.risky[actions["user_id"] - 1]
    factor = np.where(actions["decided_by"] == 0, C.AUTOMATED_OVERTURN_BOOST, 1.0) * np.where(risky, 0.6, 1.0)
    appealed = np.flatnonzero(bernoulli(rng, APPEAL_SHARE[kind] * np.where(risky, 1.2, 1.0), n))
    submitted = quantize(rng, created[appealed] + _hours(rng, 8, 1.2, appealed.size, 0.1, 24 * 14))
    agent = actions["agent_id"]
    level1 = _appeal_level(world, rng, appealed, actions, submitted, 1, agent[appealed], factor[appealed])
    second = level1.take((level1["outcome"] == UPHELD) & bernoulli(rng, C.LEVEL2_SHARE, len(level1)))
    sub2 = quantize(rng, second["decided_at"] + _hours(rng, 20, 0.8, len(second), 1, 24 * 20))
    level2 = _appeal_level(
        world, rng, second["_row"], actions, sub2, 2, second["assigned_agent_id"], factor[second["_row"]]
    )
    appeals = Rows.concat([level1, level2])

    overturned_at = np.full(n, NEVER)
    partial_at = np.full(n, NEVER)
    for outcome, target in ((OVERTURNED, overturned_at), (PARTIALLY_OVERTURNED, partial_at)):
        hit = appeals.take(appeals["outcome"] == outcome)
        target[hit["_row"]] = hit["decided_at"]
    reversed_at = np.where(
        overturned_at != NEVER, overturned_at + (rng.uniform(5, 360, n) * MINUTE).astype(np.int64), NEVER
    )
    downgrade_at = np.where(
        (partial_at != NEVER) & (kind != WARNING),
        partial_at + (rng.uniform(5, 180, n) * MINUTE).astype(np.int64),
        NEVER,
    )
    reason = np.where(reversed_at != NEVER, APPEAL_OVERTURNED, -1)

    cases = _audit_cases(ctx, rng, actions, appeals, overturned_at)
    reviews, policy_ok = qa.audit(world, rng, cases)
    wrong = np.flatnonzero((cases["_row"] >= 0) & (policy_ok == 0))
    rows = cases["_row"][wrong]
    correct = (reversed_at[rows] == NEVER) & bernoulli(rng, C.QA_CORRECTION_SHARE, rows.size)
    rows, when = rows[correct], cases["reviewed_at"][wrong][correct]
    reversed_at[rows] = when + _hours(rng, 4, 1.0, rows.size, 0.2, 72)
    reason[rows] = QA_CORRECTION

    _schedule_side_effects(ctx, world, rng, actions, appeals)
    return {
        "downgrade_at": quantize(rng, downgrade_at),
        "reversed_at": quantize(rng, reversed_at),
        "reversal_reason": reason,
        "appeal_versions": _appeal_versions(ctx, appeals),
        "review_versions": reviews,
    }
