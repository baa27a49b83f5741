"""Physical shape of the ``raw`` and ``quarantine`` schemas in the warehouse.

Raw tables keep each exported value as validated by the loader: text stays
text (timestamps keep their original ISO-8601 text with its offset; staging
normalises them to UTC), integers, booleans and decimals are typed, ``tags``
is kept as its JSON array text. Four lineage columns are appended to every
row.
"""

from __future__ import annotations

from dagster_project.contract import LOAD_METADATA_COLUMNS, Column, Table

RAW_SCHEMA = "raw"
QUARANTINE_SCHEMA = "quarantine"

SQL_TYPES = {
    "string": "VARCHAR",
    "timestamp": "VARCHAR",
    "string_list": "VARCHAR",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
    "decimal": "DECIMAL(18, 2)",
    "number": "DOUBLE",
}

LINEAGE_COLUMNS_DDL = tuple(
    zip(
        LOAD_METADATA_COLUMNS,
        ("DATE NOT NULL", "VARCHAR NOT NULL", "BIGINT NOT NULL", "TIMESTAMP NOT NULL"),
        strict=True,
    )
)

QUARANTINE_COLUMNS_DDL = (
    ("_export_date", "DATE"),  # null when the file name is not a date
    ("_source_file", "VARCHAR NOT NULL"),
    ("_source_line", "BIGINT"),  # null when the whole file is recorded once
    ("rule", "VARCHAR NOT NULL"),
    ("detail", "VARCHAR"),
    ("raw_text", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP NOT NULL"),
)


def sql_type(column: Column) -> str:
    return SQL_TYPES[column.kind]


def raw_table_ddl(table: Table) -> str:
    cols = [f"{c.name} {sql_type(c)}" for c in table.columns]
    cols += [f"{name} {ddl}" for name, ddl in LINEAGE_COLUMNS_DDL]
    return f"create table if not exists {RAW_SCHEMA}.{table.name} (\n  " + ",\n  ".join(cols) + "\n)"


def quarantine_table_ddl(table: Table) -> str:
    cols = [f"{name} {ddl}" for name, ddl in QUARANTINE_COLUMNS_DDL]
    return f"create table if not exists {QUARANTINE_SCHEMA}.{table.name} (\n  " + ",\n  ".join(cols) + "\n)"


def create_schemas_sql(table: Table) -> list[str]:
    return [
        f"create schema if not exists {RAW_SCHEMA}",
        f"create schema if not exists {QUARANTINE_SCHEMA}",
        raw_table_ddl(table),
        quarantine_table_ddl(table),
    ]
