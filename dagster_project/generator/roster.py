"""The agents table: the initial roster, hires, team changes and departures; choosing agents for work."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.contract import table
from dagster_project.generator import config as C
from dagster_project.generator.rand import AGENTS, categorical
from dagster_project.generator.timestamps import DAY, MINUTE, NEVER, day_index, quantize
from dagster_project.generator.world import Agents, Context, World

ROLES = table("agents").column("role").values  # agent, specialist, lead, qa_reviewer
AGENT, SPECIALIST, LEAD, QA_REVIEWER = range(4)
TEAMS = ("general_support", "trust_safety", "fraud_ops", "appeals", "quality")
GENERAL, TRUST_SAFETY, FRAUD_OPS, APPEALS, QUALITY = range(5)
SITES = ("dublin", "austin", "manila", "krakow", "bogota")
TEAM_SHARE = (0.4, 0.25, 0.15, 0.2)  # of non-QA staff over the four work teams
YEAR = 365 * DAY
ATTRITION_PER_YEAR = 0.3
TEAM_CHANGE_PER_YEAR = 0.2


def roster_size(scale: float) -> int:
    return max(C.MIN_AGENTS, round(C.AGENTS_AT_SCALE_1 * scale**0.75))


def _roles(rng: np.random.Generator, n: int) -> np.ndarray:
    n_qa = max(C.MIN_QA_REVIEWERS, round(0.1 * n))
    n_lead = max(4, round(0.08 * n))
    n_spec = round(0.2 * n)
    roles = np.full(n, AGENT, dtype=np.int8)
    roles[:n_qa] = QA_REVIEWER
    roles[n_qa : n_qa + n_lead] = LEAD
    roles[n_qa + n_lead : n_qa + n_lead + n_spec] = SPECIALIST
    return rng.permutation(roles)


def _teams(rng: np.random.Generator, roles: np.ndarray) -> np.ndarray:
    """Work teams by share, every team getting at least one lead and two others; QA in ``quality``."""
    teams = categorical(rng, TEAM_SHARE, roles.size).astype(np.int8)
    for role, per_team in ((LEAD, 1), (AGENT, 2)):
        members = np.flatnonzero(roles == role)[: 4 * per_team]
        teams[members] = np.arange(members.size) % 4
    teams[roles == QA_REVIEWER] = QUALITY
    return teams


def _new_agents(rng: np.random.Generator, roles: np.ndarray, hired_at: np.ndarray, start_us: int) -> Agents:
    """Agents with their future: one possible team change and one departure, both after the start."""
    n = roles.size
    team0 = _teams(rng, roles)
    base = np.maximum(hired_at, start_us)
    moves = (roles != QA_REVIEWER) & (roles != LEAD)
    change_at = np.where(moves, base + (rng.exponential(1 / TEAM_CHANGE_PER_YEAR, n) * YEAR).astype(np.int64), NEVER)
    team1 = np.where(moves, (team0 + rng.integers(1, 4, n)) % 4, team0).astype(np.int8)
    left_at = base + ((0.1 + rng.exponential(1 / ATTRITION_PER_YEAR, n)) * YEAR).astype(np.int64)
    change_at = np.where(change_at < left_at, change_at, NEVER)
    return Agents(
        role=roles, team0=team0, team1=team1, team_change_at=quantize(rng, change_at.astype(np.int64)),
        site=rng.integers(0, len(SITES), n).astype(np.int8), hired_at=hired_at,
        left_at=quantize(rng, left_at), skill=rng.beta(18, 2, n),
    )


def _concat(a: Agents, b: Agents) -> Agents:
    return Agents(**{f: np.concatenate([getattr(a, f), getattr(b, f)]) for f in Agents.__dataclass_fields__})


def build_roster(ctx: Context) -> Agents:
    """Initial roster (hired before the start) plus hires scheduled year by year."""
    rng = ctx.rng(AGENTS, 0)
    n = roster_size(ctx.scale)
    years_ago = np.minimum(rng.lognormal(np.log(1.5), 0.8, n), 8.0) + 30 / 365
    hired = quantize(rng, ctx.start_us - (years_ago * YEAR).astype(np.int64))
    agents = _new_agents(rng, _roles(rng, n), hired, ctx.start_us)
    for year in range(ctx.days // 365 + 1):
        rng_y = ctx.rng(AGENTS, 0, sub=year + 1)
        k = rng_y.poisson(ATTRITION_PER_YEAR * n)
        hired_at = ctx.start_us + year * YEAR + (rng_y.random(k) * YEAR).astype(np.int64)
        roles = categorical(rng_y, (0.8, 0.1, 0.0, 0.1), k).astype(np.int8)
        agents = _concat(agents, _new_agents(rng_y, roles, quantize(rng_y, np.sort(hired_at)), ctx.start_us))
    return agents


def agent_versions(ctx: Context, agents: Agents) -> pd.DataFrame:
    """Versions: the bootstrap dump (first minutes of day 0), then hires, team changes and departures."""
    rng = ctx.rng(AGENTS, 0, sub=999)
    number = np.arange(1, agents.n + 1, dtype=np.int64)
    boot = ctx.start_us + (rng.random(agents.n) * 30 * MINUTE).astype(np.int64)
    first = np.where(agents.hired_at < ctx.start_us, boot, agents.hired_at)
    events = [first, agents.team_change_at, agents.left_at]
    t = np.concatenate(events)
    idx = np.tile(np.arange(agents.n), len(events))
    keep = (t != NEVER) & (t >= first[idx])
    t, idx = t[keep], idx[keep]
    team = np.where(agents.team_change_at[idx] <= t, agents.team1[idx], agents.team0[idx])
    return pd.DataFrame(
        {
            "agent_id": number[idx],
            "team": team,
            "site": agents.site[idx],
            "role": agents.role[idx],
            "hired_at": agents.hired_at[idx],
            "active": (agents.left_at[idx] > t).astype(np.int8),
            "updated_at": t,
            "_day": day_index(t, ctx.start_us),
        }
    )


def choose_agents(
    rng: np.random.Generator,
    world: World,
    t: np.ndarray,
    roles: tuple[int, ...],
    teams: np.ndarray | None = None,
    exclude: np.ndarray | None = None,
) -> np.ndarray:
    """For each instant, a random agent (number) active then, with one of ``roles`` and in team ``teams[i]``.

    Falls back to any active non-QA agent of those roles, then to any active agent. Never returns
    ``exclude[i]``'s agent when another is eligible.
    """
    agents = world.agents
    n = t.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    active = agents.active_at(t)
    has_role = np.isin(agents.role, roles)[None, :]
    numbers = np.arange(1, agents.n + 1)
    not_excluded = np.ones((n, agents.n), dtype=bool) if exclude is None else numbers[None, :] != exclude[:, None]
    candidates = [active & has_role & not_excluded, active & has_role, active & (agents.role != QA_REVIEWER)[None, :], active]
    if teams is not None:
        candidates.insert(0, candidates[0] & (agents.team_at(t) == teams[:, None]))
    chosen = np.full(n, -1, dtype=np.int64)
    u = rng.random(n)
    for eligible in candidates:
        todo = chosen < 0
        if not todo.any():
            break
        cum = np.cumsum(eligible[todo], axis=1)
        count = cum[:, -1]
        k = np.floor(u[todo] * count).astype(np.int64)
        pick = np.argmax(cum > k[:, None], axis=1)
        chosen[np.flatnonzero(todo)[count > 0]] = numbers[pick[count > 0]]
    return np.where(chosen < 0, 1, chosen)
