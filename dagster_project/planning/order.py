"""The one order of a week's strata wherever they are listed (``trustqa plan``, the scorecard, the UI check).

Strata short of their required reviews first; then by coverage, lowest first, with strata that require nothing
(coverage null) last; then by name.
"""

from __future__ import annotations


def shortest_first(is_short: bool, coverage: float | None, stratum: str) -> tuple[bool, bool, float, str]:
    """The sort key of a stratum."""
    return (not is_short, coverage is None, 0.0 if coverage is None else float(coverage), stratum)
