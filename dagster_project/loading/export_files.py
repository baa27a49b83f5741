"""Finding export files: which day each file belongs to, and which files are misnamed."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from dagster_project.contract import TABLES, Table

_DATE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})\.(csv|jsonl)$")


@dataclass(frozen=True)
class ExportFile:
    table: Table
    path: Path
    relative_path: str  # relative to the exports folder: what lineage columns show (see _shown)
    export_date: dt.date | None  # None when the name is not a date


def _shown(path: Path, exports_dir: Path) -> str:
    """The path relative to ``exports_dir`` as text: bytes of a name that are not UTF-8 shown as ``\\xNN``
    (a warehouse column holds only UTF-8)."""
    return os.fsencode(path.relative_to(exports_dir).as_posix()).decode("utf-8", "backslashreplace")


def _parse_name(name: str, table: Table) -> dt.date | None:
    match = _DATE_NAME.match(name)
    if not match or match.group(2) != table.file_format:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def table_files(exports_dir: Path, table: Table) -> list[ExportFile]:
    """Every entry in the table's folder, sorted by name (date-named or not)."""
    folder = Path(table.folder(str(exports_dir)))
    if not folder.is_dir():
        return []
    return [
        ExportFile(table, path, _shown(path, exports_dir), _parse_name(path.name, table))
        for path in sorted(folder.iterdir())
        if not path.is_dir()
    ]


def dated_file(exports_dir: Path, table: Table, day: dt.date) -> ExportFile | None:
    path = Path(table.folder(str(exports_dir))) / f"{day.isoformat()}.{table.file_format}"
    if not path.exists():
        return None
    return ExportFile(table, path, _shown(path, exports_dir), day)


def misnamed_files(exports_dir: Path, table: Table) -> list[ExportFile]:
    return [f for f in table_files(exports_dir, table) if f.export_date is None]


def export_days(exports_dir: Path) -> list[dt.date]:
    """Every export day for which at least one table has a file."""
    days = {f.export_date for t in TABLES for f in table_files(exports_dir, t) if f.export_date is not None}
    return sorted(days)
