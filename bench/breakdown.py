"""Where a measured run spent its time: Dagster step durations, events and dbt node timings.

Read after the run, never timed: the Dagster instance in the step's
``DAGSTER_HOME`` has every run's step start and end; dagster-dbt leaves each
dbt invocation's ``run_results.json`` (and the manifest it ran) in
``dbt_project/target/<op>-<run id[:7]>-<uuid>/``.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from dagster_project.settings import DBT_PROJECT_DIR

RAW_PHASE = "raw loading (one step per table)"


def phase_of(step_key: str) -> str:
    """The raw assets' steps count as one phase; every other step (gates, dbt) is its own."""
    return RAW_PHASE if step_key.startswith("raw__") else step_key


@dataclass
class RunProfile:
    run_id: str
    job: str
    seconds: float  # run start to run end, inside the process
    phases: dict[str, float] = field(default_factory=dict)  # phase -> summed step seconds, in run order
    events: Counter = field(default_factory=Counter)  # Dagster event type -> events in the run's event log


@dataclass(frozen=True)
class DbtNode:
    unique_id: str
    kind: str  # view | table | incremental | seed | data test | unit test
    seconds: float


def runs(dagster_home: Path) -> list[RunProfile]:
    """Every run recorded in the instance, oldest first, with its phases."""
    import dagster as dg

    warnings.filterwarnings("ignore")
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    profiles = []
    for run in reversed(instance.get_runs()):
        stats = instance.get_run_stats(run.run_id)
        profile = RunProfile(run.run_id, run.job_name, (stats.end_time or 0) - (stats.start_time or 0))
        steps = [s for s in instance.get_run_step_stats(run.run_id) if s.start_time and s.end_time]
        for step in sorted(steps, key=lambda s: s.start_time):
            phase = phase_of(step.step_key)
            profile.phases[phase] = profile.phases.get(phase, 0.0) + step.end_time - step.start_time
        profile.events = Counter(
            r.dagster_event.event_type_value for r in instance.all_logs(run.run_id) if r.dagster_event
        )
        profiles.append(profile)
    instance.dispose()
    return profiles


def _kind(node: dict | None, resource_type: str) -> str:
    if resource_type == "test":
        return "data test"
    if resource_type == "unit_test":
        return "unit test"
    if resource_type == "seed":
        return "seed"
    return ((node or {}).get("config") or {}).get("materialized", resource_type)


def dbt_nodes_of(target_dirs: list[Path]) -> dict[str, DbtNode]:
    """Execution time of every dbt node in these invocations' ``run_results.json``."""
    nodes: dict[str, DbtNode] = {}
    for target in target_dirs:
        results = target / "run_results.json"
        if not results.exists():
            continue
        manifest_path = target / "manifest.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        known = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
        for result in json.loads(results.read_text())["results"]:
            uid = result["unique_id"]
            nodes[uid] = DbtNode(uid, _kind(known.get(uid), uid.split(".")[0]), float(result["execution_time"]))
    return nodes


def dbt_nodes(run_id: str) -> dict[str, DbtNode]:
    """The dbt nodes that a Dagster run's dbt steps executed."""
    return dbt_nodes_of(sorted((DBT_PROJECT_DIR / "target").glob(f"*-{run_id[:7]}-*")))
