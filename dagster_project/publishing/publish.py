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

Only what changed is written. The new file starts as a byte copy of the last
publication; each mart is then compared with its published copy by a
fingerprint (row count and the sum of a hash of every row), per day for a
mart with a day column (``as_of_day`` or ``day``), and only the days (or
whole marts) whose fingerprint differs are replaced. A nightly run rewrites a
few days of the 14-million-row risk-feature mart instead of copying all of it.
A mart whose columns changed, a mart new to the publication, or a last
publication that cannot be opened is copied whole, as the first publication
is; marts that no longer exist are dropped.

The new file is written as a scratch file next to the publication,
``.<published name>.publishing-<pid>`` (and its ``.wal``), named by the
publishing process. A publication that fails removes its scratch file; one
whose process was killed cannot, so every publication first removes the
scratch files of processes that are gone: those whose pid is not alive on
this host (``os.kill(pid, 0)`` raises ``ProcessLookupError``; a
``PermissionError`` means the process exists under another user, so it is
alive). Scratch files of live processes are kept: another publication may be
writing them. (A dead publisher's pid reused by an unrelated process keeps its
scratch file until that process ends too; the warehouse directory belongs to
one host, as the warehouse's writer lock does.)

The published file is made readable by everyone (mode 0644) before it
replaces the last publication, whatever the process umask: it is the
analysts' file and holds only the marts (no raw data, no personal data),
while the warehouse itself, which holds the raw exports, is kept owner-only.

A table written between nightly runs (``trustqa sample``'s
``marts.qa_sample_daily``) is published alone by
:func:`refresh_published_tables`, the same way, leaving every other
published mart as the last good run left it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.runs.processes import process_alive

PUBLISHED_SCHEMAS = ("marts",)
INFO_TABLE = "publication.info"
# A mart with one of these columns is compared and replaced per value of the first one present.
DAY_COLUMNS = ("as_of_day", "day")
KEPT, COPIED = "kept", "copied"
PUBLISHED_MODE = 0o644  # analysts (the owner's group and others) read the publication
SCRATCH_MARK = ".publishing-"


@dataclass(frozen=True)
class Publication:
    path: Path
    tables: dict[str, int]  # "<schema>.<table>" -> rows
    changes: dict[str, str]  # "<schema>.<table>" -> kept | copied | "<n> of <m> <day column> values replaced"
    published_at: dt.datetime
    as_of_day: dt.date | None


def _scratch_path(published: Path) -> Path:
    return published.with_name(f".{published.name}{SCRATCH_MARK}{os.getpid()}")


def remove_stale_scratch_files(published: Path) -> list[Path]:
    """Remove the scratch files (and their WALs) of this publication left by processes that are gone,
    and this process's own leftovers; keep those of live processes. Returns what was removed."""
    prefix = f".{published.name}{SCRATCH_MARK}"
    removed = []
    for path in sorted(published.parent.glob(f"{prefix}*")):
        pid_text = path.name.removeprefix(prefix).removesuffix(".wal")
        if not pid_text.isdigit():
            continue  # not a scratch file of ours
        pid = int(pid_text)
        if pid != os.getpid() and pid > 0 and process_alive(pid):
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def publish_marts(con: duckdb.DuckDBPyConnection, published: Path, run_id: str = "") -> Publication:
    """Publish the marts of the warehouse open on ``con`` (the writer) as ``published``, atomically,
    writing only what changed since the last publication (see the module)."""
    published.parent.mkdir(parents=True, exist_ok=True)
    scratch = _scratch_path(published)
    remove_stale_scratch_files(published)  # a killed publication's, and this process's own leftovers
    published_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
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
    _attach_last_publication(con, published, scratch)
    try:
        for schema in {s for s, _ in tables} | {"publication"}:
            con.execute(f'create schema if not exists publishing."{schema}"')
        _drop_unpublished(con, tables)
        changes = {f"{schema}.{name}": _sync_table(con, schema, name) for schema, name in tables}
        as_of = _as_of_day(con)
        con.execute(
            f"create or replace table publishing.{INFO_TABLE} as select ?::timestamp as published_at, "
            "?::varchar as run_id, ?::date as as_of_day",
            [published_at, run_id, as_of],
        )
        counts = {
            f"{schema}.{name}": con.execute(f'select count(*) from publishing."{schema}"."{name}"').fetchone()[0]
            for schema, name in tables
        }
        con.execute("checkpoint publishing")
    except BaseException:
        _discard_scratch(con, scratch)
        raise
    _install_scratch(con, scratch, published)
    return Publication(published, counts, changes, published_at, as_of)


def refresh_published_tables(
    con: duckdb.DuckDBPyConnection, published: Path, tables: list[tuple[str, str]]
) -> dict[str, str]:
    """Bring only ``tables`` ((schema, name) of the warehouse open on ``con``) up to date in the existing
    publication ``published``, atomically and per day as :func:`publish_marts` does; every other published
    mart and the publication's info stay as they were. Returns what was written per table.

    For a table written outside the nightly run (``trustqa sample``'s ``marts.qa_sample_daily``): the
    warehouse's other marts may be those of a run whose gates failed, which :func:`publish_marts` would
    publish. The caller holds the warehouse's lock, so no publication runs meanwhile. Raises
    FileNotFoundError when there is no publication yet, ``duckdb.Error`` when it cannot be opened.
    """
    if not published.exists():
        raise FileNotFoundError(f"no publication at {published}")
    scratch = _scratch_path(published)
    remove_stale_scratch_files(published)
    shutil.copyfile(published, scratch)
    try:
        _attach(con, scratch)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise
    try:
        for schema in {s for s, _ in tables}:
            con.execute(f'create schema if not exists publishing."{schema}"')
        changes = {f"{schema}.{name}": _sync_table(con, schema, name) for schema, name in tables}
        con.execute("checkpoint publishing")
    except BaseException:
        _discard_scratch(con, scratch)
        raise
    _install_scratch(con, scratch, published)
    return changes


def _attach(con: duckdb.DuckDBPyConnection, scratch: Path) -> None:
    con.execute("attach '{}' as publishing".format(str(scratch).replace("'", "''")))


def _discard_scratch(con: duckdb.DuckDBPyConnection, scratch: Path) -> None:
    """A failed publication: detach the scratch file and remove it (and its WAL)."""
    con.execute("detach publishing")
    for leftover in (scratch, scratch.with_name(scratch.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _install_scratch(con: duckdb.DuckDBPyConnection, scratch: Path, published: Path) -> None:
    """A finished (checkpointed) publication: detached, made readable by the analysts, renamed over the last."""
    con.execute("detach publishing")
    # readable by the analysts whatever the umask, set before the rename so the new file never appears without it
    os.chmod(scratch, PUBLISHED_MODE)
    os.replace(scratch, published)


def _attach_last_publication(con: duckdb.DuckDBPyConnection, published: Path, scratch: Path) -> None:
    """Attach ``scratch`` as ``publishing``: a copy of the last publication, or empty when there is none
    or it cannot be opened (then everything is copied)."""
    if published.exists():
        shutil.copyfile(published, scratch)
        try:
            _attach(con, scratch)
            return
        except duckdb.Error:
            scratch.unlink(missing_ok=True)
    _attach(con, scratch)


def _drop_unpublished(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]]) -> None:
    """Drop the published tables that are no longer marts of the warehouse."""
    for schema, name in con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = 'publishing'"
    ).fetchall():
        if (schema, name) not in tables and f"{schema}.{name}" != INFO_TABLE:
            con.execute(f'drop table publishing."{schema}"."{name}"')


