"""``published/qa_scorecard``: the weekly scorecard page for people who do not open SQL or the Dagster UI.

After the marts (and, on DuckDB, their publication) it writes
``scorecard/<week>.html`` and ``scorecard/latest.html`` beside the analysts'
published copy, for the latest complete week, reading the marts through the
same query layer as ``trustqa report`` (:mod:`dagster_project.scorecard`):
the published copy on DuckDB, the ``marts`` schema on Snowflake. Its
metadata carries the page's path and the headline figures, so the asset's
page in the UI shows them. Marts without a complete week yet (a first run,
a single export day) give a materialisation that says so and no page: that
is not a failure of the run.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource

SCORECARD_KEY = dg.AssetKey(["published", "qa_scorecard"])
PUBLISHED_MARTS_KEY = dg.AssetKey(["published", "marts"])
# The marts the page reads (on Snowflake, where there is no published copy, it depends on them directly).
READ_MARTS = (
    "fct_metric_shifts_weekly",
    "fct_metric_shift_drivers_weekly",
    "fct_csat_daily",
    "fct_qa_scores_daily",
    "fct_appeal_outcomes_daily",
    "fct_enforcement_outcomes_daily",
    "fct_ticket_sla_daily",
    "fct_volume_spikes_daily",
    "fct_qa_sampling_plan",
    "fct_calibration_agreement",
    "fct_qa_reviews",
    "fct_dsa_transparency_report",
    "dim_date",
)
DESCRIPTION = (
    "The weekly QA scorecard for Trust & Safety leads, training teams and product managers: one self-contained "
    "HTML page (charts and data inlined, no network) with the week's headline metrics and whether they changed "
    "significantly, what drove the changes, 26-week trends with 95% intervals, spikes, sampling coverage, "
    "calibration agreement, the half-year's DSA transparency figures and a glossary. Written to scorecard/<week>.html "
    "and scorecard/latest.html, with the linked DSA report CSV, beside the published marts (docs/scorecard.md)."
)


def scorecard_deps(target: str) -> list[dg.AssetKey]:
    """The published copy on DuckDB; the marts the page reads on Snowflake."""
    if target == "duckdb":
        return [PUBLISHED_MARTS_KEY]
    return [dg.AssetKey(["marts", name]) for name in READ_MARTS]


def _reader(warehouse: WarehouseResource) -> Callable[[str], list[dict[str, Any]]]:
    from dagster_project.insights.mart_reader import rows_from_duckdb, rows_from_snowflake

    if warehouse.target == "snowflake":
        return rows_from_snowflake
    published = Path(warehouse.published_path)
    return lambda sql: rows_from_duckdb(published, sql)


def build_qa_scorecard(target: str) -> dg.AssetsDefinition:
    """The ``published/qa_scorecard`` asset for a target (``duckdb`` or ``snowflake``): only its deps differ."""

    @dg.asset(
        key=SCORECARD_KEY,
        group_name="published",
        deps=scorecard_deps(target),
        pool=WAREHOUSE_POOL,
        owners=["team:data-engineering"],
        kinds={"plotly"},
        description=DESCRIPTION,
    )
    def qa_scorecard(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        from dagster_project.scorecard.build import NoScorecard, build_scorecard
        from dagster_project.scorecard.writer import scorecard_dir

        directory = scorecard_dir(Path(warehouse.published_path))
        try:
            scorecard = build_scorecard(_reader(warehouse), directory)
        except NoScorecard as exc:
            context.log.info(f"no scorecard written: {exc}")
            return dg.MaterializeResult(metadata={"scorecard": dg.MetadataValue.text(f"not written: {exc}")})
        metadata: dict[str, Any] = {
            "path": dg.MetadataValue.path(str(scorecard.paths[0])),
            "week_start": dg.MetadataValue.text(str(scorecard.week)),
            "headline": dg.MetadataValue.md(scorecard.headline_markdown),
            "charts": dg.MetadataValue.int(len(scorecard.chart_ids)),
            "size_mb": dg.MetadataValue.float(round(scorecard.size_bytes / 1e6, 2)),
        }
        if len(scorecard.paths) > 1:
            metadata["latest"] = dg.MetadataValue.path(str(scorecard.paths[1]))
        return dg.MaterializeResult(metadata=metadata)

    return qa_scorecard
