"""Deterministic, vectorised synthetic exports (marketplace CSV + support JSON Lines) per the contract.

``generate_exports(out_dir, start, days, scale, seed)`` writes one file per
table per day under ``out_dir`` and returns the rows written per table. See
``SHAPE.md`` for the shape of the data and ``config.py`` for every rate.
"""

from __future__ import annotations

import datetime as dt

from dagster_project.generator.run import generate_exports

# The bundled sample in ``seeds/`` is exactly ``generate_exports(Path("seeds"), **SAMPLE_ARGS)``.
SAMPLE_ARGS: dict = {"start": dt.date(2026, 11, 1), "days": 14, "scale": 0.1, "seed": 20261101}

__all__ = ["SAMPLE_ARGS", "generate_exports"]
