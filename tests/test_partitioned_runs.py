"""Partitioned nightly runs through the real CLI: day by day equals all at once; a re-run changes nothing.

Three days of generated exports (11-01 .. 11-03) go through ``trustqa
materialize`` twice, on two fresh warehouses:

- ``daily``: one partition per run (``--partition``), in date order, as the
  nightly schedule does; then day 11-03 again (a re-run), with the late-data
  lookback set to 1 day so the re-run's window is 11-02 .. 11-03;
- ``at_once``: one run over the whole range (``--from --to``) on an empty
  warehouse, which builds every incremental model in full (the same as a
  full refresh).

Rows are compared on every column but the load-time lineage (columns that
start with ``_``: when a file was loaded differs between the two warehouses).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dagster_project.generator import generate_exports
from tests.conftest import materialize

pytestmark = pytest.mark.slow

DAYS = [dt.date(2026, 11, 1), dt.date(2026, 11, 2), dt.date(2026, 11, 3)]
HISTORY = "intermediate.int_orders_history"
TAMPERED_LINE = -1


def snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of staging, intermediate and marts, all rows, lineage columns left out."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema in ('staging', 'intermediate', 'marts') and table_type = 'BASE TABLE' order by 1"
        ).fetchall()
        result = {}
        for (name,) in tables:
            schema, table = name.split(".")
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                    "order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if not c.startswith("_")
            ]
            result[name] = con.execute(f"select {', '.join(columns)} from {name} order by all").fetchall()
        return result


def source_lines(path: Path, order_id: str) -> list[int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return sorted(
            r[0] for r in con.execute(f"select _source_line from {HISTORY} where order_id = ?", [order_id]).fetchall()
        )


@dataclass
class Runs:
    daily: Path
    at_once: Path
    rerun: Path
    daily_results: list[Any]
    at_once_result: Any
    rerun_result: Any
    untouched_order: str  # versions exported on 11-01 only: outside the re-run's window
    touched_order: str  # has a version exported on 11-03: inside it


def pick_orders(path: Path) -> tuple[str, str]:
    with duckdb.connect(str(path), read_only=True) as con:
        untouched, touched = con.execute(
            f"""
            select
                min(order_id) filter (where last_export = date '2026-11-01'),
                min(order_id) filter (where last_export = date '2026-11-03')
            from (select order_id, max(export_date) as last_export from {HISTORY} group by order_id)
            """
        ).fetchone()
    assert untouched and touched
    return untouched, touched


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, dbt_manifest) -> Iterator[Runs]:
    root = tmp_path_factory.mktemp("partitioned_runs")
    exports = root / "exports"
    generate_exports(exports, DAYS[0], len(DAYS), scale=0.02, seed=7)
    lanes = {name: (root / name / "trustqa.duckdb", root / name / "dagster_home") for name in ("daily", "at_once")}
    for _, home in lanes.values():
        home.mkdir(parents=True)

    def daily_lane() -> list[Any]:
        warehouse, home = lanes["daily"]
        return [materialize(exports, warehouse, home, "--partition", d.isoformat()) for d in DAYS]

    def at_once_lane() -> Any:
        warehouse, home = lanes["at_once"]
        return materialize(exports, warehouse, home, "--from", DAYS[0].isoformat(), "--to", DAYS[-1].isoformat())

    with ThreadPoolExecutor(max_workers=2) as pool:
        daily, at_once = pool.submit(daily_lane), pool.submit(at_once_lane)
        daily_results, at_once_result = daily.result(), at_once.result()

    # the re-run: a copy of the daily warehouse, with two history rows marked so a rewrite shows
    rerun = root / "rerun" / "trustqa.duckdb"
    rerun.parent.mkdir()
    shutil.copy(lanes["daily"][0], rerun)
    untouched, touched = pick_orders(rerun)
    with duckdb.connect(str(rerun)) as con:
        con.execute(
            f"update {HISTORY} set _source_line = {TAMPERED_LINE} where order_id in (?, ?)", [untouched, touched]
        )
    home = root / "rerun" / "dagster_home"
    home.mkdir()
    rerun_result = materialize(
        exports, rerun, home, "--partition", DAYS[-1].isoformat(), extra_env={"TRUSTQA_LATE_DATA_LOOKBACK_DAYS": "1"}
    )
    yield Runs(
        lanes["daily"][0], lanes["at_once"][0], rerun, daily_results, at_once_result, rerun_result, untouched, touched
    )


def test_every_run_succeeds(runs: Runs) -> None:
    for result in [*runs.daily_results, runs.at_once_result, runs.rerun_result]:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_day_by_day_equals_all_at_once(runs: Runs) -> None:
    daily, at_once = snapshot(runs.daily), snapshot(runs.at_once)
    assert daily.keys() == at_once.keys()
    assert {
        "staging.stg_marketplace__orders",
        "intermediate.int_orders_history",
        "marts.fct_user_risk_features_daily",
        "marts.fct_csat_daily",
    } <= set(daily)
    for table in daily:
        assert daily[table] == at_once[table], table
    assert daily[HISTORY], "the history has rows"


def test_rerunning_a_day_changes_nothing(runs: Runs) -> None:
    before, after = snapshot(runs.daily), snapshot(runs.rerun)
    for table in before:
        assert after[table] == before[table], table


def test_a_partitioned_run_rebuilds_only_the_keys_its_window_changed(runs: Runs) -> None:
    # the order last exported on 11-01 is outside the window 11-02..11-03: its rows were not rewritten
    assert set(source_lines(runs.rerun, runs.untouched_order)) == {TAMPERED_LINE}
    # the order with a version in the 11-03 file was rebuilt from raw: its real line numbers are back
    assert TAMPERED_LINE not in source_lines(runs.rerun, runs.touched_order)
    assert source_lines(runs.rerun, runs.touched_order) == source_lines(runs.daily, runs.touched_order)
