"""Support tickets (and their CSAT ratings and QA samples), each with its whole lifecycle.

A ticket goes new -> open (first reply, assigned) -> [pending -> open] ->
solved -> closed over hours to days; some are re-routed to another queue,
bumped in priority or reassigned. Every change is a version. Appeals-queue
tickets are raised by users appealing an enforcement action.
"""

from __future__ import annotations

import numpy as np

from dagster_project.generator import config as C
from dagster_project.generator import qa
from dagster_project.generator.rand import TICKETS, bernoulli, categorical, lognormal
from dagster_project.generator.ratings import generate_ratings
from dagster_project.generator.roster import (
    AGENT,
    APPEALS,
    FRAUD_OPS,
    GENERAL,
    LEAD,
    SPECIALIST,
    TRUST_SAFETY,
    choose_agents,
)
from dagster_project.generator.rows import Rows
from dagster_project.generator.timestamps import (
    HOUR,
    MINUTE,
    NEVER,
    OFFICE_HOURS,
    as_of,
    day_index,
    quantize,
    times_in_day,
)
from dagster_project.generator.world import Context, World

TS, FRAUD, APPEALS_Q, GENERAL_Q = range(4)  # queue codes (contract order)
QUEUE_TEAM = np.array([TRUST_SAFETY, FRAUD_OPS, APPEALS, GENERAL])
NEW, OPEN, PENDING, SOLVED, CLOSED = range(5)
EMAIL, CHAT, WEB_FORM = range(3)
LOW, NORMAL, HIGH, URGENT = range(4)
TICKET_ID_BASE = 100_000
RELATED_ORDER_SHARE = np.array([0.2, 0.7, 0.0, 0.45])  # by queue


