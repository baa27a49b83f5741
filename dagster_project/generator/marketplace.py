"""Shows, orders and disputes of one day, each with its whole lifecycle.

Shows are hosted by sellers; most orders are placed during a show (same seller
and category), the rest on plain listings. An order's future is drawn at once:
cancellation, shipping, delivery, a refund, maybe a dispute (resolved days
later; a buyer win refunds the order). Every status change is a version.
"""

from __future__ import annotations

import numpy as np

from dagster_project.contract import CATEGORIES
from dagster_project.generator import config as C
from dagster_project.generator.rand import ORDERS, SHOWS, bernoulli, categorical, lognormal, weighted_index
from dagster_project.generator.rows import Rows
from dagster_project.generator.timestamps import (
    HOUR,
    NEVER,
    SHOPPING_HOURS,
    as_of,
    day_index,
    quantize,
    times_in_day,
)
from dagster_project.generator.world import Context, World

PLACED, SHIPPED, DELIVERED, CANCELLED, REFUNDED = range(5)
CHARGEBACK, ITEM_NOT_RECEIVED, NOT_AS_DESCRIBED, COUNTERFEIT_CLAIM = range(4)
BUYER_WON, SELLER_WON = range(2)


def _hours(values: np.ndarray) -> np.ndarray:
    return (values * HOUR).astype(np.int64)


def generate_shows(ctx: Context, world: World, day: int) -> tuple[Rows, Rows]:
    """Shows starting on ``day``: (versions, the shows themselves for orders and reports)."""
    rng = ctx.rng(SHOWS, day)
    t0 = ctx.day_start(day)
    expected = ctx.volume(C.ORDERS_PER_DAY * C.LIVE_ORDER_SHARE / C.ORDERS_PER_SHOW, day)
    sellers = world.users.sellers(t0)
    n = rng.poisson(expected) if sellers.total > 0 else 0
    seller = sellers.draw(rng, n) + 1
    own_category = world.users.category[seller - 1]
    category = np.where(bernoulli(rng, 0.9, n), own_category, categorical(rng, tuple(C.CATEGORY_SHARE.values()), n))
    started = quantize(rng, times_in_day(rng, n, t0, SHOPPING_HOURS))
    ended = quantize(rng, started + _hours(lognormal(rng, 2.0, 0.5, n).clip(0.25, 10)))
    peak = np.maximum(3, lognormal(rng, 60, 1.0, n) * np.sqrt(world.users.seller_weight[seller - 1])).astype(np.int64)
    shows = Rows(
        {
            "show_id": world.next_ids("show", n),
            "seller_id": seller,
            "category": category.astype(np.int8),
            "started_at": started,
            "ended_at": ended,
            "peak_viewers": peak,
        }
    )
    live = shows.assign(
        ended_at=NEVER,
        peak_viewers=np.maximum(1, (peak * rng.uniform(0.1, 0.5, n)).astype(np.int64)),
        updated_at=started,
    )
    done = shows.assign(updated_at=quantize(rng, ended + (rng.random(n) * 60_000_000).astype(np.int64)))
    versions = Rows.concat([live, done])
    versions["_day"] = day_index(versions["updated_at"], ctx.start_us)
    return versions, shows


def _buyers(rng: np.random.Generator, world: World, t0: int, seller: np.ndarray) -> np.ndarray:
    """Weighted buyers; risky sellers' orders often come from a few linked accounts (shill proxy)."""
    n = seller.size
    buyer = world.users.buyers(t0).draw(rng, n) + 1
    risky = world.users.risky[seller - 1]
    linked = risky & bernoulli(rng, 0.3, n)
    n_users = int(np.searchsorted(world.users.signup_at, t0)) or 1
    partner = (seller * 7919 + rng.integers(0, 3, n)) % n_users + 1
    buyer = np.where(linked, partner, buyer)
    return np.where(buyer == seller, buyer % world.users.n + 1, buyer)


