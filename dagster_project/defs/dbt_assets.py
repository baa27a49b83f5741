"""The dbt project as Dagster assets, in two steps with the staging gates between them.

``trustqa_dbt_staging`` builds the staging views (and runs their dbt tests);
then the staging Great Expectations gates run; then ``trustqa_dbt_models``
builds everything downstream (history tables, seeds, marts). A failed
blocking gate on a staging view therefore stops the history and marts from
being rebuilt from bad data. Each dbt test is an asset check on its model.
"""


import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.dbt_project import dbt_project
from dagster_project.defs.resources import WAREHOUSE_POOL
from dagster_project.defs.retries import retry_transient
from dagster_project.defs.translator import TrustqaTranslator

STAGING_SELECTION = "path:models/staging"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TrustqaTranslator(),
    pool=WAREHOUSE_POOL,
    name="trustqa_dbt_staging",
    select=STAGING_SELECTION,
)
def trustqa_dbt_staging(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    with retry_transient(context):
        yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TrustqaTranslator(),
    pool=WAREHOUSE_POOL,
    name="trustqa_dbt_models",
    exclude=STAGING_SELECTION,
)
def trustqa_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    with retry_transient(context):
        yield from dbt.cli(["build"], context=context).stream()


dbt_asset_definitions = [trustqa_dbt_staging, trustqa_dbt_models]
