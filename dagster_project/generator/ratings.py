"""CSAT ratings of solved tickets: scores skewed positive, a few edited later, a few tickets rated twice."""

from __future__ import annotations

import numpy as np

from dagster_project.generator import config as C
from dagster_project.generator.rand import RATINGS, bernoulli, categorical, lognormal
from dagster_project.generator.rows import Rows
from dagster_project.generator.timestamps import DAY, HOUR, MINUTE, NEVER, day_index, quantize
from dagster_project.generator.world import Context, World

APPEALS_QUEUE = 2


def _scores(rng: np.random.Generator, queue: np.ndarray) -> np.ndarray:
    n = queue.size
    score = categorical(rng, C.RATING_SCORE_SHARE, n).astype(np.int64) + 1
    unhappy = (queue == APPEALS_QUEUE) & bernoulli(rng, 0.5, n)
    return np.where(unhappy, np.maximum(1, score - 2), score)


def generate_ratings(
    ctx: Context, world: World, day: int, ticket_ids: np.ndarray, solved_at: np.ndarray, queue: np.ndarray
) -> tuple[Rows, np.ndarray]:
    """Rating versions for the given tickets, and whether each ticket was rated 1-2."""
    rng = ctx.rng(RATINGS, day)
    n = ticket_ids.size
    rated = np.flatnonzero((solved_at != NEVER) & bernoulli(rng, C.RATED_SHARE, n))
    created = solved_at[rated] + (lognormal(rng, 5, 1.0, rated.size).clip(0.1, 24 * 7) * HOUR).astype(np.int64)
    score = np.where(bernoulli(rng, C.RATING_UNANSWERED_SHARE, rated.size), -1, _scores(rng, queue[rated]))
    low = np.zeros(n, dtype=bool)
    low[rated] = (score >= 1) & (score <= 2)
    again = bernoulli(rng, C.SECOND_RATING_SHARE, rated.size)
    rows = np.concatenate([rated, rated[again]])
    created = np.concatenate(
        [created, created[again] + (lognormal(rng, 2, 0.5, int(again.sum())) * DAY).astype(np.int64)]
    )
    score = np.concatenate([score, _scores(rng, queue[rated[again]])])
    order = np.argsort(created, kind="stable")
    rows, created, score = rows[order], quantize(rng, created[order]), score[order]
    m = rows.size
    r = Rows(
        {
            "rating_id": world.next_ids("rating", m),
            "ticket_id": ticket_ids[rows],
            "score": score,
            "_has_comment": bernoulli(rng, C.RATING_COMMENT_SHARE, m),
            "created_at": created,
            "updated_at": created,
        }
    )
    edited = r.take(bernoulli(rng, C.RATING_EDIT_SHARE, m) & (score > 0))
    k = len(edited)
    edited["score"] = np.clip(edited["score"] + rng.choice([-2, -1, 1, 2], k), 1, 5)
    edited["_has_comment"] = edited["_has_comment"] | bernoulli(rng, 0.5, k)
    edited["updated_at"] = quantize(
        rng, edited["created_at"] + (lognormal(rng, 8, 1.0, k) * HOUR).astype(np.int64) + MINUTE
    )
    v = Rows.concat([r, edited])
    v["_day"] = day_index(v["updated_at"], ctx.start_us)
    return v, low
