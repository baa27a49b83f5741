"""Intervals for the trend charts: Wilson for weekly rates, the normal approximation for the weekly mean score."""

from __future__ import annotations

import math

# docs/metrics.md, "Sampled proportions": the marts' Wilson bounds use z = 1.96; the charts use the same.
Z_95 = 1.96


def wilson_interval(successes: float, trials: float, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of ``successes`` / ``trials`` (None when there is no trial).

    As docs/metrics.md defines it: centre = (p + z²/2n) / (1 + z²/n), half = z / (1 + z²/n) *
    sqrt(p(1 - p)/n + z²/4n²), clamped to [0, 1] only against floating-point error.
    """
    if trials <= 0:
        return None
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


def mean_interval(mean: float, sd: float | None, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """mean ± z standard errors (sd / √n): the normal approximation, fair for the weekly QA score (n >= 30).

    None without a standard deviation or with fewer than two values.
    """
    if sd is None or n < 2:
        return None
    half = z * sd / math.sqrt(n)
    return mean - half, mean + half
