"""Run the dbt project against a throw-away DuckDB warehouse.

``build_warehouse`` creates a fresh DuckDB file, creates every raw table with
the loader's DDL (``dagster_project.loading.raw_schema``), inserts the given
rows, runs ``dbt build`` once in a subprocess and returns a read-only handle
on the result. Use it from module- or session-scoped fixtures so dbt runs once
per fixture, not once per test.

Rows are dicts of contract columns plus ``_export_date`` (required). Missing
contract columns are null; ``_source_file`` defaults to the export file's
path (``<system>/<table>/<date>.<csv|jsonl>``), ``_source_line`` to the row's
position among the rows of that table and date (1, 2, ...), ``_loaded_at``
to the load time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.contract import LOAD_METADATA_COLUMNS, TABLES, table
from dagster_project.loading.raw_schema import RAW_SCHEMA, create_schemas_sql
from dagster_project.settings import DBT_PROJECT_DIR

DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")

Row = Mapping[str, Any]


class DbtFailed(RuntimeError):
    """dbt exited non-zero; the message holds its output."""


@dataclass
class Warehouse:
    """Read-only access to a built warehouse (open after dbt has exited)."""

    path: Path
    dbt_output: str
    _con: duckdb.DuckDBPyConnection | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = duckdb.connect(str(self.path), read_only=True)
            self._con.execute("set timezone = 'UTC'")
        return self._con

    def rows(self, sql: str, params: Iterable[Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql, list(params) if params is not None else None)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, values, strict=False)) for values in cursor.fetchall()]

    def scalar(self, sql: str, params: Iterable[Any] | None = None) -> Any:
        row = self.con.execute(sql, list(params) if params is not None else None).fetchone()
        return None if row is None else row[0]

    def columns(self, schema: str, relation: str) -> list[str]:
        return [
            r["column_name"]
            for r in self.rows(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, relation],
            )
        ]

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def _complete_rows(table_name: str, rows: Iterable[Row], loaded_at: dt.datetime) -> list[dict[str, Any]]:
    spec = table(table_name)
    known = set(spec.column_names) | set(LOAD_METADATA_COLUMNS)
    lines: Counter[str] = Counter()
    completed = []
    for row in rows:
        unknown = set(row) - known
        if unknown:
            raise ValueError(f"{table_name}: unknown columns {sorted(unknown)}")
        if "_export_date" not in row:
            raise ValueError(f"{table_name}: every row needs an _export_date")
        export_date = str(row["_export_date"])
        lines[export_date] += 1
        full = {name: row.get(name) for name in spec.column_names}
        full["_export_date"] = export_date
        full["_source_file"] = row.get("_source_file", f"{spec.system}/{spec.name}/{export_date}.{spec.file_format}")
        full["_source_line"] = row.get("_source_line", lines[export_date])
        full["_loaded_at"] = row.get("_loaded_at", loaded_at)
        completed.append(full)
    return completed


def create_raw_warehouse(db_path: Path, raw_rows: Mapping[str, Iterable[Row]]) -> None:
    """A DuckDB file with every raw table (loader DDL) holding the given rows."""
    unknown = set(raw_rows) - {t.name for t in TABLES}
    if unknown:
        raise ValueError(f"unknown raw tables {sorted(unknown)}")
    loaded_at = dt.datetime(2030, 1, 1, 12, 0, 0)
    with duckdb.connect(str(db_path)) as con:
        for spec in TABLES:
            for statement in create_schemas_sql(spec):
                con.execute(statement)
        for table_name, rows in raw_rows.items():
            completed = _complete_rows(table_name, rows, loaded_at)
            if not completed:
                continue
            names = list(completed[0])
            placeholders = ", ".join("?" for _ in names)
            con.executemany(
                f"insert into {RAW_SCHEMA}.{table_name} ({', '.join(names)}) values ({placeholders})",
                [[row[name] for name in names] for row in completed],
            )


# dbt's saved parse, shared by the test runs of one machine: see _shared_parse.
SHARED_PARSE_DIR = Path(tempfile.gettempdir()) / f"trustqa-tests-dbt-parse-{os.getuid()}"


def _shared_parse(db_path: Path, extra_env: Mapping[str, str]) -> Path:
    """Where the test runs on a warehouse file of this name, with this extra environment, keep dbt's saved parse.

    dbt reuses a saved parse (``partial_parse.msgpack``) only for the profile
    it was made with, and the profile holds the DuckDB path. A run therefore
    gives dbt the file's name, relative to its folder as the working
    directory (dbt's run, build, test and compile open the file before they
    move to the project's folder; a file opened there instead fails the
    run), so every throw-away ``w.duckdb`` has the same profile, and a
    fresh target folder starts from the last saved parse of that name instead
    of a full parse (about 5 s each). dbt checks the saved parse itself
    (dbt version, profile, variables, every file's checksum) and parses again
    whatever differs: a stale or foreign file costs time, never a wrong
    manifest.
    """
    key = json.dumps([db_path.name, sorted(extra_env.items())]).encode()
    return SHARED_PARSE_DIR / f"{hashlib.sha256(key).hexdigest()[:16]}.msgpack"


def run_dbt(args: list[str], work_dir: Path, db_path: Path, extra_env: Mapping[str, str] | None = None) -> str:
    """Run one dbt command on the project against db_path; return its output.

    dbt runs in db_path's folder with the file's name as its DuckDB path, and
    a new target folder starts from the shared saved parse (:func:`_shared_parse`).
    """
    extra_env = dict(extra_env or {})
    target = work_dir / "target"
    saved_parse, shared_parse = target / "partial_parse.msgpack", _shared_parse(db_path, extra_env)
    if not saved_parse.exists() and shared_parse.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared_parse, saved_parse)
    command = [
        str(DBT_EXECUTABLE),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(work_dir / "logs"),
    ]
    env = {
        **os.environ,
        "TRUSTQA_DUCKDB_PATH": db_path.name,
        "TRUSTQA_TARGET": "duckdb",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **extra_env,
    }
    db_path.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        command, cwd=db_path.parent, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    output = result.stdout + result.stderr
    stray = DBT_PROJECT_DIR / db_path.name
    if stray.exists():  # dbt resolved the relative path against the project's folder: say so, loudly
        stray.unlink()
        raise DbtFailed(f"{' '.join(args)} opened {stray} instead of {db_path} (a relative DuckDB path)")
    if result.returncode != 0:
        raise DbtFailed(f"{' '.join(args)} failed (exit {result.returncode}):\n{output}")
    if saved_parse.exists():  # the newest parse of this name, replaced atomically (workers run at once)
        SHARED_PARSE_DIR.mkdir(exist_ok=True)
        scratch = shared_parse.with_name(f".{shared_parse.name}.{os.getpid()}")
        shutil.copyfile(saved_parse, scratch)
        os.replace(scratch, shared_parse)
    return output


def build_warehouse(
    work_dir: Path,
    raw_rows: Mapping[str, Iterable[Row]],
    dbt_args: list[str] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Warehouse:
    """Fresh warehouse in work_dir: raw rows loaded, dbt run once (`build` by default).

    extra_env is added to dbt's environment (e.g. ``TZ`` to run dbt's DuckDB
    session in another time zone).
    """
    return build_with(work_dir, lambda db_path: create_raw_warehouse(db_path, raw_rows), dbt_args, extra_env)


def build_with(
    work_dir: Path,
    fill_raw: Callable[[Path], None],
    dbt_args: list[str] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Warehouse:
    """A fresh DuckDB file in work_dir, raw tables filled by ``fill_raw(db_path)``, then dbt once."""
    work_dir.mkdir(parents=True, exist_ok=True)
    db_path = work_dir / "trustqa.duckdb"
    if db_path.exists():
        db_path.unlink()
    fill_raw(db_path)
    output = run_dbt(dbt_args or ["build"], work_dir, db_path, extra_env)
    return Warehouse(path=db_path, dbt_output=output)
