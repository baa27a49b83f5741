"""One daily-partitioned asset per raw export table: ``raw/<table>``."""

import datetime as dt
from pathlib import Path

import dagster as dg

from dagster_project.contract import TABLES, Table
from dagster_project.defs.partitions import daily_exports
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.defs.retries import retry_transient
from dagster_project.loading.loader import LoadResult, load_days
from dagster_project.loading.raw_schema import QUARANTINE_SCHEMA, RAW_SCHEMA


def partition_days(context: dg.AssetExecutionContext) -> list[dt.date]:
    """Every day of the run's partition window (one run may cover a range)."""
    window = context.partition_time_window
    start, end = window.start.date(), window.end.date()
    return [start + dt.timedelta(days=i) for i in range((end - start).days)]


def load_metadata(result: LoadResult) -> dict[str, dg.MetadataValue]:
    quarantined = result.quarantined
    return {
        "export_days": dg.MetadataValue.text(f"{result.days[0]} .. {result.days[-1]}" if result.days else "none"),
        "files_loaded": dg.MetadataValue.int(len(result.files)),
        "files_unchanged": dg.MetadataValue.int(len(result.unchanged)),
        "rows_loaded": dg.MetadataValue.int(result.loaded),
        "rows_quarantined": dg.MetadataValue.int(sum(quarantined.values())),
        "quarantined_by_rule": dg.MetadataValue.json(dict(sorted(quarantined.items()))),
        "files": dg.MetadataValue.md(
            "| file | loaded | quarantined | load |\n|---|---|---|---|\n"
            + "\n".join(
                f"| {f.source_file} | {f.loaded} | {sum(f.quarantined.values())} | "
                f"{'this run' if f.kept_from is None else f'unchanged, kept from {f.kept_from:%Y-%m-%d %H:%M:%S}'} |"
                for f in result.files
            )
        ),
    }


def push_to_snowflake(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, table: Table, days: list[dt.date]
) -> dg.MaterializeResult:
    """The Snowflake target: the same loader on the scratch DuckDB file, then PUT + COPY INTO (raw_push.py)."""
    from dagster_project.snowflake.raw_push import push_days

    with retry_transient(context):
        outcome = push_days(warehouse.exports_path, days, Path(warehouse.duckdb_path), tables=[table])
    rows = {p.relation: p.rows for p in outcome.pushed}
    context.log.info(f"{table.name}: pushed to Snowflake for {len(days)} day(s): {rows}")
    # the same per-file and per-rule figures as a DuckDB run, plus what reached Snowflake
    return dg.MaterializeResult(
        metadata={
            **load_metadata(outcome.loads[0]),
            "rows_pushed_raw": dg.MetadataValue.int(rows.get(f"{RAW_SCHEMA}.{table.name}", 0)),
            "rows_pushed_quarantine": dg.MetadataValue.int(rows.get(f"{QUARANTINE_SCHEMA}.{table.name}", 0)),
        }
    )


def build_raw_asset(table: Table) -> dg.AssetsDefinition:
    pii = [c.name for c in table.columns if c.pii]

    @dg.asset(
        key=dg.AssetKey([RAW_SCHEMA, table.name]),
        group_name="raw",
        partitions_def=daily_exports,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        kinds={"duckdb", table.file_format},
        owners=["team:data-engineering"],
        description=(
            f"Every version of every {table.system} `{table.name}` record, loaded from "
            f"`{table.system}/{table.name}/<export-date>.{table.file_format}` (key `{table.key}`). "
            f"Rows that break the export contract go to `{QUARANTINE_SCHEMA}.{table.name}` "
            "with their file, line and rule."
        ),
        metadata={"table": f"{RAW_SCHEMA}.{table.name}", "key": table.key, "pii_columns": ", ".join(pii) or "none"},
    )
    def _raw_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        days = partition_days(context)
        if warehouse.target == "snowflake":
            return push_to_snowflake(context, warehouse, table, days)
        with retry_transient(context), warehouse.connect() as con:
            result = load_days(con, table, warehouse.exports_path, days, dt.datetime.now(dt.UTC).replace(tzinfo=None))
        context.log.info(
            f"{table.name}: {result.loaded} rows loaded, {sum(result.quarantined.values())} quarantined "
            f"from {len(result.files)} files for {len(days)} day(s), "
            f"{len(result.unchanged)} file(s) unchanged since their last load (kept, not reloaded)"
        )
        return dg.MaterializeResult(metadata=load_metadata(result))

    return _raw_asset


raw_assets = [build_raw_asset(t) for t in TABLES]
