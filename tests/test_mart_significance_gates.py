"""The mart gates of the significance marts catch what a broken model would write.

Hand-made ``marts`` tables, each with one clean shift or day and one broken
one; the real suites of ``expectations/marts.py`` validate them in DuckDB:
a q-value below its p-value, a q-value without a p-value, a signal or spike
without a test, driver contributions that do not add up to the shift's
change. The clean rows pass the same rules.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dagster_project.gates.outcomes import FAILED, PASSED, SuiteOutcome
from dagster_project.gates.validate import validate_duckdb
from expectations.marts import SUITES

GATED = ("fct_metric_shifts_weekly", "fct_metric_shift_drivers_weekly", "fct_volume_spikes_daily")

SHIFTS = """
create table marts.fct_metric_shifts_weekly as select * from (values
    (date '2026-11-02', 'qa_score', 'all', 'all', -2.0, 0.01, 0.03, true),
    -- q below p, and a signal: broken
    (date '2026-11-02', 'qa_score', 'category', 'coins', -1.0, 0.02, 0.01, true),
    -- not tested, yet a signal: broken
    (date '2026-11-02', 'qa_score', 'category', 'toys', 0.5, null, null, true)
) as t(week_start, metric, slice_dimension, slice_value, abs_change, p_value, q_value, is_signal)
"""

# the 'all' shift's agents add up to -2.0 (-1.5 - 0.5); the coins shift's to -0.7, not -1.0
DRIVERS = """
create table marts.fct_metric_shift_drivers_weekly as select * from (values
    (date '2026-11-02', 'qa_score', 'all', 'all', 'agent', 'ag_1', -1.5, null, null),
    (date '2026-11-02', 'qa_score', 'all', 'all', 'agent', 'ag_2', -0.5, null, null),
    (date '2026-11-02', 'qa_score', 'all', 'all', 'rubric_item', 'resolution_correct', null, 0.01, 0.05),
    (date '2026-11-02', 'qa_score', 'category', 'coins', 'agent', 'ag_1', -0.7, null, null),
    (date '2026-11-02', 'qa_score', 'category', 'coins', 'rubric_item', 'resolution_correct', null, 0.2, null)
) as t(week_start, metric, slice_dimension, slice_value, driver_dimension, driver_value, contribution,
       p_value, q_value)
"""

SPIKES = """
create table marts.fct_volume_spikes_daily as select * from (values
    (date '2026-11-10', 'tickets_by_category', 'coins', 0.001, 0.004, true),
    (date '2026-11-10', 'tickets_by_category', 'toys', 0.5, 1.2, false),
    (date '2026-11-10', 'tickets_by_queue', 'fraud', null, null, true)
) as t(day, stream, key, p_value, q_value, is_spike)
"""


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SuiteOutcome]:
    path = tmp_path_factory.mktemp("mart_gates") / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        for sql in (SHIFTS, DRIVERS, SPIKES):
            con.execute(sql)
    suites = [s for s in SUITES if s.table in GATED]
    assert len(suites) == len(GATED)
    return {o.suite_name.split(".")[-1]: o for o in validate_duckdb(path, suites)}


def failed(outcome: SuiteOutcome) -> dict[str, object]:
    assert all(e.error is None for e in outcome.expectations), [e.error for e in outcome.expectations]
    return {e.gate: e for e in outcome.failed_errors}


def test_shift_gates_catch_a_q_below_p_and_an_untested_signal(outcomes: dict[str, SuiteOutcome]) -> None:
    shifts = outcomes["fct_metric_shifts_weekly"]
    assert shifts.status == FAILED
    gates = failed(shifts)
    assert sorted(gates) == ["a signal is tested", "q_value never below p_value"]
    assert [r["slice_value"] for r in gates["q_value never below p_value"].sample_rows] == ["coins"]
    assert [r["slice_value"] for r in gates["a signal is tested"].sample_rows] == ["toys"]


def test_driver_gates_catch_contributions_that_do_not_add_up(outcomes: dict[str, SuiteOutcome]) -> None:
    gates = failed(outcomes["fct_metric_shift_drivers_weekly"])
    # the rubric item with a p-value and no q-value fails too; the 'all' shift adds up and passes
    assert sorted(gates) == ["contributions add up to the shift's change", "q_value never below p_value"]
    (row,) = gates["contributions add up to the shift's change"].sample_rows
    assert (row["slice_value"], row["driver_dimension"]) == ("coins", "agent")
    assert float(row["total"]) == pytest.approx(-0.7) and float(row["abs_change"]) == pytest.approx(-1.0)


def test_spike_gates_catch_a_q_above_one_and_an_untested_spike(outcomes: dict[str, SuiteOutcome]) -> None:
    gates = failed(outcomes["fct_volume_spikes_daily"])
    assert sorted(gates) == ["a spike is tested", "q_value in 0..1"]
    assert [r["key"] for r in gates["a spike is tested"].sample_rows] == ["fraud"]


def test_clean_rows_pass_every_significance_gate(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        for sql in (SHIFTS, DRIVERS, SPIKES):
            con.execute(sql)
        con.execute("delete from marts.fct_metric_shifts_weekly where slice_value <> 'all'")
        con.execute("delete from marts.fct_metric_shift_drivers_weekly where slice_value <> 'all'")
        con.execute("delete from marts.fct_volume_spikes_daily where key <> 'coins'")
    suites = [s for s in SUITES if s.table in GATED]
    assert [o.status for o in validate_duckdb(path, suites)] == [PASSED, PASSED, PASSED]
