"""Great Expectations suites: one per gated table, grouped by layer.

``raw`` (the loaded exports), ``staging`` (typed, deduplicated current
state) and ``marts`` (the metrics). Each module exposes ``SUITES``, a list
of :class:`expectations.suite.GateSuite`; ``all_suites()`` returns them in
layer order. The suites are plain GX 1.x expectations, so the same suites
run on every warehouse GX supports (the SQL in custom expectations sticks
to what DuckDB and Snowflake share).
"""

from __future__ import annotations

from expectations.suite import LAYERS, GateSuite


def all_suites() -> list[GateSuite]:
    from expectations import marts, raw, staging

    return [*raw.SUITES, *staging.SUITES, *marts.SUITES]


def suites_of(layer: str) -> list[GateSuite]:
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}; expected one of {LAYERS}")
    return [s for s in all_suites() if s.layer == layer]


__all__ = ["LAYERS", "GateSuite", "all_suites", "suites_of"]
