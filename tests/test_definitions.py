"""The code location loads and shows one lineage graph from raw file to mart."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from dagster_project.contract import TABLES
from dagster_project.defs.translator import layer_of

HISTORY_TABLES = (
    "users",
    "orders",
    "disputes",
    "enforcement_actions",
    "appeals",
    "tickets",
    "satisfaction_ratings",
    "qa_reviews",
    "agents",
)


@pytest.fixture(scope="module")
def asset_graph(dbt_manifest):
    from dagster_project.definitions import defs

    return defs.resolve_asset_graph()


def key(*parts: str) -> dg.AssetKey:
    return dg.AssetKey(list(parts))


def upstream_closure(graph, asset_key: dg.AssetKey) -> set[dg.AssetKey]:
    seen: set[dg.AssetKey] = set()
    todo = [asset_key]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_every_raw_table_feeds_its_staging_model(asset_graph):
    for t in TABLES:
        raw = key("raw", t.name)
        staging = key("staging", f"stg_{t.system}__{t.name}")
        assert asset_graph.has(raw), raw
        assert asset_graph.get(raw).group_name == "raw"
        assert asset_graph.has(staging), staging
        assert raw in asset_graph.get(staging).parent_keys, f"{staging} does not read {raw}"


def test_history_models_exist_for_changing_tables(asset_graph):
    for name in HISTORY_TABLES:
        history = key("intermediate", f"int_{name}_history")
        assert asset_graph.has(history), history
        assert key("raw", name) in upstream_closure(asset_graph, history)


def test_mart_lineage_reaches_raw_files(asset_graph):
    mart = key("marts", "fct_appeal_outcomes_daily")
    assert asset_graph.get(mart).group_name == "marts"
    upstream = upstream_closure(asset_graph, mart)
    assert {key("raw", "appeals"), key("raw", "enforcement_actions")} <= upstream
    assert key("staging", "stg_marketplace__appeals") in upstream


def test_raw_assets_are_daily_partitioned_and_dbt_tests_are_checks(asset_graph):
    raw = asset_graph.get(key("raw", "orders"))
    assert isinstance(raw.partitions_def, dg.DailyPartitionsDefinition)
    check_keys = {c.asset_key for c in asset_graph.asset_check_keys}
    assert key("marts", "fct_appeal_outcomes_daily") in check_keys


def test_every_gate_suite_is_a_blocking_check_on_its_asset(dbt_manifest, asset_graph):
    from dagster_project.definitions import defs
    from dagster_project.defs.gate_checks import GATE_CHECK_NAME
    from expectations import all_suites

    specs = {(spec.asset_key, spec.name): spec for checks in defs.asset_checks or [] for spec in checks.check_specs}
    for suite in all_suites():
        asset = dg.AssetKey(list(suite.asset_key_path))
        assert asset in asset_graph.get_all_asset_keys(), suite.name
        spec = specs[(asset, GATE_CHECK_NAME)]
        assert spec.blocking, suite.name


def test_every_mart_is_stale_after_36_hours(dbt_manifest, asset_graph):
    marts = [k for k in asset_graph.get_all_asset_keys() if k.path[0] == "marts"]
    assert marts
    for mart in marts:
        policy = asset_graph.get(mart).freshness_policy
        assert policy is not None and policy.fail_window.to_timedelta() == dt.timedelta(hours=36), mart
    assert asset_graph.get(key("staging", "stg_marketplace__orders")).freshness_policy is None


def test_schedule_and_sensors_are_defined(dbt_manifest):
    from dagster_project.definitions import defs

    assert defs.resolve_schedule_def("trustqa_nightly_schedule").job_name == "trustqa_nightly"
    assert defs.resolve_sensor_def("trustqa_exports_sensor").job_name == "trustqa_nightly"
    # recovers runs whose process died; starts no job
    assert not defs.resolve_sensor_def("trustqa_dead_run_sensor").has_jobs


def test_dbt_assets_are_split_by_how_the_models_run(dbt_manifest):
    import json

    from dagster_project.dbt_project import dbt_project
    from dagster_project.defs.dbt_assets import trustqa_dbt_incremental, trustqa_dbt_staging, trustqa_dbt_tables

    staging, incremental, tables = (
        set(d.keys) for d in (trustqa_dbt_staging, trustqa_dbt_incremental, trustqa_dbt_tables)
    )
    assert not (staging & incremental or staging & tables or incremental & tables)
    # the staging models and the run's as-of time (read by incremental and table models alike)
    # the staging models are incremental tables too, kept in their own step before their gates
    assert {key("staging", f"stg_{t.system}__{t.name}") for t in TABLES} <= staging
    assert {k for k in staging if k.path[0] != "staging"} == {key("intermediate", "int_run_as_of")}
    # the models that grow with time: every version history and the point-in-time features
    assert {key("intermediate", f"int_{name}_history") for name in HISTORY_TABLES} <= incremental
    assert key("marts", "fct_user_risk_features_daily") in incremental
    assert {key("marts", "fct_appeal_outcomes_daily"), key("marts", "dim_user_risk_current")} <= tables
    # ... and they really are incremental in dbt (not tables under an "incremental" name)
    nodes = json.loads(dbt_project.manifest_path.read_text())["nodes"].values()
    materialized = {
        key(n["fqn"][1], n["name"]): n["config"]["materialized"] for n in nodes if n["resource_type"] == "model"
    }
    assert {materialized[k] for k in incremental} == {"incremental"}
    # the incremental marts of current state (refreshed on the keys that changed) are not partitioned
    assert {k for k in tables if materialized.get(k) == "incremental"} == {
        key("marts", "dim_user_risk_current"),
        key("marts", "dsa_statements_of_reasons"),
    }
    # partitioned like the raw assets, one run per backfill range; the rest is unpartitioned
    from dagster_project.defs.partitions import daily_exports

    assert trustqa_dbt_incremental.partitions_def == daily_exports
    assert trustqa_dbt_incremental.backfill_policy == dg.BackfillPolicy.single_run()
    assert trustqa_dbt_staging.partitions_def is None and trustqa_dbt_tables.partitions_def is None


def test_nightly_job_selects_everything(dbt_manifest):
    from dagster_project.definitions import defs
    from dagster_project.defs.jobs import NIGHTLY_JOB_NAME

    job = defs.resolve_job_def(NIGHTLY_JOB_NAME)
    assert job.partitions_def is not None
    selected = job.asset_layer.executable_asset_keys
    assert key("raw", "users") in selected and key("marts", "fct_appeal_outcomes_daily") in selected


@pytest.mark.parametrize(
    ("props", "layer"),
    [
        ({"resource_type": "source", "fqn": ["trustqa", "marketplace", "orders"]}, "raw"),
        ({"resource_type": "seed", "fqn": ["trustqa", "appeal_sla_targets"]}, "reference"),
        (
            {"resource_type": "model", "fqn": ["trustqa", "staging", "marketplace", "stg_marketplace__orders"]},
            "staging",
        ),
        ({"resource_type": "model", "fqn": ["trustqa", "marts", "fct_appeal_outcomes_daily"]}, "marts"),
    ],
)
def test_layer_naming(props, layer):
    assert layer_of(props) == layer


def test_workspace_yaml_loads_the_code_location(dbt_manifest, tmp_path):
    """What `dagster dev -w workspace.yaml` loads is valid."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from dagster_project.settings import PROJECT_ROOT

    dagster = Path(sys.executable).with_name("dagster")
    completed = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", str(PROJECT_ROOT / "workspace.yaml")],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Validation successful for code location trustqa" in completed.stdout + completed.stderr


