"""Reports against users and enforcement actions (with their appeals, QA audits and reversals).

Reports come from live shows (against the host) or elsewhere, and pile up on
risky users. Actions are detected automatically, from recent reports or by
agents; an action's whole future is drawn at once (see ``appeals``), so its
versions (created, downgraded, reversed) are known when it is created.
"""

from __future__ import annotations

import numpy as np

from dagster_project.contract import POLICIES
from dagster_project.generator import config as C
from dagster_project.generator.appeals import action_futures
from dagster_project.generator.rand import ACTIONS, REPORTS, bernoulli, categorical, weighted_index
from dagster_project.generator.roster import AGENT, FRAUD_OPS, LEAD, SPECIALIST, TRUST_SAFETY, choose_agents
from dagster_project.generator.rows import Rows
from dagster_project.generator.timestamps import (
    DAY,
    HOUR,
    NEVER,
    OFFICE_HOURS,
    SHOPPING_HOURS,
    as_of,
    day_index,
    quantize,
    times_in_day,
)
from dagster_project.generator.world import Context, World

OTHER_REASON = len(POLICIES)
RISKY_REASON_SHARE = (0.3, 0.2, 0.1, 0.12, 0.13, 0.1, 0.05)
AUTOMATED, USER_REPORT, PROACTIVE_AGENT = range(3)
DECIDED_AUTOMATED, DECIDED_AGENT = range(2)
WARNING, LISTING_REMOVAL, SHOW_TERMINATION, SUSPENSION, BAN = range(5)
FRAUD = POLICIES.index("fraud")


def _existing(world: World, t0: int) -> int:
    return int(np.searchsorted(world.users.signup_at, t0))


def generate_reports(ctx: Context, world: World, day: int, shows: Rows) -> Rows:
    rng = ctx.rng(REPORTS, day)
    t0 = ctx.day_start(day)
    users = world.users
    n = rng.poisson(C.REPORTS_PER_USER_DAY * _existing(world, t0) * ctx.weekday_factor(day))
    n_show = rng.binomial(n, 0.5) if len(shows) else 0
    host_risky = users.risky[shows["seller_id"] - 1] if len(shows) else np.zeros(0, dtype=bool)
    pick = (
        weighted_index(rng, shows["peak_viewers"] * np.where(host_risky, 8.0, 1.0), n_show)
        if n_show
        else np.zeros(0, dtype=np.int64)
    )
    started, ended = shows["started_at"][pick], shows["ended_at"][pick]
    show_t = started + ((ended - started) * rng.random(n_show)).astype(np.int64)
    other = users.suspects(t0).draw(rng, n - n_show) + 1
    reported = np.concatenate([shows["seller_id"][pick], other]).astype(np.int64)
    created = quantize(rng, np.concatenate([show_t, times_in_day(rng, other.size, t0, SHOPPING_HOURS)]))
    show_id = np.concatenate([shows["show_id"][pick], np.full(other.size, -1)]).astype(np.int64)
    reporter = users.buyers(t0).draw(rng, reported.size) + 1
    reporter = np.where(reporter == reported, reporter % max(_existing(world, t0), 1) + 1, reporter)
    risky = users.risky[reported - 1]
    reason = np.where(
        risky,
        categorical(rng, RISKY_REASON_SHARE, reported.size),
        categorical(rng, C.REPORT_REASON_SHARE, reported.size),
    ).astype(np.int8)
    order = np.argsort(created, kind="stable")
    r = Rows(
        {
            "report_id": world.next_ids("report", reported.size),
            "reporter_id": reporter[order],
            "reported_user_id": reported[order],
            "show_id": show_id[order],
            "reason": reason[order],
            "created_at": created[order],
        }
    )
    moved = bernoulli(rng, C.REPORT_RECLASSIFIED_SHARE, len(r))
    k = int(moved.sum())
    new_reason = ((r["reason"][moved] + rng.integers(1, 7, k)) % 7).astype(np.int8)
    later = r.take(moved).assign(
        reason=new_reason,
        updated_at=quantize(rng, r["created_at"][moved] + (rng.uniform(1, 30, k) * HOUR).astype(np.int64)),
    )
    final_reason = r["reason"].copy()
    final_reason[moved] = new_reason
    world.remember(
        "reports",
        day,
        Rows({"reported_user_id": r["reported_user_id"], "reason": final_reason, "created_at": r["created_at"]}),
        keep_days=3,
    )
    v = Rows.concat([r.assign(updated_at=r["created_at"]), later])
    v["_day"] = day_index(v["updated_at"], ctx.start_us)
    return v


