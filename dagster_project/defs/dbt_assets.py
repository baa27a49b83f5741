"""The dbt project as Dagster assets, split by how the models run.

* ``trustqa_dbt_staging``: the staging models (current state per key,
  incremental tables that recompute the keys loaded since their last build:
  unpartitioned, as the current state has no day) and ``int_run_as_of``.
  Their Great Expectations gates run
  right after them; every later model reads staging or is declared to
  depend on it, so a failed blocking gate stops everything after it.
* ``trustqa_dbt_incremental``: the models that grow with time, the models
  tagged ``daily_partitioned`` (incremental: the version histories, the QA
  cases and the point-in-time risk features). They are daily-partitioned like the raw
  assets, with a single-run backfill policy; a run passes its partition
  window to dbt as the environment variables ``TRUSTQA_DBT_MIN_DATE`` and
  ``TRUSTQA_DBT_MAX_DATE`` (dbt_args.py), and the models rebuild only what
  that window (plus the late-data lookback) changed.
* ``trustqa_dbt_tables``: everything else (seeds and the
  marts that restate every day as currently known): unpartitioned, rebuilt
  by every run, or incremental on the keys whose inputs changed
  (``dim_user_risk_current``, ``dsa_statements_of_reasons``: current state,
  no partition window).

Each dbt test is an asset check on its model. Every step takes the warehouse
resource, which holds the warehouse's lock in a run (one writer), so a run of
dbt steps alone (a re-execution) is a writer like any other.
"""

from collections.abc import Callable
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.dbt_project import dbt_project
from dagster_project.defs.dbt_args import dbt_build_args, window_environment
from dagster_project.defs.dbt_resource import TrustqaDbtCliResource
from dagster_project.defs.partitions import daily_exports
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.defs.retries import retry_transient
from dagster_project.defs.translator import TrustqaTranslator
from dagster_project.settings import settings

# The staging models, and the run's as-of time (one row computed from the raw
# tables, read by the incremental risk features and by the table marts).
STAGING_SELECTION = "path:models/staging int_run_as_of"
INCREMENTAL_SELECTION = "tag:daily_partitioned"


def trustqa_dbt_assets(name: str, **selection_and_partitions: Any) -> Callable:
    """``@dbt_assets`` over the one dbt project, with the naming policy and the one-writer pool."""
    return dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        dagster_dbt_translator=TrustqaTranslator(),
        pool=WAREHOUSE_POOL,
        name=name,
        **selection_and_partitions,
    )


@trustqa_dbt_assets("trustqa_dbt_staging", select=STAGING_SELECTION)
def trustqa_dbt_staging(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    with retry_transient(context):
        yield from dbt.cli(dbt_build_args(), context=context).stream()


@trustqa_dbt_assets(
    "trustqa_dbt_incremental",
    select=INCREMENTAL_SELECTION,
    exclude=STAGING_SELECTION,
    partitions_def=daily_exports,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def trustqa_dbt_incremental(
    context: dg.AssetExecutionContext, dbt: TrustqaDbtCliResource, warehouse: WarehouseResource
):
    window = context.partition_time_window
    windowed = dbt.with_extra_env(window_environment((window.start, window.end), settings().late_data_lookback_days))
    with retry_transient(context):
        yield from windowed.cli(dbt_build_args(), context=context).stream()


@trustqa_dbt_assets("trustqa_dbt_tables", exclude=f"{STAGING_SELECTION} {INCREMENTAL_SELECTION}")
def trustqa_dbt_tables(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    with retry_transient(context):
        yield from dbt.cli(dbt_build_args(), context=context).stream()


dbt_asset_definitions = [trustqa_dbt_staging, trustqa_dbt_incremental, trustqa_dbt_tables]


def dbt_step_of(asset_key: dg.AssetKey) -> str:
    """The dbt step that builds an asset (``staging``, ``incremental``, ``tables``), ``load`` for raw assets."""
    for definition in dbt_asset_definitions:
        if asset_key in definition.keys:
            return definition.node_def.name.removeprefix("trustqa_dbt_")
    return "load"
