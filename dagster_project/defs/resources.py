"""Resources: where the exports are and the warehouse connection (one writer)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.dbt_project import dbt_executable, dbt_project
from dagster_project.defs.dbt_resource import TrustqaDbtCliResource, dbt_global_flags
from dagster_project.loading.loader import connect
from dagster_project.settings import Settings, settings

# Every asset that writes the DuckDB file runs in this pool (limit 1: one writer).
WAREHOUSE_POOL = "trustqa_warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file and the folder of raw exports."""

    duckdb_path: str
    exports_dir: str
    data_docs_dir: str
    published_path: str = ""
    # duckdb: this file is the warehouse; snowflake: it is the loader's scratch file, the warehouse is Snowflake
    target: str = "duckdb"

    @property
    def exports_path(self) -> Path:
        return Path(self.exports_dir)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect(Path(self.duckdb_path))
        try:
            yield con
        finally:
            con.close()


def build_resources(config: Settings | None = None) -> dict[str, object]:
    """The resources for ``config`` (default: the process's settings); dbt gets the settings its profile reads."""
    config = config or settings()
    return {
        "warehouse": WarehouseResource(
            duckdb_path=str(config.duckdb_path),
            exports_dir=str(config.exports_dir),
            data_docs_dir=str(config.data_docs_dir),
            published_path=str(config.published_path),
            target=config.target,
        ),
        "dbt": TrustqaDbtCliResource.with_env(
            config.dbt_environment(),
            project_dir=dbt_project,
            dbt_executable=dbt_executable(),
            global_config_flags=dbt_global_flags(config.dbt_log_level_file),
        ),
    }
