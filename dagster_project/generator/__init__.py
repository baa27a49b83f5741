"""Deterministic, vectorised synthetic exports (marketplace CSV + support JSON Lines) per the contract.

``generate_exports(out_dir, start, days, scale, seed)`` writes one file per
table per day under ``out_dir`` and returns the rows written per table. See
``SHAPE.md`` for the shape of the data and ``config.py`` for every rate.
"""

from __future__ import annotations

import datetime as dt

from dagster_project.generator.planted import PlantedShift
from dagster_project.generator.run import generate_exports

# The bundled sample in ``seeds/`` is exactly ``generate_exports(Path("seeds"), **SAMPLE_ARGS)``: nine ISO
# weeks (Monday 2026-09-14 .. Saturday 2026-11-14, the last one partial), a small marketplace, enough tickets
# and QA reviews for weekly tests per category, and one planted shift (seeds/README.md).
SAMPLE_ARGS: dict = {
    "start": dt.date(2026, 9, 14),
    "days": 62,
    "scale": 0.04,
    "seed": 20261101,
    "support_scale": 0.4,
    "qa_sampling": 12.0,
    "plant_shifts": (
        PlantedShift.parse(
            "category=trading_cards,agents=ag_0001+ag_0004+ag_0006+ag_0008+ag_0020+ag_0023+ag_0029,"
            "weeks=2026-11-02,size=-25"
        ),
    ),
}

__all__ = ["SAMPLE_ARGS", "generate_exports"]
