"""Warning checks that put this week's quality shifts and today's volume spikes in front of a data engineer.

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
from dagster_project.insights.metric_labels import shown_value

SHIFTS_KEY = dg.AssetKey(["marts", "fct_metric_shifts_weekly"])
SPIKES_KEY = dg.AssetKey(["marts", "fct_volume_spikes_daily"])
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
        lines.append(
            f"| {r['metric']} | {r['slice_dimension']} {r['slice_value']} | "
            f"{shown_value(r['metric'], _f(r['baseline_value']))} | {shown_value(r['metric'], _f(r['value']))} | "
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


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


@dg.asset_check(
    asset=SHIFTS_KEY,
    name="weekly_signals",
    blocking=False,
    pool=WAREHOUSE_POOL,
    description="Warns (never blocks) when the latest complete week has significant quality shifts, listing them.",
)
def weekly_signals_check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    read = _reader(warehouse)
    week = read("select max(week_start) as week_start from marts.fct_metric_shifts_weekly")[0]["week_start"]
    signals = (
        read(
            "select * from marts.fct_metric_shifts_weekly "
            f"where is_signal and week_start = date '{week}' order by abs(rel_change) desc, metric, slice_value"
        )
        if week is not None
        else []
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
    read = _reader(warehouse)
    day = read("select max(day) as day from marts.fct_volume_spikes_daily")[0]["day"]
    spikes = (
        read(
            "select * from marts.fct_volume_spikes_daily "
            f"where is_spike and day = date '{day}' order by p_value, stream, key"
        )
        if day is not None
        else []
    )
    return dg.AssetCheckResult(
        passed=not spikes,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "day": dg.MetadataValue.text(str(day) if day else "no day yet"),
            "spikes": dg.MetadataValue.int(len(spikes)),
            "volume_spikes": dg.MetadataValue.md(spikes_markdown(spikes) if spikes else "no spike"),
        },
    )


insight_checks = [weekly_signals_check, daily_spikes_check]
