"""Integer allocations of a number of reviews over strata: Neyman allocation rounded by largest remainder."""

from __future__ import annotations

import math
from collections.abc import Mapping


def largest_remainder(raw: Mapping[str, float], total: int) -> dict[str, int]:
    """Round the non-negative shares ``raw`` (summing to ``total``, up to float error) to integers summing to
    exactly ``total``: every share is floored, then the units left go one each to the largest fractional parts
    (ties: the stratum first in alphabetical order)."""
    floors = {key: math.floor(value + 1e-9) for key, value in raw.items()}
    left = total - sum(floors.values())
    by_remainder = sorted(raw, key=lambda key: (-(raw[key] - floors[key]), key))
    return {key: floors[key] + (1 if key in by_remainder[:left] else 0) for key in raw}


def neyman_weight(frame_n: int, p: float) -> float:
    """A stratum's Neyman weight: its size times the standard deviation of a proportion ``p``, N_h sqrt(p (1 - p))."""
    return frame_n * math.sqrt(p * (1.0 - p))


def neyman_allocation(capacity: int, frame_sizes: Mapping[str, int], p: Mapping[str, float]) -> dict[str, int]:
    """Allocate ``capacity`` reviews over the strata of ``frame_sizes`` (stratum -> cases that can be drawn),
    proportionally to N_h sqrt(p_h (1 - p_h)) (``p``: stratum -> a proportion strictly between 0 and 1).

    The result sums to exactly min(capacity, total frame) and gives no stratum more than its frame: a stratum
    whose share reaches its frame gets the whole frame, and the rest is allocated again over the others by the
    same rule; the shares are rounded by :func:`largest_remainder`. (A share below N_h rounds up to at most
    N_h, so rounding never exceeds a frame.)
    """
    allocation = {stratum: 0 for stratum in frame_sizes}
    open_strata = {stratum for stratum, n in frame_sizes.items() if n > 0}
    left = min(max(capacity, 0), sum(frame_sizes[s] for s in open_strata))
    while open_strata and left > 0:
        weights = {s: neyman_weight(frame_sizes[s], p[s]) for s in sorted(open_strata)}
        total_weight = sum(weights.values())
        raw = {s: left * w / total_weight for s, w in weights.items()}
        full = {s for s, share in raw.items() if share >= frame_sizes[s]}
        if not full:
            allocation.update(largest_remainder(raw, left))
            break
        for stratum in full:
            allocation[stratum] = frame_sizes[stratum]
            left -= frame_sizes[stratum]
        open_strata -= full
    return allocation
