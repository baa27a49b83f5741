"""Write small hand-made export files for tests, in the contract's layout."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from dagster_project.contract import table


def export_path(root: Path, table_name: str, day: str) -> Path:
    t = table(table_name)
    path = Path(t.folder(str(root))) / f"{day}.{t.file_format}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _csv_field(value: Any) -> str:
    """A contract CSV field: null is empty, booleans are lowercase true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_text(table_name: str, rows: list[dict[str, Any]]) -> str:
    """A CSV export: header of every contract column, missing keys written as empty (null)."""
    columns = table(table_name).column_names
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_field(row.get(c)) for c in columns])
    return buffer.getvalue()


def jsonl_text(table_name: str, rows: list[dict[str, Any]]) -> str:
    """A JSON Lines export: every contract field present, missing keys written as null."""
    columns = table(table_name).column_names
    return "".join(json.dumps({c: row.get(c) for c in columns}) + "\n" for row in rows)


def write_export(root: Path, table_name: str, day: str, rows: list[dict[str, Any]]) -> Path:
    path = export_path(root, table_name, day)
    text = csv_text(table_name, rows) if table(table_name).file_format == "csv" else jsonl_text(table_name, rows)
    path.write_text(text, encoding="utf-8")
    return path


def write_exports(root: Path, exports: dict[str, dict[str, list[dict[str, Any]]]]) -> Path:
    """Write a whole export folder: ``{table: {"YYYY-MM-DD": rows}}``; returns ``root``."""
    for table_name, days in exports.items():
        for day, rows in days.items():
            write_export(root, table_name, day, rows)
    return root
