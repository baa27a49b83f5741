"""`trustqa materialize` on the bundled sample, then its last day again: it succeeds and the re-run changes no row count."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project.summary import table_counts
from tests.conftest import COUNTED_SCHEMAS, SEEDS, materialize


@pytest.fixture(scope="module")
def second_run(sample_warehouse, tmp_path_factory):
    """The last day again, on a copy of the session's warehouse and instance (other modules read the original as built)."""
    root = tmp_path_factory.mktemp("second_run")
    warehouse, home = root / sample_warehouse.path.name, root / "dagster_home"
    shutil.copyfile(sample_warehouse.path, warehouse)
    shutil.copytree(sample_warehouse.dagster_home, home)
    completed = materialize(SEEDS, warehouse, home, "--partition", "2026-11-14")
    return completed, table_counts(warehouse, COUNTED_SCHEMAS)


def test_materialize_on_the_sample_succeeds(sample_warehouse):
    first = sample_warehouse.first_run
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "run succeeded" in first.stdout
    assert "marts.fct_appeal_outcomes_daily" in first.stdout
    by_name = {(c.schema, c.table): c.rows for c in sample_warehouse.counts_after_first_run}
    for table in ("users", "orders", "appeals", "tickets", "qa_reviews", "agents"):
        assert by_name[("raw", table)] > 0, table
    assert by_name[("marts", "fct_appeal_outcomes_daily")] > 0
    # the generator writes valid exports: nothing is quarantined
    assert sum(rows for (schema, _), rows in by_name.items() if schema == "quarantine") == 0


def test_every_quality_gate_passes_on_the_sample(sample_warehouse):
    from expectations import all_suites

    out = sample_warehouse.first_run.stdout
    assert f"{len(all_suites())} passed, 0 warned, 0 failed, 0 not run" in out
    assert (sample_warehouse.path.parent / "data_docs" / "index.html").exists()
    for layer in ("raw", "staging", "marts"):
        assert (sample_warehouse.path.parent / "data_docs" / layer / "index.html").exists()


def test_rerunning_a_day_changes_no_row_count(sample_warehouse, second_run):
    completed, counts = second_run
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "export days 2026-11-14 .. 2026-11-14" in completed.stdout  # --partition ran that day only
    assert counts == sample_warehouse.counts_after_first_run


def test_failed_run_exits_non_zero_with_a_clear_message(tmp_path):
    empty = tmp_path / "exports"
    empty.mkdir()
    trustqa = Path(sys.executable).with_name("trustqa")
    completed = subprocess.run(
        [str(trustqa), "materialize", "--exports", str(empty), "--warehouse", str(tmp_path / "w.duckdb")],
        capture_output=True,
        text=True,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
    )
    assert completed.returncode == 2
    assert f"no export files found under {empty}" in completed.stderr


def test_every_mart_column_is_documented(sample_warehouse):
    """Each table in `marts` has a dbt YAML description for the model and every column it holds."""
    import duckdb
    import yaml

    from dagster_project.settings import DBT_PROJECT_DIR

    documented: dict[str, set[str]] = {}
    for path in (DBT_PROJECT_DIR / "models" / "marts").glob("_*.yml"):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            assert model.get("description"), model["name"]
            documented[model["name"]] = {c["name"] for c in model.get("columns", []) if c.get("description")}
    with duckdb.connect(str(sample_warehouse.path), read_only=True) as con:
        rows = con.execute(
            "select table_name, list(column_name) from information_schema.columns "
            "where table_schema = 'marts' group by table_name"
        ).fetchall()
    assert len(rows) >= 11
    for table, columns in rows:
        assert documented.get(table) == set(columns), table