def _amounts(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    median = np.array([C.MEDIAN_AMOUNT_USD[c] for c in CATEGORIES], dtype=np.float64)[category]
    return np.maximum(100, np.round(lognormal(rng, 1.0, 0.8, category.size) * median * 100)).astype(np.int64)


def _place(ctx: Context, world: World, rng: np.random.Generator, day: int, shows: Rows) -> Rows:
    """The orders of ``day``: in shows (during the show) and on plain listings."""
    t0 = ctx.day_start(day)
    n = rng.poisson(ctx.volume(C.ORDERS_PER_DAY, day))
    n_live = rng.binomial(n, C.LIVE_ORDER_SHARE) if len(shows) else 0
    pick = (
        weighted_index(rng, shows["peak_viewers"].astype(np.float64), n_live) if n_live else np.zeros(0, dtype=np.int64)
    )
    s = (
        shows.take(pick)
        if len(shows)
        else Rows(
            {c: np.zeros(0, dtype=np.int64) for c in ("show_id", "seller_id", "category", "started_at", "ended_at")}
        )
    )
    start, end = s["started_at"], s["ended_at"]
    live_t = start + ((end - start) * rng.random(n_live)).astype(np.int64)
    n_plain = n - n_live
    plain_seller = world.users.sellers(t0).draw(rng, n_plain) + 1
    n_plain = plain_seller.size
    seller = np.concatenate([s["seller_id"], plain_seller])
    category = np.concatenate([s["category"], world.users.category[plain_seller - 1]]).astype(np.int8)
    placed = np.concatenate([live_t, times_in_day(rng, n_plain, t0, SHOPPING_HOURS)])
    order = np.argsort(placed, kind="stable")
    show_id = np.concatenate([s["show_id"], np.full(n_plain, -1)])[order]
    seller, category, placed = seller[order], category[order], quantize(rng, placed[order])
    return Rows(
        {
            "order_id": world.next_ids("order", seller.size),
            "buyer_id": _buyers(rng, world, t0, seller),
            "seller_id": seller,
            "show_id": show_id,
            "category": category,
            "amount_usd": _amounts(rng, category),
            "placed_at": placed,
            "payment_method": categorical(rng, C.PAYMENT_SHARE, seller.size),
        }
    )


def _lifecycle(rng: np.random.Generator, world: World, o: Rows) -> dict[str, np.ndarray]:
    """Event times of every order (NEVER = does not happen) and its dispute, if any."""
    n = len(o)
    placed = o["placed_at"]
    risky = world.users.risky[o["seller_id"] - 1]
    cancelled = bernoulli(rng, np.where(risky, 2.5 * C.CANCEL_SHARE, C.CANCEL_SHARE), n)
    cancel_at = np.where(cancelled, placed + _hours(lognormal(rng, 6, 1.2, n).clip(0.05, 72)), NEVER)
    cancelled_by = np.where(cancelled, categorical(rng, C.CANCELLED_BY_SHARE, n), -1)
    shipped = np.where(cancelled, NEVER, placed + _hours(lognormal(rng, 36, 0.6, n).clip(1, 400)))
    lost = ~cancelled & bernoulli(rng, 0.004, n)
    delivered = np.where(cancelled | lost, NEVER, shipped + _hours(lognormal(rng, 80, 0.4, n).clip(20, 500)))
    disputed = ~cancelled & bernoulli(rng, np.where(risky, C.RISKY_SELLER_DISPUTE_FACTOR, 1.0) * C.DISPUTE_SHARE, n)
    kind = categorical(rng, C.DISPUTE_KIND_SHARE, n)
    kind = np.where(lost, ITEM_NOT_RECEIVED, np.where(risky & (kind == NOT_AS_DESCRIBED), COUNTERFEIT_CLAIM, kind))
    disputed |= lost & bernoulli(rng, 0.7, n)
    base = np.where(delivered == NEVER, shipped, delivered)
    opened = np.where(disputed, base + _hours(lognormal(rng, 120, 0.8, n).clip(2, 1500)), NEVER)
    resolved = np.where(disputed & bernoulli(rng, 0.97, n), opened + _hours(lognormal(rng, 10 * 24, 0.6, n)), NEVER)
    buyer_won = bernoulli(rng, np.where(risky, 0.75, C.BUYER_WIN_SHARE), n)
    outcome = np.where(resolved == NEVER, -1, np.where(buyer_won, BUYER_WON, SELLER_WON))
    refund_plain = ~cancelled & ~disputed & bernoulli(rng, C.REFUND_SHARE, n)
    refund_at = np.where(refund_plain, base + _hours(lognormal(rng, 72, 0.8, n)), NEVER)
    refund_at = np.where(disputed & (outcome == BUYER_WON), resolved + _hours(rng.uniform(0.1, 24, n)), refund_at)
    q = {
        k: quantize(rng, v)
        for k, v in dict(
            cancel_at=cancel_at,
            shipped_at=shipped,
            delivered_at=delivered,
            refund_at=refund_at,
            opened_at=opened,
            resolved_at=resolved,
        ).items()
    }
    return {**q, "cancelled_by": cancelled_by, "kind": kind, "outcome": outcome, "disputed": disputed}


def _order_versions(ctx: Context, o: Rows, life: dict[str, np.ndarray]) -> Rows:
    events = [o["placed_at"], life["cancel_at"], life["shipped_at"], life["delivered_at"], life["refund_at"]]
    t = np.concatenate(events)
    idx = np.tile(np.arange(len(o)), len(events))
    keep = t != NEVER
    t, idx = t[keep], idx[keep]
    v = o.take(idx)
    shipped, delivered = as_of(life["shipped_at"][idx], t), as_of(life["delivered_at"][idx], t)
    cancelled = life["cancel_at"][idx] <= t
    status = np.where(
        life["refund_at"][idx] <= t,
        REFUNDED,
        np.where(
            cancelled, CANCELLED, np.where(delivered != NEVER, DELIVERED, np.where(shipped != NEVER, SHIPPED, PLACED))
        ),
    )
    v["status"] = status.astype(np.int8)
    v["cancelled_by"] = np.where(cancelled, life["cancelled_by"][idx], -1).astype(np.int8)
    v["shipped_at"], v["delivered_at"], v["updated_at"] = shipped, delivered, t
    v["_day"] = day_index(t, ctx.start_us)
    return v


def _dispute_versions(ctx: Context, world: World, o: Rows, life: dict[str, np.ndarray]) -> Rows:
    rows = np.flatnonzero(life["disputed"])
    rows = rows[np.argsort(life["opened_at"][rows], kind="stable")]
    d = Rows(
        {
            "dispute_id": world.next_ids("dispute", rows.size),
            "order_id": o["order_id"][rows],
            "kind": life["kind"][rows].astype(np.int8),
            "opened_at": life["opened_at"][rows],
            "resolved_at": life["resolved_at"][rows],
            "outcome": life["outcome"][rows].astype(np.int8),
        }
    )
    opened = d.assign(resolved_at=NEVER, outcome=np.int8(-1), updated_at=d["opened_at"])
    resolved = d.take(d["resolved_at"] != NEVER)
    resolved = resolved.assign(updated_at=resolved["resolved_at"])
    v = Rows.concat([opened, resolved])
    v["_day"] = day_index(v["updated_at"], ctx.start_us)
    return v


def generate_orders(ctx: Context, world: World, day: int, shows: Rows) -> tuple[Rows, Rows]:
    """Order versions and dispute versions for orders placed from ``day``'s shows and listings."""
    rng = ctx.rng(ORDERS, day)
    orders = _place(ctx, world, rng, day, shows)
    life = _lifecycle(rng, world, orders)
    world.remember(
        "orders",
        day,
        Rows({c: orders[c] for c in ("order_id", "buyer_id", "seller_id", "category", "placed_at")}),
        keep_days=14,
    )
    return _order_versions(ctx, orders, life), _dispute_versions(ctx, world, orders, life)
