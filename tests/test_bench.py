"""The scale benchmark (bench/run.py): a smoke run at a tiny scale, and how peak memory is measured.

No timing assertions: the figures depend on the machine. The smoke run
checks the report is complete, every figure present and numeric.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bench import report
from bench.measure import run_step
from dagster_project.contract import TABLES
from dagster_project.settings import PROJECT_ROOT


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _section_table(markdown: str, title: str) -> dict[str, list[str]]:
    """The first markdown table under ``## title``: first cell -> the row's cells (header included)."""
    section = markdown.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|") and not re.match(r"^\|(---\|)+$", line)]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return {row[0]: row for row in rows}


def test_peak_memory_covers_a_grandchild(tmp_path):
    """ru_maxrss through wait4 includes a process the step started and waited for (as Dagster waits for dbt)."""
    grandchild = "import time; block = bytearray(200 * 2**20); time.sleep(1)"
    child = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}], check=True)"
    m = run_step("alloc", [sys.executable, "-c", child], tmp_path / "alloc.log", {}, tmp_path)
    assert m.peak_mib >= 200
    assert m.tree_mib >= 200


@pytest.mark.slow
def test_benchmark_smoke_run_writes_a_complete_report(tmp_path):
    results = tmp_path / "results.md"
    done = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "bench" / "run.py"),
            "--scale",
            "0.02",
            "--days",
            "3",
            "--out",
            str(tmp_path / "out"),
            "--results",
            str(results),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = results.read_text(encoding="utf-8")
    assert "## Ratios and targets" in done.stdout  # the report is printed too
    assert "scale 0.02, 3 export days" in text
    assert re.search(r"machine: .+, \d+ cores, [\d.]+ GiB RAM", text)

    steps = _section_table(text, "Steps")
    assert list(steps["step"]) == list(report.STEP_COLUMNS)
    for _, label, _ in report.STEPS:
        cells = steps[label]
        assert len(cells) == len(report.STEP_COLUMNS) and cells[1]
        for value in cells[2:]:
            assert _number(value) >= 0, (label, value)

    raw = _section_table(text, "Rows per raw table")
    assert list(raw["table"]) == list(report.RAW_COLUMNS)
    for table in TABLES:
        assert all(_number(v) >= 0 for v in raw[table.name][1:]), table.name
    assert _number(raw["users"][1]) > 0 and _number(raw["orders"][2]) > 0  # the new day adds rows

    throughput = _section_table(text, "Throughput")
    for reader in ("loader", "DuckDB direct read"):
        assert all(_number(v) >= 0 for v in throughput[reader][1:]), reader
    assert throughput["loader"][1] == throughput["DuckDB direct read"][1]  # the same rows read both ways

    ratios = _section_table(text, "Ratios and targets")
    assert list(ratios["ratio"]) == list(report.RATIO_COLUMNS)
    for name in report.RATIOS:
        value, target, status = ratios[name][1:]
        assert _number(value) > 0 and target and status in {"met", "missed"}, name

    assert "## Where the time goes" in text and "whole Dagster run" in text


def test_report_without_the_dagster_history_compares_the_nightly_with_the_parts():
    """``--history-without-dagster``: the full build is loader + bare dbt + gates; orchestration is not measured."""
    import datetime as dt

    from bench.breakdown import RunProfile
    from bench.measure import Measurement

    steps = {
        key: Measurement(key, wall, 100.0, 120.0)
        for key, wall in {
            "raw_load": 300.0,
            "direct_read": 100.0,
            "dbt_bare": 600.0,
            "gates": 100.0,
            "nightly": 50.0,
            "fixed_cost": 12.0,
        }.items()
    }
    results = report.Results(
        scale=10,
        days=365,
        first_day=dt.date(2025, 1, 1),
        new_day=dt.date(2025, 12, 31),
        measured_at=dt.datetime(2026, 12, 1, 12, 0),
        load_before=(0.0, 0.0, 0.0),
        load_after=(0.0, 0.0, 0.0),
        steps=steps,
        raw_rows=[],
        derived_rows=[],
        loader_rows=10,
        direct_rows=10,
        input_mb=1.0,
        runs={
            "nightly": RunProfile("r1", "trustqa_nightly", 40.0, {"raw_gates": 2.0}),
            "fixed_cost": RunProfile("r2", "trustqa_nightly", 9.0, {"raw_gates": 1.5}),
        },
        dbt={},
    )
    by_name = {name: (value, met) for name, value, _, met in report.ratios(results)}
    parts = 300.0 + 600.0 + 100.0
    assert by_name["nightly / full build as loader + bare dbt + gates"] == (50.0 / parts, True)
    assert by_name["gates / full build as loader + bare dbt + gates"] == (100.0 / parts, True)
    assert by_name["orchestrated / bare dbt"] == (None, None)
    assert by_name["loader / direct read"] == (3.0, False)
    assert by_name["fixed cost s"] == (12.0, True)
    text = report.render(results, "test machine", "commit abc")
    steps_table = _section_table(text, "Steps")
    assert (
        steps_table["full build"][2] == steps_table["dbt build (Dagster)"][2] == "skipped (--history-without-dagster)"
    )
    assert "| orchestrated / bare dbt | not measured | <= 1.15 | not measured |" in text
    assert "| raw_gates | - | 2.0 | - | 1.5 |" in text
    assert "| fixed cost s | 12.0 | < 15 | met |" in text
    # outside the run: the nightly 50 - 40, the fixed cost 12 - 9
    assert "| outside the run (process start, dbt parse, summary) | - | 10.0 | - | 3.0 |" in text
