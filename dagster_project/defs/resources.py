"""Resources: where the exports are and the warehouse connection (one writer).

In a run, the warehouse resource holds the warehouse's lock from the run's
start to its end (:mod:`dagster_project.runs.warehouse_lock`: a second run on
the same warehouse is refused at once, whatever its ``DAGSTER_HOME``) and tags
the run with its process (:func:`dagster_project.runs.recovery.process_tags`),
so that a run whose process died is recognised and recovered.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.dbt_project import dbt_executable, dbt_project, parse_cache_dir
from dagster_project.defs.dbt_args import LATEST_BUILD_TESTS
from dagster_project.defs.dbt_resource import TrustqaDbtCliResource, dbt_global_flags
from dagster_project.loading.loader import connect
from dagster_project.runs.recovery import process_tags
from dagster_project.runs.warehouse_lock import hold_warehouse
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

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Generator[WarehouseResource, None, None]:
        """In a run: hold the warehouse's lock for the whole run and record the run's process in its tags."""
        run = context.run
        if run is None or context.instance is None:  # a sensor or a test context: nothing is written
            yield self
            return
        warehouse = Path(self.duckdb_path)
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        with hold_warehouse(warehouse, run.run_id):
            context.instance.add_run_tags(run.run_id, process_tags(warehouse))
            yield self

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
            {**config.dbt_environment(), **LATEST_BUILD_TESTS},
            project_dir=dbt_project,
            dbt_executable=dbt_executable(),
            global_config_flags=dbt_global_flags(config.dbt_log_level_file),
            partial_parse_file=str(parse_cache_dir(config) / "partial_parse.msgpack"),
        ),
    }
