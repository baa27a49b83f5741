"""Publish the marts as a separate DuckDB file that analysts read while the next run writes.

DuckDB allows one writer *or* readers on a file, and an open reader blocks
the writer. So analysts never open the warehouse: after a run whose gates
passed, every table of the ``marts`` schema is copied into a new file next to
the publication, which is then renamed over it (``os.replace``, atomic on
POSIX). A reader that opened the old file keeps reading the old file (its
inode stays alive until the reader closes it); the next reader opens the new
one. Nobody ever sees half a publication, and a run that fails before this
step leaves the last good publication in place.

The file also holds ``publication.info``: when it was published, the run
and the as-of day of the data.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS = ("marts",)
INFO_TABLE = "publication.info"


@dataclass(frozen=True)
class Publication:
    path: Path
    tables: dict[str, int]  # "<schema>.<table>" -> rows
    published_at: dt.datetime
    as_of_day: dt.date | None


def _scratch_path(published: Path) -> Path:
    return published.with_name(f".{published.name}.publishing-{os.getpid()}")


def publish_marts(con: duckdb.DuckDBPyConnection, published: Path, run_id: str = "") -> Publication:
    """Copy the marts of the warehouse open on ``con`` (the writer) into ``published``, atomically."""
    published.parent.mkdir(parents=True, exist_ok=True)
    scratch = _scratch_path(published)
    for leftover in (scratch, scratch.with_name(scratch.name + ".wal")):
        leftover.unlink(missing_ok=True)
    published_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    tables = [
        (schema, name)
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and table_type = 'BASE TABLE' "
            "and table_schema in (select unnest(?)) order by 1, 2",
            [list(PUBLISHED_SCHEMAS)],
        ).fetchall()
    ]
    if not tables:
        raise RuntimeError("nothing to publish: the warehouse has no marts yet")
    con.execute("attach '{}' as publishing".format(str(scratch).replace("'", "''")))
    try:
        for schema in {s for s, _ in tables} | {"publication"}:
            con.execute(f'create schema publishing."{schema}"')
        for schema, name in tables:
            con.execute(f'create table publishing."{schema}"."{name}" as select * from "{schema}"."{name}"')
        as_of = _as_of_day(con)
        con.execute(
            f"create table publishing.{INFO_TABLE} as select ?::timestamp as published_at, "
            "?::varchar as run_id, ?::date as as_of_day",
            [published_at, run_id, as_of],
        )
        counts = {
            f"{schema}.{name}": con.execute(f'select count(*) from publishing."{schema}"."{name}"').fetchone()[0]
            for schema, name in tables
        }
        con.execute("checkpoint publishing")
    except BaseException:
        con.execute("detach publishing")
        scratch.unlink(missing_ok=True)
        raise
    con.execute("detach publishing")
    os.replace(scratch, published)
    return Publication(published, counts, published_at, as_of)


def _as_of_day(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'intermediate' "
        "and table_name = 'int_run_as_of' and table_catalog = current_database()"
    ).fetchone()[0]
    return con.execute("select as_of_day from intermediate.int_run_as_of").fetchone()[0] if exists else None


def read_publication_info(published: Path) -> tuple[dt.datetime, str, dt.date | None] | None:
    """(published_at, run_id, as_of_day) of a publication, read-only; None when there is none."""
    if not published.exists():
        return None
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute(f"select published_at, run_id, as_of_day from {INFO_TABLE}").fetchone()
