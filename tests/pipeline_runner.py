"""Push a hand-made export folder through the real pipeline: the loader, then dbt.

``build_from_exports`` loads every table for every export day found in the
folder with the production loader (``load_days``), then runs ``dbt build``
once, and returns a read-only :class:`tests.dbt_runner.Warehouse`. Use it in
module-scoped fixtures: one load and one dbt run per fixture.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dagster_project.contract import TABLES
from dagster_project.loading.export_files import export_days
from dagster_project.loading.loader import connect, load_days
from tests.dbt_runner import Warehouse, build_with
from tests.export_builder import write_export

LOADED_AT = dt.datetime(2030, 1, 1, 12, 0, 0)


def load_exports(
    db_path: Path,
    exports_dir: Path,
    days: Iterable[dt.date] | None = None,
    loaded_at: dt.datetime = LOADED_AT,
    tables: Iterable[str] | None = None,
    keep_unchanged: bool = True,
) -> None:
    """Load export days (default: every day in the folder) of every table (or ``tables``) with the real loader.

    ``keep_unchanged=False`` reloads days whose files did not change (a re-delivery of the same bytes)."""
    chosen_days = sorted(days) if days is not None else export_days(exports_dir)
    chosen_tables = [t for t in TABLES if tables is None or t.name in set(tables)]
    with connect(db_path) as con:
        for table in chosen_tables:
            load_days(con, table, exports_dir, chosen_days, loaded_at, keep_unchanged=keep_unchanged)


def write_rows_as_exports(exports_dir: Path, rows_by_table: Mapping[str, Iterable[Mapping[str, Any]]]) -> Path:
    """Write contract-shaped rows, each with an ``_export_date``, as one export file per table and day."""
    for table_name, rows in rows_by_table.items():
        by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_day[str(row["_export_date"])].append({k: v for k, v in row.items() if not k.startswith("_")})
        for day, day_rows in sorted(by_day.items()):
            write_export(exports_dir, table_name, day, day_rows)
    return exports_dir


def build_from_exports(
    work_dir: Path,
    exports_dir: Path,
    dbt_args: list[str] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Warehouse:
    return build_with(work_dir, lambda db_path: load_exports(db_path, exports_dir), dbt_args, extra_env)
