"""The bundled sample: ``trustqa export-sor`` and ``trustqa dsa-report`` give schema-valid, documented output whose
totals match the enforcement and appeal marts (issue 23, "Done when")."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.dsa.report import METRICS
from dagster_project.dsa.statements import invalid_statements

pytestmark = pytest.mark.slow


def _one(path: Path, sql: str):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_the_sample_exports_every_statement_schema_valid(sample_warehouse, tmp_path: Path, capsys) -> None:
    warehouse = sample_warehouse.path
    last = _one(warehouse, "select max(day) from marts.dim_date")
    out = tmp_path / "sor.jsonl"
    args = ["export-sor", "--since", "2020-01-01", "--until", last.isoformat(), "--out", str(out)]
    assert main([*args, "--warehouse", str(warehouse)]) == 0, capsys.readouterr().err
    statements = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    restricting = _one(
        warehouse, "select count(*) from staging.stg_marketplace__enforcement_actions where action_type <> 'warning'"
    )
    assert len(statements) == restricting > 100
    assert invalid_statements(statements) == []
    assert {s["source_type"] for s in statements} == {"SOURCE_ARTICLE_16", "SOURCE_VOLUNTARY"}


def test_the_sample_half_year_report_matches_the_outcome_marts(sample_warehouse, tmp_path: Path, capsys) -> None:
    warehouse = sample_warehouse.path
    target = tmp_path / "report.csv"
    assert main(["dsa-report", "--period", "2026-H2", "--out", str(target), "--warehouse", str(warehouse)]) == 0
    printed = capsys.readouterr().out
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    totals = {r["metric"]: r for r in rows if r["breakdown"] == "total"}
    assert set(totals) == {metric for metric, _, _ in METRICS}  # every documented figure, once
    h2 = "day between date '2026-07-01' and date '2026-12-31'"
    actions = _one(warehouse, f"select sum(actions) from marts.fct_enforcement_outcomes_daily where {h2}")
    decided = _one(warehouse, f"select sum(decided) from marts.fct_appeal_outcomes_daily where {h2}")
    reversed_ = _one(
        warehouse,
        f"select sum(overturned + partially_overturned) from marts.fct_appeal_outcomes_daily where {h2}",
    )
    assert int(totals["actions_taken"]["value"]) == actions > 100
    assert int(totals["own_initiative_actions"]["value"]) + int(totals["actions_on_notices"]["value"]) == actions
    assert int(totals["complaints_decided"]["value"]) == decided > 10
    assert int(totals["complaints_reversed"]["value"]) == reversed_
    # breakdowns add up to their totals where they partition them
    for metric, breakdown in (("notices_received", "category"), ("actions_taken", "automated_decision"),
                              ("complaints_received", "review_level"), ("suspensions", "reason")):  # fmt: skip
        parts = sum(int(r["value"]) for r in rows if r["metric"] == metric and r["breakdown"] == breakdown)
        assert parts == int(totals[metric]["value"]), metric
    assert f"{actions:,}  All moderation actions, by use of automated means" in printed
