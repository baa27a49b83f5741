"""Finding export files: which day each file belongs to, which files are misnamed, which are dated in the future.

A file in a table's folder is one of three kinds:

* **dated**: named ``<YYYY-MM-DD>.<csv|jsonl>`` with a real date no later than
  today (UTC): it belongs to that export day and is loaded with it;
* **misnamed**: any other name (not a date, the wrong extension, a name that
  is not valid UTF-8): it belongs to no day (``file_name_not_a_date``);
* **dated in the future**: a date-named file whose date is after today (UTC).
  An export is written after its day, so such a file cannot be an export
  yet: it is misdated. It belongs to no day for now (``file_date_in_future``)
  and becomes an ordinary dated file once its date is today or earlier.

The loader re-examines the files of no day (misnamed and future-dated) on
every run of their table. :func:`loadable_exports` is what a run over
"every export day" asks: the days it can load today, and the future-dated
files it will quarantine instead.
"""

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
    export_date: dt.date | None  # the date in the name; None when the name is not a date

    def dated_after(self, today: dt.date) -> bool:
        """Whether the name's date is after ``today``: a file dated in the future, not an export yet."""
        return self.export_date is not None and self.export_date > today


@dataclass(frozen=True)
class LoadableExports:
    """What a run over every export day of a folder can load today, and what it quarantines instead."""

    today: dt.date  # the UTC day the folder was looked at
    days: list[dt.date]  # export days no later than today, sorted
    future_files: list[ExportFile]  # date-named files of every table dated after today, by table then name


def utc_today() -> dt.date:
    """Today's UTC calendar day: no export can be dated later."""
    return dt.datetime.now(dt.UTC).date()


def shown_path(path: Path | str) -> str:
    """A path as text a warehouse column or a message can hold: bytes that are not UTF-8 shown as ``\\xNN``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _shown(path: Path, exports_dir: Path) -> str:
    """The path relative to ``exports_dir`` as text (see :func:`shown_path`: a warehouse column holds only UTF-8)."""
    return shown_path(path.relative_to(exports_dir).as_posix())


def _parse_name(name: str, table: Table) -> dt.date | None:
    match = _DATE_NAME.match(name)
    if not match or match.group(2) != table.file_format:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def table_files(exports_dir: Path, table: Table) -> list[ExportFile]:
    """Every entry in the table's folder, sorted by name (date-named or not, in the future or not)."""
    folder = Path(table.folder(str(exports_dir)))
    if not folder.is_dir():
        return []
    return [
        ExportFile(table, path, _shown(path, exports_dir), _parse_name(path.name, table))
        for path in sorted(folder.iterdir())
        if not path.is_dir()
    ]


def dated_file(exports_dir: Path, table: Table, day: dt.date) -> ExportFile | None:
    """The table's file named for ``day`` (whatever ``day`` is: the caller decides whether it is in the future)."""
    path = Path(table.folder(str(exports_dir))) / f"{day.isoformat()}.{table.file_format}"
    if not path.exists():
        return None
    return ExportFile(table, path, _shown(path, exports_dir), day)


def misnamed_files(exports_dir: Path, table: Table) -> list[ExportFile]:
    """The table's files whose name is not a date (``file_name_not_a_date``)."""
    return [f for f in table_files(exports_dir, table) if f.export_date is None]


def future_files(exports_dir: Path, table: Table, today: dt.date | None = None) -> list[ExportFile]:
    """The table's date-named files dated after ``today`` (default: :func:`utc_today`; ``file_date_in_future``)."""
    today = today or utc_today()
    return [f for f in table_files(exports_dir, table) if f.dated_after(today)]


def export_days(exports_dir: Path, through: dt.date | None = None) -> list[dt.date]:
    """Every export day for which at least one table has a file, sorted; only those up to ``through`` when given."""
    days = {
        f.export_date
        for t in TABLES
        for f in table_files(exports_dir, t)
        if f.export_date is not None and (through is None or f.export_date <= through)
    }
    return sorted(days)


def loadable_exports(exports_dir: Path, today: dt.date | None = None) -> LoadableExports:
    """The export days that can be loaded on ``today`` (default: :func:`utc_today`), and the future-dated files.

    A day after ``today`` is left out: its files are dated in the future, so
    they cannot be exports yet. The loader quarantines them on every run of
    their table (``file_date_in_future``) instead of loading them, and loads
    them with their day once that day is no longer in the future.
    """
    today = today or utc_today()
    days: set[dt.date] = set()
    future: list[ExportFile] = []
    for t in TABLES:
        for f in table_files(exports_dir, t):
            if f.dated_after(today):
                future.append(f)
            elif f.export_date is not None:
                days.add(f.export_date)
    return LoadableExports(today, sorted(days), future)
