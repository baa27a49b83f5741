"""Warning checks that put this week's quality shifts, today's volume spikes and the QA sampling plan in front of a
data engineer.

A signal or a spike is news, not a data error: each check has severity WARN
(it never blocks anything), fails when there is something to look at, and
lists it in its metadata, so the asset's Checks tab in the Dagster UI shows
what changed without anyone opening SQL. They read the marts right after the
run built them (the warehouse file, or the Snowflake ``marts`` schema).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.insights.mart_reader import optional_float
from dagster_project.insights.metric_labels import shown_value
from dagster_project.planning.order import shortest_first

SHIFTS_KEY = dg.AssetKey(["marts", "fct_metric_shifts_weekly"])
SPIKES_KEY = dg.AssetKey(["marts", "fct_volume_spikes_daily"])
PLAN_KEY = dg.AssetKey(["marts", "fct_qa_sampling_plan"])
MAX_LISTED = 50


def _reader(warehouse: WarehouseResource) -> Callable[[str], list[dict[str, Any]]]:
    from dagster_project.insights.mart_reader import rows_from_duckdb, rows_from_snowflake

    if warehouse.target == "snowflake":
        return rows_from_snowflake
    return lambda sql: rows_from_duckdb(Path(warehouse.duckdb_path), sql)


def signals_markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| metric | slice | baseline | this week | change | q | n |", "|---|---|---|---|---|---|---|"]
    for r in rows[:MAX_LISTED]:
        change = "" if r["rel_change"] is None else f"{float(r['rel_change']) * 100:+.1f}%"
        baseline = shown_value(r["metric"], optional_float(r["baseline_value"]))
        value = shown_value(r["metric"], optional_float(r["value"]))
        lines.append(
            f"| {r['metric']} | {r['slice_dimension']} {r['slice_value']} | {baseline} | {value} | "
            f"{change} | {float(r['q_value']):.2g} | {r['n']} |"
        )
    return "\n".join(lines)


def spikes_markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| stream | key | count | expected | p |", "|---|---|---|---|---|"]
    for r in rows[:MAX_LISTED]:
        lines.append(
            f"| {r['stream']} | {r['key']} | {r['events']} | {float(r['expected']):.1f} | {float(r['p_value']):.2g} |"
        )
    return "\n".join(lines)


def latest_flagged(
    warehouse: WarehouseResource, mart: str, period: str, flag: str, order_by: str
) -> tuple[Any, list[dict[str, Any]]]:
    """The latest ``period`` value of a mart and its rows where ``flag`` holds (none when the mart is empty)."""
    read = _reader(warehouse)
    latest = read(f"select max({period}) as latest from marts.{mart}")[0]["latest"]
    if latest is None:
        return None, []
    return latest, read(f"select * from marts.{mart} where {flag} and {period} = date '{latest}' order by {order_by}")


@dg.asset_check(
    asset=SHIFTS_KEY,
    name="weekly_signals",
    blocking=False,
    pool=WAREHOUSE_POOL,
    description="Warns (never blocks) when the latest complete week has significant quality shifts, listing them.",
)
def weekly_signals_check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    week, signals = latest_flagged(
        warehouse, "fct_metric_shifts_weekly", "week_start", "is_signal", "abs(rel_change) desc, metric, slice_value"
    )
    return dg.AssetCheckResult(
        passed=not signals,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "week_start": dg.MetadataValue.text(str(week) if week else "no complete week yet"),
            "signals": dg.MetadataValue.int(len(signals)),
            "shifts": dg.MetadataValue.md(signals_markdown(signals) if signals else "no significant shift"),
        },
    )


@dg.asset_check(
    asset=SPIKES_KEY,
    name="daily_spikes",
    blocking=False,
    pool=WAREHOUSE_POOL,
    description="Warns (never blocks) when the latest day has volume spikes, listing them.",
)
def daily_spikes_check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    day, spikes = latest_flagged(warehouse, "fct_volume_spikes_daily", "day", "is_spike", "p_value, stream, key")
    return dg.AssetCheckResult(
        passed=not spikes,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "day": dg.MetadataValue.text(str(day) if day else "no day yet"),
            "spikes": dg.MetadataValue.int(len(spikes)),
            "volume_spikes": dg.MetadataValue.md(spikes_markdown(spikes) if spikes else "no spike"),
        },
    )


def plan_markdown(rows: list[dict[str, Any]]) -> str:
    """The plan's strata, as ``trustqa plan`` orders them: short first, then by coverage."""
    lines = [
        "| stratum | population | p_hat | required | reviewed | coverage | margin |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows[:MAX_LISTED]:
        coverage = "" if r["coverage"] is None else f"{float(r['coverage']):.0%}"
        margin = "" if r["achieved_margin"] is None else f"±{float(r['achieved_margin']) * 100:.1f} pts"
        lines.append(
            f"| {r['stratum']} | {float(r['population_n']):g} | {float(r['p_hat']):.2f} | {r['n_required']} | "
            f"{r['n_reviewed']} | {coverage} | {margin} |"
        )
    return "\n".join(lines)


def _shortest_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: shortest_first(bool(r["is_short"]), optional_float(r["coverage"]), r["stratum"]))


@dg.asset_check(
    asset=PLAN_KEY,
    name="sampling_coverage",
    blocking=False,
    pool=WAREHOUSE_POOL,
    description=(
        "Warns (never blocks) when strata of the latest complete week got fewer random and stratified reviews "
        "than the plan requires; lists that week's plan and the current week's requirements."
    ),
)
def sampling_coverage_check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    read = _reader(warehouse)
    plan = "marts.fct_qa_sampling_plan"
    complete = read(f"select max(week_start) as latest from {plan} where not is_current_week")[0]["latest"]
    week_rows = _shortest_first(read(f"select * from {plan} where week_start = date '{complete}'")) if complete else []
    current = _shortest_first(read(f"select * from {plan} where is_current_week"))
    short = [r for r in week_rows if r["is_short"]]
    missing = sum(int(r["n_required"]) - int(r["n_reviewed"]) for r in short)
    return dg.AssetCheckResult(
        passed=not short,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "week_start": dg.MetadataValue.text(str(complete) if complete else "no complete week yet"),
            "short_strata": dg.MetadataValue.int(len(short)),
            "reviews_missing": dg.MetadataValue.int(missing),
            "plan": dg.MetadataValue.md(plan_markdown(week_rows) if week_rows else "no plan yet"),
            "current_week_plan": dg.MetadataValue.md(plan_markdown(current) if current else "no current week"),
        },
    )


insight_checks = [weekly_signals_check, daily_spikes_check, sampling_coverage_check]
