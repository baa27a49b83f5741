"""Push a hand-made export folder through the real pipeline: the loader, then dbt.

``build_from_exports`` loads every table for every export day found in the
folder with the production loader (``load_days``), then runs ``dbt build``
once, and returns a read-only :class:`tests.dbt_runner.Warehouse`. Use it in
module-scoped fixtures: one load and one dbt run per fixture.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dagster_project.contract import TABLES
from dagster_project.loading.export_files import export_days
from dagster_project.loading.loader import connect, load_days
from tests.dbt_runner import Warehouse, run_dbt

LOADED_AT = dt.datetime(2030, 1, 1, 12, 0, 0)


def load_exports(db_path: Path, exports_dir: Path) -> None:
    days = export_days(exports_dir)
    with connect(db_path) as con:
        for table in TABLES:
            load_days(con, table, exports_dir, days, LOADED_AT)


def build_from_exports(work_dir: Path, exports_dir: Path, dbt_args: list[str] | None = None) -> Warehouse:
    work_dir.mkdir(parents=True, exist_ok=True)
    db_path = work_dir / "trustqa.duckdb"
    if db_path.exists():
        db_path.unlink()
    load_exports(db_path, exports_dir)
    output = run_dbt(dbt_args or ["build"], work_dir, db_path)
    return Warehouse(path=db_path, dbt_output=output)