def _targets(
    ctx: Context, world: World, rng: np.random.Generator, day: int, source: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Who is acted on, and under which policy: recent reports' targets, or risky-weighted users."""
    t0 = ctx.day_start(day)
    users = world.users
    n = source.size
    user = users.suspects(t0).draw(rng, n) + 1
    policy = categorical(rng, tuple(C.POLICY_SHARE.values()), n)
    reports = world.recall("reports", day - 3, day - 1)
    from_report = np.flatnonzero(source == USER_REPORT)
    if reports is not None and from_report.size:
        pick = rng.integers(0, len(reports), from_report.size)
        user[from_report] = reports["reported_user_id"][pick]
        reason = reports["reason"][pick]
        policy[from_report] = np.where(reason == OTHER_REASON, policy[from_report], reason)
    return user, policy.astype(np.int8)


def _action_types(rng: np.random.Generator, policy: np.ndarray, automated: np.ndarray) -> np.ndarray:
    kinds = np.zeros(policy.size, dtype=np.int8)
    for code, name in enumerate(POLICIES):
        rows = np.flatnonzero(policy == code)
        kinds[rows] = categorical(rng, C.ACTION_TYPE_SHARE[name], rows.size)
    return np.where(automated & (kinds == BAN), SUSPENSION, kinds).astype(np.int8)


def _create_actions(ctx: Context, world: World, rng: np.random.Generator, day: int) -> Rows:
    t0 = ctx.day_start(day)
    n = rng.poisson(C.ACTIONS_PER_USER_DAY * _existing(world, t0) * ctx.weekday_factor(day))
    source = categorical(rng, C.DETECTION_SHARE, n)
    if world.recall("reports", day - 3, day - 1) is None:
        source = np.where(source == USER_REPORT, AUTOMATED, source).astype(np.int8)
    user, policy = _targets(ctx, world, rng, day, source)
    automated = (source == AUTOMATED) & bernoulli(rng, C.AUTOMATED_DECIDED_BY_AUTOMATION, n)
    created = quantize(rng, np.sort(times_in_day(rng, n, t0, OFFICE_HOURS)))
    team = np.where(policy == FRAUD, FRAUD_OPS, TRUST_SAFETY)
    agent = choose_agents(rng, world, created, (AGENT, SPECIALIST, LEAD), team)
    return Rows(
        {
            "action_id": world.next_ids("action", n),
            "user_id": user,
            "action_type": _action_types(rng, policy, automated),
            "policy": policy,
            "detection_source": source,
            "decided_by": np.where(automated, DECIDED_AUTOMATED, DECIDED_AGENT).astype(np.int8),
            "agent_id": np.where(automated, -1, agent),
            "created_at": created,
        }
    )


DOWNGRADE = np.array([WARNING, WARNING, WARNING, WARNING, SUSPENSION], dtype=np.int8)  # by action type


def _action_versions(ctx: Context, actions: Rows, fut: dict[str, np.ndarray]) -> Rows:
    events = [actions["created_at"], fut["downgrade_at"], fut["reversed_at"]]
    t = np.concatenate(events)
    idx = np.tile(np.arange(len(actions)), len(events))
    keep = t != NEVER
    t, idx = t[keep], idx[keep]
    v = actions.take(idx)
    kind = v["action_type"]
    v["action_type"] = np.where(fut["downgrade_at"][idx] <= t, DOWNGRADE[kind], kind).astype(np.int8)
    v["reversed_at"] = as_of(fut["reversed_at"][idx], t)
    v["reversal_reason"] = np.where(v["reversed_at"] != NEVER, fut["reversal_reason"][idx], -1).astype(np.int8)
    v["updated_at"] = t
    v["_day"] = day_index(t, ctx.start_us)
    return v


def _block_users(world: World, rng: np.random.Generator, actions: Rows, fut: dict[str, np.ndarray]) -> None:
    kind = actions["action_type"]
    created = actions["created_at"]
    days = rng.integers(C.SUSPENSION_DAYS[0], C.SUSPENSION_DAYS[1] + 1, len(actions))
    until = np.where(kind == BAN, NEVER, np.where(kind == SUSPENSION, created + days * DAY, created))
    until = np.minimum(until, fut["reversed_at"])
    world.users.block(actions["user_id"], until)


def generate_actions(ctx: Context, world: World, day: int) -> dict[str, Rows]:
    """Versions of ``day``'s enforcement actions, their appeals and their QA reviews."""
    rng = ctx.rng(ACTIONS, day)
    actions = _create_actions(ctx, world, rng, day)
    fut = action_futures(ctx, world, rng, day, actions)
    _block_users(world, rng, actions, fut)
    return {
        "enforcement_actions": _action_versions(ctx, actions, fut),
        "appeals": fut["appeal_versions"],
        "qa_reviews": fut["review_versions"],
    }
