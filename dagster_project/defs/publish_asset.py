"""``published/marts``: the analysts' read-only copy of the marts, after every mart and its gate."""

from pathlib import Path

import dagster as dg

from dagster_project.defs.dbt_assets import dbt_asset_definitions
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.defs.retries import retry_transient
from dagster_project.publishing.publish import publish_marts

MART_KEYS = sorted(
    (key for definition in dbt_asset_definitions for key in definition.keys if key.path[0] == "marts"),
    key=lambda k: k.to_user_string(),
)


@dg.asset(
    key=["published", "marts"],
    group_name="published",
    deps=MART_KEYS,
    pool=WAREHOUSE_POOL,
    owners=["team:data-engineering"],
    kinds={"duckdb"},
    description=(
        "Every mart published into a separate DuckDB file (TRUSTQA_PUBLISHED_PATH, default "
        "warehouse/trustqa_marts.duckdb) that replaces the previous one atomically. Analysts read this file "
        "(read-only), so they never hold the writer's lock and never see a half-built state. Only the marts "
        "(and days of a daily mart) that changed since the last publication are rewritten. It runs "
        "only when every mart was built and its blocking gates passed: a failed run leaves the last "
        "good publication in place."
    ),
)
def published_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with retry_transient(context), warehouse.connect() as con:
        publication = publish_marts(con, Path(warehouse.published_path), context.run_id)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(publication.path)),
            "as_of_day": dg.MetadataValue.text(str(publication.as_of_day)),
            "tables": dg.MetadataValue.int(len(publication.tables)),
            "rows": dg.MetadataValue.json(publication.tables),
            "changes": dg.MetadataValue.json(publication.changes),
        }
    )