def _columns(con: duckdb.DuckDBPyConnection, database: str, schema: str, name: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? order by column_index",
        [database, schema, name],
    ).fetchall()


def _sync_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> str:
    """Make the published copy of one mart equal to the warehouse's; say what was written."""
    source, target = f'"{schema}"."{name}"', f'publishing."{schema}"."{name}"'
    warehouse = con.execute("select current_database()").fetchone()[0]
    columns = _columns(con, warehouse, schema, name)
    if _columns(con, "publishing", schema, name) != columns:
        con.execute(f"create or replace table {target} as select * from {source}")
        return COPIED
    day = next((c for c in DAY_COLUMNS if c in {column for column, _ in columns}), None)
    group = f'"{day}"' if day else "null"
    fingerprints = "select {group} as part, count(*) as n, sum(hash(t)) as h from {relation} as t group by 1"
    # one row per day (or one for the whole mart) in either copy: whether its fingerprints differ,
    # and whether it is a (non-null) day of the warehouse's mart
    compared = f"""
        select
            coalesce(now.part, last.part) as part,
            now.n is distinct from last.n or now.h is distinct from last.h as differs,
            now.part is not null as is_current
        from ({fingerprints.format(group=group, relation=source)}) as now
        full join ({fingerprints.format(group=group, relation=target)}) as last
            on now.part is not distinct from last.part
    """
    if day is None:
        if not con.execute(f"select 1 from ({compared}) where differs").fetchall():
            return KEPT
        con.execute(f"create or replace table {target} as select * from {source}")
        return COPIED
    con.execute(f"create or replace temp table _published_parts as {compared}")
    replaced, total = con.execute(
        "select count(*) filter (where differs), count(*) filter (where is_current) from _published_parts"
    ).fetchone()
    if replaced:
        in_changed = (
            f'exists (select 1 from _published_parts as c where c.differs and c.part is not distinct from t."{day}")'
        )
        con.execute(f"delete from {target} as t where {in_changed}")
        con.execute(f"insert into {target} select * from {source} as t where {in_changed}")
    con.execute("drop table _published_parts")
    return f"{replaced} of {total} {day} values replaced" if replaced else KEPT


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
