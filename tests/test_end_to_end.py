"""`trustqa materialize` on the bundled sample, twice: it succeeds and the second run changes no row count."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project.settings import PROJECT_ROOT
from dagster_project.summary import table_counts

SEEDS = PROJECT_ROOT / "seeds"
SCHEMAS = ("raw", "quarantine", "intermediate", "marts", "reference")


def materialize(warehouse: Path, dagster_home: Path) -> subprocess.CompletedProcess:
    trustqa = Path(sys.executable).with_name("trustqa")
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home)}
    env.pop("TRUSTQA_EXPORTS_DIR", None)
    return subprocess.run(
        [str(trustqa), "materialize", "--exports", str(SEEDS), "--warehouse", str(warehouse)],
        cwd=warehouse.parent, capture_output=True, text=True, env=env, timeout=1200,
    )


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, dbt_manifest):
    root = tmp_path_factory.mktemp("e2e")
    warehouse, home = root / "trustqa.duckdb", root / "dagster_home"
    home.mkdir()
    first = materialize(warehouse, home)
    counts_after_first = table_counts(warehouse, SCHEMAS)
    second = materialize(warehouse, home)
    return first, counts_after_first, second, table_counts(warehouse, SCHEMAS)


def test_materialize_on_the_sample_succeeds(two_runs):
    first, counts, _, _ = two_runs
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "run succeeded" in first.stdout
    assert "marts.fct_appeal_outcomes_daily" in first.stdout
    by_name = {(c.schema, c.table): c.rows for c in counts}
    for table in ("users", "orders", "appeals", "tickets", "qa_reviews", "agents"):
        assert by_name[("raw", table)] > 0, table
    assert by_name[("marts", "fct_appeal_outcomes_daily")] > 0
    # the generator writes valid exports: nothing is quarantined
    assert sum(rows for (schema, _), rows in by_name.items() if schema == "quarantine") == 0


def test_second_run_changes_no_row_count(two_runs):
    _, first_counts, second, second_counts = two_runs
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert second_counts == first_counts


def test_failed_run_exits_non_zero_with_a_clear_message(tmp_path):
    empty = tmp_path / "exports"
    empty.mkdir()
    trustqa = Path(sys.executable).with_name("trustqa")
    completed = subprocess.run(
        [str(trustqa), "materialize", "--exports", str(empty), "--warehouse", str(tmp_path / "w.duckdb")],
        capture_output=True, text=True, env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
    )
    assert completed.returncode == 2
    assert f"no export files found under {empty}" in completed.stderr
