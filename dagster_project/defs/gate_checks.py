"""Great Expectations gates as Dagster asset checks: one check per suite, on its asset.

Each layer's suites run in one step (``raw_gates``, ``staging_gates``,
``marts_gates``) after that layer is built. A suite is a blocking check: when
an error-severity expectation fails, the check fails with severity ERROR and
Dagster does not run anything downstream in that run. When only warnings
fail, the check reports a failure with severity WARN, which never blocks.
Metadata shows every failed expectation, its observed value and a few
offending rows (key columns only), and the rows validated (``scope``).

A run over a partition window (the raw assets' partitions: the run's
partition or partition range tags) validates only what it could have
changed (``GateSuite.restrict``: raw rows of its export days, staging rows
loaded since downstream last accepted them); a run without one validates
whole tables.
"""

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.defs.retries import retry_transient
from dagster_project.gates.docs_index import layer_docs_dir, write_index
from dagster_project.gates.outcomes import FAILED, PASSED, SuiteOutcome
from dagster_project.gates.validate import validate_duckdb, validate_snowflake
from expectations import LAYERS, GateSuite, suites_of
from expectations.suite import Window

GATE_CHECK_NAME = "great_expectations"


def _asset_key(suite: GateSuite) -> dg.AssetKey:
    return dg.AssetKey(list(suite.asset_key_path))


def run_window(tags: Mapping[str, str]) -> Window | None:
    """The export days of a run from its tags (one partition, or a partition range); None: no window.

    The gate checks are not partitioned themselves (their assets may not
    be), so they read the window the run was launched with, as the raw
    assets' partitions: ``dagster/partition`` or
    ``dagster/asset_partition_range_start`` / ``_end`` (daily keys, YYYY-MM-DD).
    """
    start, end = tags.get(ASSET_PARTITION_RANGE_START_TAG), tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if start is None and end is None:
        start = end = tags.get(PARTITION_NAME_TAG)
    if start is None or end is None:
        return None
    try:
        return Window(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    except ValueError:  # not a daily key
        return None


def _failures_markdown(outcome: SuiteOutcome) -> str:
    failed = [*outcome.failed_errors, *outcome.failed_warnings]
    if not failed:
        return "every expectation passed"
    lines = ["| expectation | severity | observed | unexpected | sample rows (keys) |", "|---|---|---|---|---|"]
    for e in failed:
        observed = e.error or e.observed_value
        lines.append(
            f"| {e.gate} | {'error' if e.blocking else 'warning'} | {observed} | "
            f"{'' if e.unexpected_count is None else e.unexpected_count} | {e.sample_rows} |"
        )
    return "\n".join(lines)


def check_result(outcome: SuiteOutcome, docs_dir: Path) -> dg.AssetCheckResult:
    failed = outcome.status == FAILED
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(list(outcome.asset_key_path)),
        check_name=GATE_CHECK_NAME,
        passed=outcome.status == PASSED,
        severity=dg.AssetCheckSeverity.ERROR if failed else dg.AssetCheckSeverity.WARN,
        metadata={
            "suite": dg.MetadataValue.text(outcome.suite_name),
            "status": dg.MetadataValue.text(outcome.status),
            "scope": dg.MetadataValue.text(outcome.scope),
            "expectations": dg.MetadataValue.int(len(outcome.expectations)),
            "failed_errors": dg.MetadataValue.json([e.gate for e in outcome.failed_errors]),
            "failed_warnings": dg.MetadataValue.json([e.gate for e in outcome.failed_warnings]),
            "failures": dg.MetadataValue.md(_failures_markdown(outcome)),
            "data_docs": dg.MetadataValue.path(str(layer_docs_dir(docs_dir, outcome.layer) / "index.html")),
        },
    )


def build_gate_checks(layer: str, suites_in_step: list[GateSuite], name: str) -> dg.AssetChecksDefinition:
    suites = {_asset_key(s): s for s in suites_in_step}
    specs = [
        dg.AssetCheckSpec(
            GATE_CHECK_NAME,
            asset=key,
            blocking=True,
            description=f"Great Expectations suite `{suite.name}` (expectations/{layer}.py): "
            "error-severity expectations block everything downstream, warnings are reported.",
        )
        for key, suite in suites.items()
    ]

    @dg.multi_asset_check(specs=specs, name=name, can_subset=True, pool=WAREHOUSE_POOL)
    def _gates(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        selected = [suites[key.asset_key] for key in context.selected_asset_check_keys]
        docs_dir = Path(warehouse.data_docs_dir)
        window = run_window(context.run.tags)
        with retry_transient(context):
            if warehouse.target == "snowflake":
                outcomes = validate_snowflake(selected, docs_dir=layer_docs_dir(docs_dir, layer), window=window)
            else:
                outcomes = validate_duckdb(
                    Path(warehouse.duckdb_path), selected, layer_docs_dir(docs_dir, layer), window=window
                )
        write_index(docs_dir)
        for outcome in outcomes:
            if outcome.status != PASSED:
                context.log.warning(f"{outcome.suite_name}: {outcome.status}: {', '.join(outcome.failing_names())}")
            yield check_result(outcome, docs_dir)

    return _gates


def gate_steps(step_of: Callable[[dg.AssetKey], str]) -> dict[tuple[str, str], list[GateSuite]]:
    """The suites of each layer grouped by the step that builds their assets: ``(layer, step) -> suites``.

    A check step waits for everything it checks, and a blocking check holds
    back everything downstream of its asset. One check step over assets of
    two build steps (the incremental marts and the table marts) would wait
    for the later one while holding back the earlier one's consumers: a
    cycle. So each build step gets its own gate step.
    """
    steps: dict[tuple[str, str], list[GateSuite]] = {}
    for layer in LAYERS:
        for suite in suites_of(layer):
            steps.setdefault((layer, step_of(_asset_key(suite))), []).append(suite)
    return steps


def gate_check_name(layer: str, step: str, steps_in_layer: int) -> str:
    """``<layer>_gates``, or ``<layer>_gates__<step>`` when a layer is built by several steps."""
    return f"{layer}_gates" if steps_in_layer == 1 else f"{layer}_gates__{step}"


def build_all_gate_checks(step_of: Callable[[dg.AssetKey], str]) -> list[dg.AssetChecksDefinition]:
    steps = gate_steps(step_of)
    per_layer = {layer: sum(1 for (lay, _) in steps if lay == layer) for layer in LAYERS}
    return [
        build_gate_checks(layer, suites, gate_check_name(layer, step, per_layer[layer]))
        for (layer, step), suites in steps.items()
    ]