def test_a_good_run_publishes_every_mart_for_analysts(sample_warehouse):
    import duckdb

    from dagster_project.publishing.publish import read_publication_info

    published = sample_warehouse.path.parent / "trustqa_marts.duckdb"
    assert f"published marts (for analysts): {published}, published by this run" in sample_warehouse.first_run.stdout
    marts = {(c.table, c.rows) for c in sample_warehouse.counts_after_first_run if c.schema == "marts"}
    with duckdb.connect(str(published), read_only=True) as con:
        copied = {
            (t, con.execute(f"select count(*) from marts.{t}").fetchone()[0])
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
    assert copied == marts
    assert str(read_publication_info(published)[2]) == "2026-11-14"  # data as of the last export day


def test_the_first_run_finds_the_planted_shift(sample_warehouse):
    """seeds/README.md: the sample's planted shift is the first run's signal in the latest complete week.

    QA score (qa_score: auto-fail, calibration excluded) of category trading_cards, the planted week
    against its four baseline weeks: a drop that is a signal (q < 0.05, at least 5 %); its agent
    drivers are led by the planted agents, its team driver by their team, and resolution_correct is
    the rubric item that moved most.
    """
    import json

    import duckdb

    (planted,) = json.loads((SEEDS / "planted_shifts.json").read_text())
    (week,) = planted["weeks"]
    with duckdb.connect(str(sample_warehouse.path), read_only=True) as con:
        latest = con.execute("select cast(max(week_start) as varchar) from marts.fct_metric_shifts_weekly").fetchone()
        assert latest == (week,)  # `trustqa shifts` shows it without --week
        shift = con.execute(
            "select n, baseline_n, baseline_weeks, rel_change, q_value, is_signal from marts.fct_metric_shifts_weekly "
            "where metric = 'qa_score' and slice_dimension = 'category' and slice_value = ? "
            "and week_start = cast(? as date)",
            [planted["category"], week],
        ).fetchone()
        drivers = con.execute(
            "select driver_dimension, driver_value, rank, cur_value - base_value as moved "
            "from marts.fct_metric_shift_drivers_weekly where metric = 'qa_score' and slice_dimension = 'category' "
            "and slice_value = ? and week_start = cast(? as date)",
            [planted["category"], week],
        ).fetchall()
    n, baseline_n, baseline_weeks, rel_change, q_value, is_signal = shift
    assert n >= 60 and baseline_n >= 240 and baseline_weeks == 4
    assert is_signal and q_value < 0.05 and rel_change <= -0.05
    ranked = {(dim, rank): value for dim, value, rank, _ in drivers if rank is not None}
    assert {ranked[("agent", r)] for r in (1, 2, 3)} <= set(planted["agents"])
    assert ranked[("team", 1)] == "general_support"
    items = {value: moved for dim, value, _, moved in drivers if dim == "rubric_item"}
    assert min(items, key=lambda item: items[item]) == "resolution_correct"


def test_the_run_writes_the_scorecard_and_trustqa_shifts_tells_the_planted_shift(sample_warehouse):
    """What `make run` leaves for people who never open SQL: the week's scorecard beside the published copy
    (named in the run's summary) and `trustqa shifts` saying, in words, the planted drop and its drivers."""
    import io
    import json
    import re

    from dagster_project.insights.shifts_command import run_shifts
    from dagster_project.settings import Settings

    (planted,) = json.loads((SEEDS / "planted_shifts.json").read_text())
    (week,) = planted["weeks"]
    folder = sample_warehouse.path.parent
    latest = folder / "scorecard" / "latest.html"
    assert f"weekly scorecard (for stakeholders): {latest}" in sample_warehouse.first_run.stdout
    assert f'<meta name="trustqa-week" content="{week}">' in latest.read_text(encoding="utf-8")
    assert (folder / "scorecard" / f"{week}.html").exists()

    out, err = io.StringIO(), io.StringIO()
    config = Settings.from_env({"TRUSTQA_DUCKDB_PATH": str(sample_warehouse.path)})
    assert run_shifts(config, None, folder / "trustqa_marts.duckdb", out, err) == 0, err.getvalue()
    (said,) = [p for p in out.getvalue().split("\n\n") if p.startswith(f"QA score, category {planted['category']}: ")]
    assert "getting worse (rate)" in said and "Rubric item that moved: resolution_correct" in said
    named_agents = set(re.findall(r"\bag_\d{4}\b", said))
    assert named_agents and named_agents <= set(planted["agents"])  # the drivers named are planted agents
