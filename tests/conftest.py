"""Shared test fixtures: build things once per session, not once per test."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from dagster_project.settings import PROJECT_ROOT
from dagster_project.summary import TableCount, table_counts

SEEDS = PROJECT_ROOT / "seeds"
COUNTED_SCHEMAS = ("raw", "quarantine", "intermediate", "marts", "reference")


@pytest.fixture(scope="session")
def dbt_manifest() -> None:
    """dagster-dbt builds its assets from a parsed manifest: parse once per session."""
    from dagster_project.dbt_project import prepare_manifest

    prepare_manifest()


def materialize(
    exports: Path, warehouse: Path, dagster_home: Path, *extra: str, extra_env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the real CLI, as a user would (``extra``: more flags, e.g. ``--partition D``)."""
    trustqa = Path(sys.executable).with_name("trustqa")
    env = {**os.environ, **(extra_env or {}), "DAGSTER_HOME": str(dagster_home)}
    env.pop("TRUSTQA_EXPORTS_DIR", None)
    return subprocess.run(
        [str(trustqa), "materialize", "--exports", str(exports), "--warehouse", str(warehouse), *extra],
        cwd=warehouse.parent,
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )


@dataclass
class SampleWarehouse:
    path: Path
    dagster_home: Path
    first_run: subprocess.CompletedProcess
    counts_after_first_run: list[TableCount]


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory, worker_id, dbt_manifest) -> SampleWarehouse:
    """`trustqa materialize` on the bundled sample, once per session.

    Under pytest-xdist every worker is its own process with its own session:
    the first worker that needs the sample builds it in the folder all
    workers share, under a file lock, and the others read what it recorded.
    Tests only read this warehouse (those that write work on a copy).
    """
    if worker_id == "master":  # not under xdist
        return _build_sample_warehouse(tmp_path_factory.mktemp("sample"))
    shared = tmp_path_factory.getbasetemp().parent / "sample"
    record = shared / "sample_warehouse.pickle"
    with FileLock(str(shared) + ".lock"):
        if not record.exists():
            shared.mkdir()
            record.write_bytes(pickle.dumps(_build_sample_warehouse(shared)))
    return pickle.loads(record.read_bytes())


def _build_sample_warehouse(root: Path) -> SampleWarehouse:
    warehouse, home = root / "trustqa.duckdb", root / "dagster_home"
    home.mkdir()
    first = materialize(SEEDS, warehouse, home, extra_env={"TRUSTQA_TARGET": "duckdb"})  # whatever a module set
    return SampleWarehouse(warehouse, home, first, table_counts(warehouse, COUNTED_SCHEMAS))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-screenshot",
        action="store_true",
        help="write the sample scorecard's screenshot to docs/images/scorecard.png (the README's picture)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules marked ``slow`` (dbt or the whole pipeline) first, each module's tests kept together.

    pytest-xdist (``--dist loadfile --no-loadscope-reorder``) hands whole
    modules to the workers in this order: starting with the long ones lets
    the workers finish together (xdist's own order is by number of tests).
    """

    def module(item: pytest.Item) -> str:
        return item.nodeid.split("::", 1)[0]

    slow_modules = {module(item) for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: module(item) not in slow_modules)


# -- where the suite's time goes: printed at the end of every run (docs/testing.md "Timings") -----------------

_module_spans: dict[str, list[float]] = {}  # module -> [first start, last stop, summed seconds], from the reports
_module_workers: dict[str, str] = {}  # module -> the xdist worker that ran it


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Every phase (setup, call, teardown) of every test: its module's span and summed time."""
    module = report.nodeid.split("::", 1)[0]
    span = _module_spans.setdefault(module, [report.start, report.stop, 0.0])
    span[0], span[1] = min(span[0], report.start), max(span[1], report.stop)
    span[2] += report.duration
    node = getattr(report, "node", None)  # set by pytest-xdist on the controller
    if node is not None:
        _module_workers[module] = node.gateway.id


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """The longest modules and each worker's busy time: what decides the suite's wall time."""
    if not _module_spans or hasattr(config, "workerinput"):  # nothing ran, or a worker (the controller prints)
        return
    longest = sorted(_module_spans.items(), key=lambda item: -item[1][2])[:12]
    first = min(span[0] for span in _module_spans.values())
    terminalreporter.write_sep("=", "slowest modules (setup, tests and teardown summed; seconds from the start)")
    for module, (start, stop, seconds) in longest:
        worker = _module_workers.get(module, "main")
        terminalreporter.write_line(
            f"{seconds:8.1f} s  {module}  [{worker}, {start - first:.0f} .. {stop - first:.0f} s]"
        )
    busy: dict[str, float] = {}
    for module, (_, _, seconds) in _module_spans.items():
        worker = _module_workers.get(module, "main")
        busy[worker] = busy.get(worker, 0.0) + seconds
    total = sum(busy.values())
    per_worker = ", ".join(f"{worker} {seconds:.0f} s" for worker, seconds in sorted(busy.items()))
    terminalreporter.write_line(f"{total:8.1f} s  of tests in all ({per_worker})")
