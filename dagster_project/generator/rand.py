"""Seeded randomness: one independent numpy stream per (purpose, day), plus hashing.

Every random draw comes from ``stream(seed, purpose, day)``. Streams are keyed,
not shared, so the draws of one table on one day never depend on how many
numbers another table or another day consumed: the same arguments always give
the same files, and a run of N days writes the same first files as a longer run.
"""

from __future__ import annotations

import numpy as np

# Purposes (stream keys). Append new ones; never renumber.
USERS, AGENTS, SHOWS, ORDERS, REPORTS, ACTIONS, TICKETS, RATINGS, QA, CALIBRATION, FEED, FORMAT = range(12)


def stream(seed: int, purpose: int, day: int, sub: int = 0) -> np.random.Generator:
    """An independent generator for one purpose on one day (``day`` >= 0)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy=seed, spawn_key=(purpose, day, sub))))


def categorical(rng: np.random.Generator, probs: tuple[float, ...] | np.ndarray, n: int) -> np.ndarray:
    """``n`` codes 0..len(probs)-1 drawn with the given (normalised) probabilities."""
    p = np.asarray(probs, dtype=np.float64)
    cum = np.cumsum(p / p.sum())
    cum[-1] = 1.0
    return np.searchsorted(cum, rng.random(n), side="right").astype(np.int8)


def weighted_index(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """``n`` indexes into ``weights`` drawn with replacement, proportionally to the weights."""
    return Sampler(weights).draw(rng, n)


class Sampler:
    """Draws indexes proportionally to fixed weights (the cumulative sum is computed once)."""

    def __init__(self, weights: np.ndarray) -> None:
        self.cum = np.cumsum(weights, dtype=np.float64)
        self.total = float(self.cum[-1]) if self.cum.size else 0.0

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if n == 0 or self.total <= 0:
            return np.zeros(0, dtype=np.int64)
        u = rng.random(n) * self.total
        order = np.argsort(u)  # sorted needles make the binary searches cache friendly
        idx = np.empty(n, dtype=np.int64)
        idx[order] = np.searchsorted(self.cum, u[order], side="right")
        return np.minimum(idx, self.cum.size - 1)


def lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    """Log-normal draws with the given median (same unit as ``median``)."""
    return median * np.exp(sigma * rng.standard_normal(n))


def bernoulli(rng: np.random.Generator, p: float | np.ndarray, n: int) -> np.ndarray:
    return rng.random(n) < p


def hash64(values: np.ndarray, salt: int) -> np.ndarray:
    """SplitMix64 of ``values`` mixed with ``salt``: a stable pseudo-random uint64 per value."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64) + np.uint64((salt * 0x9E3779B97F4A7C15) % 2**64)
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def hash_pick(values: np.ndarray, salt: int, n_options: int) -> np.ndarray:
    """A stable choice in ``0..n_options-1`` for each value (text templates, names)."""
    return (hash64(values, salt) % np.uint64(n_options)).astype(np.int64)


def hash_unit(values: np.ndarray, salt: int) -> np.ndarray:
    """A stable uniform number in [0, 1) for each value."""
    return (hash64(values, salt) >> np.uint64(11)).astype(np.float64) / float(2**53)
