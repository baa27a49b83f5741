"""The agents table: the initial roster, hires, team changes and departures; choosing agents for work."""

from __future__ import annotations

import numpy as np

from dagster_project.generator import config as C
from dagster_project.generator.rand import AGENTS, categorical
from dagster_project.generator.rows import Rows
from dagster_project.generator.timestamps import DAY, MINUTE, NEVER, day_index, quantize
from dagster_project.generator.world import Agents, Context, World

# role codes, in the order of the contract's enumeration: agent, specialist, lead, qa_reviewer
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
        role=roles,
        team0=team0,
        team1=team1,
        team_change_at=quantize(rng, change_at.astype(np.int64)),
        site=rng.integers(0, len(SITES), n).astype(np.int8),
        hired_at=hired_at,
        left_at=quantize(rng, left_at),
        skill=rng.beta(18, 2, n),
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


def agent_versions(ctx: Context, agents: Agents) -> Rows:
    """Versions: the bootstrap dump (first minutes of day 0), then hires, team changes and departures."""
    rng = ctx.rng(AGENTS, 0, sub=999)
    number = np.arange(1, agents.n + 1, dtype=np.int64)
    boot = quantize(rng, ctx.start_us + (rng.random(agents.n) * 30 * MINUTE).astype(np.int64))
    first = np.where(agents.hired_at < ctx.start_us, boot, agents.hired_at)
    events = [first, agents.team_change_at, agents.left_at]
    t = np.concatenate(events)
    idx = np.tile(np.arange(agents.n), len(events))
    keep = (t != NEVER) & (t >= first[idx])
    t, idx = t[keep], idx[keep]
    team = np.where(agents.team_change_at[idx] <= t, agents.team1[idx], agents.team0[idx])
    return Rows(
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


def _on_duty(agents: Agents, day_start: int) -> tuple[np.ndarray, np.ndarray]:
    """Agents employed for the whole UTC day starting at ``day_start`` without changing team, and their team."""
    day_end = day_start + DAY
    steady = (agents.hired_at <= day_start) & (agents.left_at > day_end)
    steady &= ~((agents.team_change_at > day_start) & (agents.team_change_at <= day_end))
    team = np.where(agents.team_change_at <= day_start, agents.team1, agents.team0)
    return steady, team


def _pick(rng_u: np.ndarray, pool: np.ndarray, exclude: np.ndarray) -> np.ndarray:
    """A uniform choice from ``pool`` (agent numbers) per row, stepping past ``exclude`` when possible."""
    k = np.floor(rng_u * pool.size).astype(np.int64)
    chosen = pool[k]
    clash = (chosen == exclude) & (pool.size > 1)
    return np.where(clash, pool[(k + 1) % pool.size], chosen)


def choose_agents(
    rng: np.random.Generator,
    world: World,
    t: np.ndarray,
    roles: tuple[int, ...],
    teams: np.ndarray | None = None,
    exclude: np.ndarray | None = None,
) -> np.ndarray:
    """For each instant, a random agent (number) on duty that day, with one of ``roles`` and in team ``teams[i]``.

    Falls back to anyone on duty with those roles, then to any non-QA agent on duty, then to any agent
    employed at all. Avoids ``exclude[i]`` (e.g. the first agent of a case) when another is eligible.
    """
    agents = world.agents
    n = t.size
    chosen = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return chosen
    u = rng.random(n)
    exclude = np.full(n, -1) if exclude is None else exclude
    team_of_row = np.full(n, -1) if teams is None else np.asarray(teams)
    numbers = np.arange(1, agents.n + 1)
    day_start = t - t % DAY
    has_role = np.isin(agents.role, roles)
    for d in np.unique(day_start):
        on_duty, team = _on_duty(agents, int(d))
        pools = [on_duty & has_role, on_duty & (agents.role != QA_REVIEWER), agents.hired_at <= d]
        in_day = day_start == d
        for wanted in np.unique(team_of_row[in_day]):
            rows = np.flatnonzero(in_day & (team_of_row == wanted))
            first = [pools[0] & (team == wanted)] if wanted >= 0 else []
            pool = next((numbers[m] for m in first + pools if m.any()), numbers[:1])
            chosen[rows] = _pick(u[rows], pool, exclude[rows])
    return chosen
