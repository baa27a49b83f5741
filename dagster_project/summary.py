"""What a run left in the warehouse: rows per table by schema, read-only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class TableCount:
    schema: str
    table: str
    rows: int


def table_counts(duckdb_path: Path, schemas: tuple[str, ...] = ("raw", "quarantine", "marts")) -> list[TableCount]:
    """Row count of every base table in ``schemas`` (read-only connection)."""
    if not duckdb_path.exists():
        return []
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and table_schema in (select unnest(?)) "
            "order by table_schema, table_name",
            [list(schemas)],
        ).fetchall()
        return [
            TableCount(schema, name, con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0])
            for schema, name in names
        ]
