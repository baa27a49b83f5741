"""The warning checks on the shift and spike marts: a signal or a spike is listed, never blocking."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.defs.insight_checks import daily_spikes_check, sampling_coverage_check, weekly_signals_check
from dagster_project.defs.resources import WarehouseResource


def warehouse_with(tmp_path: Path, statements: list[str]) -> WarehouseResource:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        for statement in statements:
            con.execute(statement)
    return WarehouseResource(duckdb_path=str(path), exports_dir=str(tmp_path), data_docs_dir=str(tmp_path / "docs"))


SHIFTS = """create table marts.fct_metric_shifts_weekly as select * from (values
    (date '2026-11-16', 'qa_score', 'category', 'trading_cards', 40, 69.4, 160, 81.9, -12.5, -0.1526, 0.0001, 0.0004, true),
    (date '2026-11-16', 'csat_pct', 'all', 'all', 90, 0.8, 350, 0.82, -0.02, -0.0244, 0.5, 0.9, false),
    (date '2026-11-09', 'qa_score', 'all', 'all', 200, 70.0, 800, 80.0, -10.0, -0.125, 0.0, 0.0, true)
) as t(week_start, metric, slice_dimension, slice_value, n, value, baseline_n, baseline_value, abs_change, rel_change,
       p_value, q_value, is_signal)"""

SPIKES = """create table marts.fct_volume_spikes_daily as select * from (values
    (date '2026-11-20', 'reports_by_reason', 'counterfeit', 30, 6.0, 0.00001, true),
    (date '2026-11-20', 'tickets_by_queue', 'general', 12, 11.0, 0.4, false),
    (date '2026-11-19', 'reports_by_reason', 'fraud', 40, 5.0, 0.0, true)
) as t(day, stream, key, events, expected, p_value, is_spike)"""


def test_the_latest_weeks_signals_are_listed_as_a_warning(tmp_path: Path) -> None:
    result = weekly_signals_check(warehouse=warehouse_with(tmp_path, [SHIFTS]))
    assert (result.passed, result.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert result.metadata["week_start"].value == "2026-11-16"
    assert result.metadata["signals"].value == 1  # the earlier week's signal is not this week's
    table = result.metadata["shifts"].value
    assert "| qa_score | category trading_cards | 81.9 | 69.4 | -15.3% | 0.0004 | 40 |" in table


def test_no_signal_passes(tmp_path: Path) -> None:
    quiet = SHIFTS.replace("true)", "false)").replace("true),", "false),")
    result = weekly_signals_check(warehouse=warehouse_with(tmp_path, [quiet]))
    assert result.passed and result.metadata["shifts"].value == "no significant shift"


def test_todays_spikes_are_listed_as_a_warning(tmp_path: Path) -> None:
    result = daily_spikes_check(warehouse=warehouse_with(tmp_path, [SPIKES]))
    assert (result.passed, result.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert (result.metadata["day"].value, result.metadata["spikes"].value) == ("2026-11-20", 1)
    assert "| reports_by_reason | counterfeit | 30 | 6.0 | 1e-05 |" in result.metadata["volume_spikes"].value


PLAN = """create table marts.fct_qa_sampling_plan as select * from (values
    (date '2026-11-02', 'ticket/fraud', false, 131.0, 0.88, 74, 56, 0.086, 56 / 74, true),
    (date '2026-11-02', 'appeal/other', false, 32.0, 0.96, 22, 30, 0.085, 30 / 22, false),
    (date '2026-11-02', 'ticket/other', false, 13.0, 0.5, 13, 2, 0.405, 2 / 13, true),
    (date '2026-10-26', 'ticket/fraud', false, 120.0, 0.88, 70, 10, 0.2, 10 / 70, true),
    (date '2026-11-09', 'ticket/fraud', true, 108.0, 0.89, 64, 0, null, 0.0, true)
) as t(week_start, stratum, is_current_week, population_n, p_hat, n_required, n_reviewed, achieved_margin, coverage,
       is_short)"""


def test_strata_short_of_their_reviews_are_listed_as_a_warning(tmp_path: Path) -> None:
    result = sampling_coverage_check(warehouse=warehouse_with(tmp_path, [PLAN]))
    assert (result.passed, result.severity) == (False, dg.AssetCheckSeverity.WARN)
    # the latest complete week; the current week is listed apart; 74 - 56 + 13 - 2 reviews missing
    assert result.metadata["week_start"].value == "2026-11-02"
    assert (result.metadata["short_strata"].value, result.metadata["reviews_missing"].value) == (2, 29)
    rows = result.metadata["plan"].value.splitlines()[2:]
    assert rows == [
        "| ticket/other | 13 | 0.50 | 13 | 2 | 15% | ±40.5 pts |",
        "| ticket/fraud | 131 | 0.88 | 74 | 56 | 76% | ±8.6 pts |",
        "| appeal/other | 32 | 0.96 | 22 | 30 | 136% | ±8.5 pts |",
    ]
    assert "| ticket/fraud | 108 | 0.89 | 64 | 0 | 0% |  |" in result.metadata["current_week_plan"].value


def test_a_week_with_every_stratum_covered_passes(tmp_path: Path) -> None:
    covered = PLAN.replace("true),", "false),").replace("true)\n", "false)\n")
    result = sampling_coverage_check(warehouse=warehouse_with(tmp_path, [covered]))
    assert result.passed and result.metadata["short_strata"].value == 0
