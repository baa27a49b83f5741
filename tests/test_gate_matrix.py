"""The bad-input matrix: every fault kind through the real pipeline, with its documented outcome.

Each scenario starts from a copy of the clean sample warehouse (the session's
``trustqa materialize`` of ``seeds/``), injects faults into a copy of the
sample's last export day (2026-11-14) with ``inject_faults`` and runs
``trustqa materialize`` again, as a user would. The documented outcome of
each kind (``FAULT_KINDS``: quarantined under a rule, blocked by a named
gate, or warned) is asserted from the warehouse and the printed gate table;
a blocked run must leave every mart exactly as the good run left it.

Scenarios (kinds that can share a run do):
- ``quarantined_and_warned``: every quarantined and warned kind at once
  (among them a rating for a ticket that does not exist: an unknown
  reference warns, docs/gates.md "Unknown references"), except the one below;
- ``blocked_in_staging``: an appeal decided before it was submitted;
- ``blocked_in_raw``: a day with zero orders, and a QA reviews file
  quarantined whole (``not_utf8``): that empties the day of a table with
  more than ``VOLUME_MIN_MEDIAN`` rows a day (the sample's QA reviews: about
  70), which the raw gate ``no empty day`` blocks as it blocks zero orders.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dagster_project.generator.faults import FAULT_KINDS, InjectedFault, inject_faults
from expectations import all_suites
from tests.conftest import SEEDS, materialize

pytestmark = pytest.mark.slow

PUBLISHED = "trustqa_marts.duckdb"  # the analysts' copy, next to the warehouse
EMPTIES_A_DAY = ["not_utf8"]  # quarantined whole: its table's day is empty (see the module doc)
SCENARIOS: dict[str, list[str]] = {
    "quarantined_and_warned": [
        k for k, spec in FAULT_KINDS.items() if spec.expected != "blocked" and k not in EMPTIES_A_DAY
    ],
    "blocked_in_staging": ["appeal_decided_before_submitted"],
    "blocked_in_raw": ["zero_orders_day", *EMPTIES_A_DAY],
}


def scenario_of(kind: str) -> str:
    return next(name for name, kinds in SCENARIOS.items() if kind in kinds)


@dataclass
class Scenario:
    completed: subprocess.CompletedProcess
    injected: dict[str, InjectedFault]
    warehouse: Path
    gates: dict[str, tuple[str, str]]  # suite -> (status, failing expectations)
    marts_before: dict[str, list[tuple[Any, ...]]]
    marts_after: dict[str, list[tuple[Any, ...]]]


def marts_snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        return {n: con.execute(f"select * from marts.{n} order by all").fetchall() for n in names}


def gate_table(stdout: str) -> dict[str, tuple[str, str]]:
    """Parse the gate table `trustqa materialize` prints: `<suite> <status> <failing>` per gate."""
    suites = {s.name for s in all_suites()}
    rows = {}
    for line in stdout.splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2 and parts[0] in suites:
            rest = parts[1]
            status = "not run" if rest.startswith("not run") else rest.split(None, 1)[0]
            rows[parts[0]] = (status, rest[len(status) :].strip())
    return rows


@pytest.fixture(scope="module")
def scenarios(sample_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Scenario]]:
    assert sample_warehouse.first_run.returncode == 0, sample_warehouse.first_run.stderr[-2000:]
    prepared = {}
    for name, kinds in SCENARIOS.items():
        root = tmp_path_factory.mktemp(name)
        exports, warehouse, home = root / "exports", root / "trustqa.duckdb", root / "dagster_home"
        shutil.copytree(SEEDS, exports, ignore=shutil.ignore_patterns("*.md"))
        shutil.copy(sample_warehouse.path, warehouse)
        shutil.copy(sample_warehouse.path.parent / PUBLISHED, root / PUBLISHED)  # the last good publication
        home.mkdir()
        injected = {f.kind: f for f in inject_faults(exports, kinds, seed=1)}
        prepared[name] = (exports, warehouse, home, injected, marts_snapshot(warehouse))
    # independent warehouses and processes: run the scenarios side by side
    with ThreadPoolExecutor(max_workers=len(prepared)) as pool:
        runs = {name: pool.submit(materialize, *p[:3]) for name, p in prepared.items()}
    results = {}
    for name, (_, warehouse, _, injected, before) in prepared.items():
        completed = runs[name].result()
        results[name] = Scenario(
            completed, injected, warehouse, gate_table(completed.stdout), before, marts_snapshot(warehouse)
        )
    yield results


@pytest.mark.parametrize("kind", list(FAULT_KINDS))
def test_each_fault_kind_has_its_documented_outcome(kind: str, scenarios: dict[str, Scenario]) -> None:
    spec, scenario = FAULT_KINDS[kind], scenarios[scenario_of(kind)]
    fault = scenario.injected[kind]
    if spec.expected == "quarantined":
        with duckdb.connect(str(scenario.warehouse), read_only=True) as con:
            lines = [
                r[0]
                for r in con.execute(
                    f"select _source_line from quarantine.{spec.table_name} where _source_file = ? and rule = ?",
                    [fault.file, spec.rule],
                ).fetchall()
            ]
        assert lines, f"{kind}: nothing quarantined under {spec.rule} for {fault.file}"
        if fault.line is not None and not spec.whole_file:
            assert fault.line in lines
    else:
        suite, expectation = spec.gate.split(": ", 1)
        status, failing = scenario.gates[suite]
        assert status == ("failed" if spec.expected == "blocked" else "warned"), (kind, status, failing)
        assert expectation in failing, (kind, failing)


def test_quarantine_and_warnings_do_not_stop_the_run(scenarios: dict[str, Scenario]) -> None:
    scenario = scenarios["quarantined_and_warned"]
    assert scenario.completed.returncode == 0, scenario.completed.stdout[-3000:] + scenario.completed.stderr[-3000:]
    assert "run succeeded" in scenario.completed.stdout
    statuses = [status for status, _ in scenario.gates.values()]
    assert statuses.count("warned") == 3 and "failed" not in statuses and "not run" not in statuses


@pytest.mark.parametrize(
    ("name", "not_run_layers"), [("blocked_in_staging", ("marts",)), ("blocked_in_raw", ("staging", "marts"))]
)
def test_blocked_run_fails_and_changes_no_mart(
    name: str, not_run_layers: tuple[str, ...], scenarios: dict[str, Scenario]
) -> None:
    scenario = scenarios[name]
    assert scenario.completed.returncode == 1
    assert "a blocking quality gate failed" in scenario.completed.stderr
    for suite in all_suites():
        if suite.layer in not_run_layers:
            assert scenario.gates[suite.name][0] == "not run", suite.name
    assert scenario.marts_after == scenario.marts_before
    assert sum(len(rows) for rows in scenario.marts_before.values()) > 1000
    # analysts keep reading the last good publication
    assert "unchanged by this run" in scenario.completed.stdout
    assert marts_snapshot(scenario.warehouse.parent / PUBLISHED) == scenario.marts_before


def test_a_file_quarantined_whole_empties_its_day_and_blocks(scenarios: dict[str, Scenario]) -> None:
    """not_utf8 quarantines the last day's QA reviews file whole: raw.qa_reviews has no rows for that day."""
    from expectations.raw import VOLUME_MIN_MEDIAN

    scenario = scenarios["blocked_in_raw"]
    with duckdb.connect(str(scenario.warehouse), read_only=True) as con:
        day, quarantined = con.execute(
            "select max(_export_date), count(*) from quarantine.qa_reviews where rule = 'not_utf8'"
        ).fetchone()
        loaded = con.execute("select count(*) from raw.qa_reviews where _export_date = ?", [day]).fetchone()[0]
        before = con.execute(
            "select median(n) from (select count(*) as n from raw.qa_reviews "
            "where _export_date between ? - interval 7 day and ? - interval 1 day group by _export_date)",
            [day, day],
        ).fetchone()[0]
    assert quarantined > 0 and loaded == 0 and before >= VOLUME_MIN_MEDIAN
    status, failing = scenario.gates["raw.qa_reviews"]
    assert status == "failed" and "no empty day" in failing


def test_a_run_with_only_quarantines_and_warnings_publishes(scenarios: dict[str, Scenario]) -> None:
    scenario = scenarios["quarantined_and_warned"]
    assert "published by this run" in scenario.completed.stdout
    assert marts_snapshot(scenario.warehouse.parent / PUBLISHED) == scenario.marts_after
