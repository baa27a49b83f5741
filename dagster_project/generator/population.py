"""The users table: the initial population (bootstrap dump) and daily signups, with their futures.

A user's whole future is drawn when the user is created (email and ID
verification, becoming a seller, seller tier upgrades); each event inside the
export window becomes a version. Hidden traits (risky, activity weights,
favourite category) stay in ``World.users`` to drive the other tables.
"""

from __future__ import annotations

import numpy as np

from dagster_project.generator import config as C
from dagster_project.generator.rand import USERS, bernoulli, categorical, lognormal
from dagster_project.generator.rows import Rows
from dagster_project.generator.timestamps import DAY, MINUTE, NEVER, SHOPPING_HOURS, day_index, quantize, times_in_day
from dagster_project.generator.world import Context, World

UNVERIFIED, EMAIL_VERIFIED, ID_VERIFIED = range(3)
NEW, ESTABLISHED, TOP = range(3)
YEAR = 365 * DAY


def _days(values: np.ndarray) -> np.ndarray:
    return (values * DAY).astype(np.int64)


def _seller_future(
    rng: np.random.Generator, seller_since: np.ndarray, seller_weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """When each seller becomes ``established`` and (for the biggest) ``top``."""
    n = seller_since.size
    is_seller = seller_since != NEVER
    established = np.where(is_seller, seller_since + _days(lognormal(rng, 90, 0.6, n)), NEVER)
    middle = np.median(seller_weight) if n else 0.0  # a day without signups: nothing to weigh
    top_chance = C.TOP_TIER_SHARE * 2 * seller_weight / (seller_weight + middle + 1e-9)
    top = np.where(is_seller & bernoulli(rng, top_chance, n), established + _days(lognormal(rng, 200, 0.5, n)), NEVER)
    return established, np.where(established == NEVER, NEVER, top)


def _verification_future(
    rng: np.random.Generator, signup: np.ndarray, seller_since: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    n = signup.size
    quick = bernoulli(rng, C.EMAIL_VERIFIED_SHARE, n)
    email = signup + np.where(
        quick, (lognormal(rng, 15, 1.5, n) * MINUTE).astype(np.int64), _days(lognormal(rng, 120, 1.0, n))
    )
    is_seller = seller_since != NEVER
    seller_id = is_seller & bernoulli(rng, C.SELLER_ID_VERIFIED_SHARE, n)
    buyer_id = ~is_seller & bernoulli(rng, C.BUYER_ID_VERIFIED_SHARE, n)
    id_verified = np.where(seller_id, np.maximum(seller_since, signup) + _days(lognormal(rng, 3, 1.0, n)), NEVER)
    id_verified = np.where(buyer_id, signup + _days(lognormal(rng, 60, 1.0, n)), id_verified)
    return email, id_verified


def _traits(rng: np.random.Generator, n: int, sellers: np.ndarray) -> dict[str, np.ndarray]:
    risky = bernoulli(rng, np.where(sellers, C.RISKY_SELLER_SHARE, C.RISKY_USER_SHARE), n)
    return {
        "weight": rng.lognormal(0.0, 1.2, n),
        "seller_weight": rng.lognormal(0.0, 1.0, n) * np.where(risky, 1.3, 1.0),
        "risky": risky,
        "category": categorical(rng, tuple(C.CATEGORY_SHARE.values()), n),
        "country": categorical(rng, C.COUNTRY_SHARE, n),
    }


def _versions(ctx: Context, numbers: np.ndarray, first_t: np.ndarray, u: dict[str, np.ndarray]) -> Rows:
    """One version at ``first_t`` and one at each later event; state columns as of each version."""
    events = [first_t, u["email_at"], u["id_at"], u["seller_since"], u["established_at"], u["top_at"]]
    t = np.concatenate(events)
    idx = np.tile(np.arange(numbers.size), len(events))
    keep = (t != NEVER) & (t >= first_t[idx]) & ((t > first_t[idx]) | (np.arange(t.size) < numbers.size))
    t, idx = t[keep], idx[keep]
    tier = np.where(u["top_at"][idx] <= t, TOP, np.where(u["established_at"][idx] <= t, ESTABLISHED, NEW))
    is_seller = u["seller_since"][idx] <= t
    verification = np.where(
        u["id_at"][idx] <= t, ID_VERIFIED, np.where(u["email_at"][idx] <= t, EMAIL_VERIFIED, UNVERIFIED)
    )
    return Rows(
        {
            "user_id": numbers[idx],
            "country": u["country"][idx],
            "signup_at": u["signup_at"][idx],
            "is_seller": is_seller.astype(np.int8),
            "seller_tier": np.where(is_seller, tier, -1).astype(np.int8),
            "verification_status": verification.astype(np.int8),
            "updated_at": t,
            "_day": day_index(t, ctx.start_us),
        }
    )


def _create(
    ctx: Context,
    world: World,
    rng: np.random.Generator,
    signup: np.ndarray,
    seller_since: np.ndarray,
    first_t: np.ndarray,
) -> Rows:
    n = signup.size
    traits = _traits(rng, n, seller_since <= first_t)
    established, top = _seller_future(rng, seller_since, traits["seller_weight"])
    email, id_at = _verification_future(rng, signup, seller_since)
    u = {
        "signup_at": signup,
        "seller_since": quantize(rng, seller_since),
        "established_at": quantize(rng, established),
        "top_at": quantize(rng, top),
        "email_at": quantize(rng, email),
        "id_at": quantize(rng, id_at),
        **traits,
    }
    numbers = world.users.append(
        signup_at=signup,
        seller_since=u["seller_since"],
        weight=traits["weight"],
        seller_weight=traits["seller_weight"],
        risky=traits["risky"],
        category=traits["category"],
        blocked_until=np.full(n, np.iinfo(np.int64).min, dtype=np.int64),
    )
    return _versions(ctx, numbers, first_t, u)


def bootstrap_users(ctx: Context, world: World) -> Rows:
    """Users who signed up before the start, dumped in the first minutes of day 0 (state as of then)."""
    rng = ctx.rng(USERS, 0, sub=1)
    n = max(200, round(C.INITIAL_USERS * ctx.scale))
    age_days = 1 + 1460 * rng.random(n) ** 1.7
    signup = quantize(rng, np.sort(ctx.start_us - _days(age_days)))
    sellers = bernoulli(rng, C.BOOTSTRAP_SELLER_SHARE, n)
    seller_since = np.where(sellers, signup + ((ctx.start_us - signup) * rng.random(n) * 0.7).astype(np.int64), NEVER)
    later = ~sellers & bernoulli(rng, 0.02, n)  # ~2 % of existing buyers open a shop within a year
    seller_since = np.where(later, ctx.start_us + _days(rng.random(n) * 365), seller_since)
    boot = quantize(rng, ctx.start_us + (rng.random(n) * 45 * MINUTE).astype(np.int64))
    return _create(ctx, world, rng, signup, seller_since, boot)


def signups(ctx: Context, world: World, day: int) -> Rows:
    """New users of ``day``: a few sign up as sellers, some open a shop weeks later."""
    rng = ctx.rng(USERS, day + 1)
    n = rng.poisson(ctx.volume(C.SIGNUPS_PER_DAY, day))
    signup = quantize(rng, np.sort(times_in_day(rng, n, ctx.day_start(day), SHOPPING_HOURS)))
    kind = rng.random(n)
    seller_since = np.where(kind < C.SIGNUP_SELLER_SHARE, signup, NEVER)
    later = (kind >= C.SIGNUP_SELLER_SHARE) & (kind < C.SIGNUP_SELLER_SHARE + C.LATER_SELLER_SHARE)
    seller_since = np.where(later, signup + _days(lognormal(rng, 30, 0.8, n)), seller_since)
    return _create(ctx, world, rng, signup, seller_since, signup)