def test_nightly_job_runs_each_dbt_definition_once_in_layer_order(dbt_manifest):
    """No definition is split into several steps (that would mean a cycle between them and extra dbt runs)."""
    from dagster_project.definitions import defs
    from dagster_project.defs.jobs import NIGHTLY_JOB_NAME

    job = defs.resolve_job_def(NIGHTLY_JOB_NAME)
    steps = {name for name in job.graph.node_dict if not name.startswith("raw__")}
    assert steps == {
        "raw_gates",
        "trustqa_dbt_staging",
        "staging_gates",
        "trustqa_dbt_incremental",
        "marts_gates__incremental",
        "trustqa_dbt_tables",
        "marts_gates__tables",
        "published__marts",
        "published__qa_scorecard",
        # the warning checks on the shift, spike and sampling-plan marts (never blocking)
        "marts__fct_metric_shifts_weekly_weekly_signals",
        "marts__fct_volume_spikes_daily_daily_spikes",
        "marts__fct_qa_sampling_plan_sampling_coverage",
    }
    upstream = {
        name: {d.node.name for d in job.graph.dependency_structure.all_upstream_outputs_from_node(name)}
        for name in steps
    }
    assert "raw_gates" in upstream["trustqa_dbt_staging"]
    assert "staging_gates" in upstream["trustqa_dbt_incremental"]
    assert "trustqa_dbt_incremental" in upstream["trustqa_dbt_tables"]  # the marts read the histories
    assert {"marts_gates__incremental", "marts_gates__tables"} <= upstream["published__marts"]
    assert "trustqa_dbt_tables" in upstream["marts__fct_metric_shifts_weekly_weekly_signals"]


def test_the_definitions_are_built_from_the_settings_they_are_given(tmp_path, dbt_manifest):
    """The code location's definitions are those of the process's settings; another Settings gives its own."""
    from dagster_project.definitions import defs
    from dagster_project.defs.build import build_definitions
    from dagster_project.settings import Settings, settings

    assert build_definitions(settings()).resolve_asset_graph().get_all_asset_keys() == (
        defs.resolve_asset_graph().get_all_asset_keys()
    )
    on_duckdb = build_definitions(Settings.from_env({"TRUSTQA_DUCKDB_PATH": str(tmp_path / "w.duckdb")}))
    on_snowflake = build_definitions(Settings.from_env({"TRUSTQA_TARGET": "snowflake"}))
    published = key("published", "marts")
    duckdb_keys = on_duckdb.resolve_asset_graph().get_all_asset_keys()
    assert published in duckdb_keys  # the analysts' DuckDB copy; on Snowflake they query the marts schema
    assert on_snowflake.resolve_asset_graph().get_all_asset_keys() == duckdb_keys - {published}
    assert on_duckdb.resources["warehouse"].duckdb_path == str(tmp_path / "w.duckdb")
    assert on_snowflake.resources["warehouse"].target == "snowflake"


def test_the_shift_spike_and_plan_marts_have_warning_checks(dbt_manifest):
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    shifts, spikes = key("marts", "fct_metric_shifts_weekly"), key("marts", "fct_volume_spikes_daily")
    plan = key("marts", "fct_qa_sampling_plan")
    checks = {(k.asset_key, k.name) for k in graph.asset_check_keys}
    assert {(shifts, "weekly_signals"), (spikes, "daily_spikes"), (plan, "sampling_coverage")} <= checks