def _h(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return (lognormal(rng, median, sigma, n) * HOUR).astype(np.int64)


def _open_tickets(ctx: Context, world: World, rng: np.random.Generator, day: int) -> Rows:
    """Who asks what, when: ordinary queues by share, plus tickets of appeals submitted today."""
    t0 = ctx.day_start(day)
    n = rng.poisson(ctx.volume(C.TICKETS_PER_DAY, day, ctx.ticket_scale))
    queue = categorical(rng, C.QUEUE_SHARE, n)
    created = times_in_day(rng, n, t0, OFFICE_HOURS)
    requester = world.users.buyers(t0).draw(rng, n) + 1
    order = np.full(n, -1)
    category = np.where(bernoulli(rng, 0.9, n), world.users.category[requester - 1], -1)
    recent = world.recall("orders", day - 13, day)
    if recent is not None:
        recent = recent.take(recent["placed_at"] < t0)
    if recent is not None and len(recent):
        rel = np.flatnonzero(bernoulli(rng, RELATED_ORDER_SHARE[queue], n))
        pick = rng.integers(0, len(recent), rel.size)
        order[rel] = recent["order_id"][pick]
        requester[rel] = recent["buyer_id"][pick]
        category[rel] = recent["category"][pick]
    tickets = Rows(
        {
            "requester_user_id": requester,
            "queue": queue,
            "category": category,
            "related_action_id": -1,
            "related_order_id": order,
            "created_at": created,
        },
        n=n,
    )
    appeals = world.due("appeal_tickets", day)
    if appeals is not None and len(appeals):
        k = len(appeals)
        tickets = Rows.concat(
            [
                tickets,
                Rows(
                    {
                        "requester_user_id": appeals["user_id"],
                        "queue": np.int8(APPEALS_Q),
                        "category": np.where(bernoulli(rng, 0.5, k), world.users.category[appeals["user_id"] - 1], -1),
                        "related_action_id": appeals["action_id"],
                        "related_order_id": -1,
                        "created_at": appeals["submitted_at"] + (rng.uniform(0.5, 20, k) * MINUTE).astype(np.int64),
                    },
                    n=k,
                ),
            ]
        )
    tickets = tickets.assign(created_at=quantize(rng, tickets["created_at"])).sort_by("created_at")
    return Rows({"ticket_id": TICKET_ID_BASE + world.next_ids("ticket", len(tickets)), **tickets})


def _attributes(rng: np.random.Generator, t: Rows) -> dict[str, np.ndarray]:
    n = len(t)
    queue = t["queue"]
    channel = np.where(
        queue == APPEALS_Q, np.where(bernoulli(rng, 0.7, n), WEB_FORM, EMAIL), categorical(rng, C.CHANNEL_SHARE, n)
    )
    priority = categorical(rng, C.PRIORITY_SHARE, n)
    priority = np.where(queue == FRAUD, np.maximum(priority, NORMAL) + bernoulli(rng, 0.4, n), priority).clip(0, URGENT)
    priority = np.where(bernoulli(rng, C.NULL_PRIORITY_SHARE, n), -1, priority)
    requeue = (queue == GENERAL_Q) & bernoulli(rng, C.REQUEUE_SHARE / C.QUEUE_SHARE[GENERAL_Q], n)
    queue1 = np.where(requeue, np.where(bernoulli(rng, 0.6, n), TS, FRAUD), queue)
    bump = (priority >= 0) & (priority < URGENT) & bernoulli(rng, C.PRIORITY_BUMP_SHARE, n)
    return {
        "channel": channel.astype(np.int8),
        "priority0": priority.astype(np.int8),
        "priority1": np.where(bump, priority + 1, priority).astype(np.int8),
        "queue1": queue1.astype(np.int8),
    }


def _lifecycle(rng: np.random.Generator, t: Rows, a: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Event times (NEVER = does not happen)."""
    n = len(t)
    created = t["created_at"]
    target = np.array(C.FIRST_REPLY_MEDIAN_H)[np.where(a["priority0"] < 0, NORMAL, a["priority0"])]
    target = np.where(a["channel"] == CHAT, np.minimum(target, 0.3), target)
    fate = rng.random(n)
    unanswered = fate < C.UNANSWERED_SHARE
    no_reply = (fate >= C.UNANSWERED_SHARE) & (fate < C.UNANSWERED_SHARE + C.SOLVED_WITHOUT_REPLY_SHARE)
    reply = np.where(
        unanswered | no_reply,
        NEVER,
        created + (target * lognormal(rng, 1.0, 0.9, n) * HOUR).astype(np.int64).clip(60_000_000),
    )
    pending = np.where((reply != NEVER) & bernoulli(rng, C.PENDING_SHARE, n), reply + _h(rng, 1, 1.0, n), NEVER)
    answered = (pending != NEVER) & bernoulli(rng, C.CUSTOMER_REPLY_SHARE, n)
    reopen = np.where(answered, pending + _h(rng, 10, 1.0, n), NEVER)
    solved = np.where(reply != NEVER, reply + _h(rng, 6, 1.2, n), created + _h(rng, 2, 1.0, n))
    solved = np.where(
        reopen != NEVER, reopen + _h(rng, 5, 1.0, n), np.where(pending != NEVER, pending + _h(rng, 72, 0.15, n), solved)
    )
    solved = np.where(unanswered, NEVER, solved)
    close_delay = ((C.CLOSE_AFTER_SOLVED_H + rng.uniform(0, 12, n)) * HOUR).astype(np.int64)
    closed = np.where(solved != NEVER, solved + close_delay, NEVER)
    work_start = np.where(reply != NEVER, reply, solved)
    last_work = np.where(reopen != NEVER, reopen, np.where(solved != NEVER, solved, NEVER))
    reassign = (
        (work_start != NEVER) & (last_work != NEVER) & (last_work > work_start) & bernoulli(rng, C.REASSIGN_SHARE, n)
    )
    span = np.where(reassign, last_work - work_start, 0)
    reassign_at = np.where(reassign, work_start + (span * rng.uniform(0.1, 0.9, n)).astype(np.int64), NEVER)
    bump_at = np.where(a["priority1"] != a["priority0"], np.where(pending != NEVER, pending, work_start), NEVER)
    times = dict(
        first_reply_at=reply,
        pending_at=pending,
        reopen_at=reopen,
        solved_at=solved,
        closed_at=closed,
        reassign_at=reassign_at,
        work_start=work_start,
        bump_at=bump_at,
    )
    return {k: quantize(rng, v) for k, v in times.items()}


def _assignees(
    world: World, rng: np.random.Generator, a: dict[str, np.ndarray], life: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    start = np.where(life["work_start"] == NEVER, 0, life["work_start"])
    team = QUEUE_TEAM[a["queue1"]]
    roles = (AGENT, SPECIALIST, LEAD)
    first = choose_agents(rng, world, start, roles, team)
    again = np.where(life["reassign_at"] == NEVER, start, life["reassign_at"])
    second = choose_agents(rng, world, again, roles, team, exclude=first)
    worked = life["work_start"] != NEVER
    return np.where(worked, first, -1), np.where(life["reassign_at"] != NEVER, second, -1)


def _versions(ctx: Context, t: Rows, a: dict, life: dict, first: np.ndarray, second: np.ndarray) -> Rows:
    events = [t["created_at"]] + [
        life[k] for k in ("work_start", "pending_at", "reopen_at", "reassign_at", "solved_at", "closed_at")
    ]
    tt = np.concatenate(events)
    idx = np.tile(np.arange(len(t)), len(events))
    keep = tt != NEVER
    tt, idx = tt[keep], idx[keep]
    v = t.take(idx)
    L = {k: x[idx] for k, x in life.items()}
    v["channel"] = a["channel"][idx]
    worked = L["work_start"] <= tt
    v["queue"] = np.where(worked, a["queue1"][idx], v["queue"]).astype(np.int8)
    v["priority"] = np.where(L["bump_at"] <= tt, a["priority1"][idx], a["priority0"][idx]).astype(np.int8)
    in_pending = (L["pending_at"] <= tt) & (L["reopen_at"] > tt)
    status = np.where(
        L["closed_at"] <= tt,
        CLOSED,
        np.where(L["solved_at"] <= tt, SOLVED, np.where(in_pending, PENDING, np.where(worked, OPEN, NEW))),
    )
    v["status"] = status.astype(np.int8)
    v["assignee_agent_id"] = np.where(L["reassign_at"] <= tt, second[idx], np.where(worked, first[idx], -1))
    v["first_reply_at"] = as_of(L["first_reply_at"], tt)
    v["solved_at"] = as_of(L["solved_at"], tt)
    v["_reassigned"] = (L["reassign_at"] <= tt).astype(np.int8)
    v["updated_at"] = tt
    v["_day"] = day_index(tt, ctx.start_us)
    return v


def _qa_cases(
    ctx: Context,
    rng: np.random.Generator,
    t: Rows,
    a: dict,
    life: dict,
    assignee: np.ndarray,
    low_rated: np.ndarray,
) -> Rows:
    n = len(t)
    ok = (life["solved_at"] != NEVER) & (assignee > 0)
    queue = a["queue1"]
    random = ok & bernoulli(rng, ctx.qa_rate(C.QA_TICKET_RANDOM), n)
    stratified = ok & ~random & (queue != GENERAL_Q) & bernoulli(rng, ctx.qa_rate(C.QA_TICKET_STRATIFIED), n)
    targeted = ok & ~random & ~stratified & low_rated & bernoulli(rng, ctx.qa_rate(C.QA_TICKET_TARGETED), n)
    pick = np.flatnonzero(random | stratified | targeted)
    method = np.where(random, qa.RANDOM, np.where(stratified, qa.STRATIFIED, qa.TARGETED))[pick]
    has_policy = np.where(queue[pick] == GENERAL_Q, bernoulli(rng, 0.05, pick.size), bernoulli(rng, 0.6, pick.size))
    return Rows(
        {
            "case_type": qa.TICKET,
            "case_id": t["ticket_id"][pick],
            "agent_id": assignee[pick],
            "reviewed_at": life["solved_at"][pick] + qa.review_delay(rng, pick.size, 1, 7),
            "sampling_method": method,
            "has_policy": has_policy,
            "difficulty": np.where(low_rated[pick], 0.1, 0.0),
            "category": t["category"][pick],
        }
    )


def generate_tickets(ctx: Context, world: World, day: int) -> dict[str, Rows]:
    """Versions of tickets created on ``day``, their ratings and their QA reviews."""
    rng = ctx.rng(TICKETS, day)
    t = _open_tickets(ctx, world, rng, day)
    a = _attributes(rng, t)
    life = _lifecycle(rng, t, a)
    first, second = _assignees(world, rng, a, life)
    final = np.where(second > 0, second, first)
    ratings, low_rated = generate_ratings(ctx, world, day, t["ticket_id"], life["solved_at"], a["queue1"])
    reviews, _ = qa.audit(world, rng, _qa_cases(ctx, rng, t, a, life, final, low_rated))
    solved = life["solved_at"] != NEVER
    sample = solved & (final > 0) & bernoulli(rng, 0.2, len(t))
    cases = Rows(
        {
            "case_type": qa.TICKET,
            "case_id": t["ticket_id"][sample],
            "agent_id": final[sample],
            "closed_at": life["solved_at"][sample],
            "has_policy": a["queue1"][sample] != GENERAL_Q,
        }
    )
    world.schedule("qa_cases", cases, day_index(cases["closed_at"], ctx.start_us))
    return {
        "tickets": _versions(ctx, t, a, life, first, second),
        "satisfaction_ratings": ratings,
        "qa_reviews": reviews,
    }
