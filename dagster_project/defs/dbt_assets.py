"""The dbt models (staging, intermediate, marts) and seeds as Dagster assets.

``dbt build`` runs models and their dbt tests together; each dbt test is an
asset check on its model, and a failing test stops the models downstream of it.
"""


import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.dbt_project import dbt_project
from dagster_project.defs.resources import WAREHOUSE_POOL
from dagster_project.defs.translator import TrustqaTranslator


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TrustqaTranslator(),
    pool=WAREHOUSE_POOL,
    name="trustqa_dbt",
)
def trustqa_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()
