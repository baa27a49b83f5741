"""Dagster's SQLite event log, with one engine per database file instead of one per event.

Dagster's own ``SqliteEventLogStorage`` creates a SQLAlchemy engine for every
event it stores, with ``NullPool``: each event opens the file, compiles its
statements afresh (the compiled cache lives on the engine), commits with a
full fsync and closes the last connection, which checkpoints the WAL into the
database file. A single-run backfill of 364 days records one planned and one
recorded materialization per partitioned asset and day (8,800 events for the
dbt assets alone), so that per-event cost was most of the orchestration
overhead the benchmark measured (``bench/README.md``).

Why not Dagster's supported storage: measured again on 2026-12-04 (Dagster
1.13.27, SQLAlchemy 2.0, 2 cores) with ``bench/event_log.py``, which
re-runs both. ``trustqa materialize`` of 120 export days (``trustqa generate
--days 120 --scale 0.1 --seed 1``), one run each, fresh homes: stock
``storage: sqlite`` 170.8 s wall, this class 98.1 s (1.74x). Storing 10,000
events of one run with the stock storage: 6.0 to 8.5 ms per event (six
repeats), about 60 to 85 s of pure bookkeeping. ``dagster-postgres`` avoids
the per-event engine but needs a PostgreSQL server, which ``make run`` on a
bare machine does not have. So the need remains; the private classes this
module builds on are pinned by ``dagster>=1.13,<1.14`` and checked by
``tests/test_instance.py`` (the methods overridden here must exist there).

This subclass keeps one engine (and its connection pool) per database file:

* statements compile once per engine;
* connections stay open, so no checkpoint per event;
* ``PRAGMA synchronous=NORMAL``. The files are in WAL mode (Dagster sets
  it), where NORMAL keeps the database consistent after a crash and only
  skips the fsync at each commit: an operating-system crash or power cut may
  lose the last events, never corrupt the log. The warehouse, not this log,
  is the source of truth, and every run is idempotent.

With connections kept open, commits land in the ``-wal`` file and the
database file changes only at a checkpoint. Dagster's watcher (the UI's live
run logs) listens for changes of the database file, so :meth:`watch` also
listens to its ``-wal`` file.

What is stored, and where, is Dagster's: the same tables in the same files,
readable by the stock storage.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as db
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SqliteEventLogStorage,
    SqliteEventLogStorageWatchdog,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from watchdog.events import FileSystemEvent

SYNCHRONOUS = "NORMAL"


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` (one SQLite file per run plus an index file) with a pooled engine per file."""

    def __init__(self, base_dir: str, inst_data: Any | None = None) -> None:
        self._engines: dict[str, db.Engine] = {}
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> db.Engine:
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is None:
                engine = db.create_engine(
                    self.conn_string_for_shard(shard),
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
                )
                db.event.listen(engine, "connect", _set_synchronous)
                self._engines[shard] = engine
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[db.Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def delete_events(self, run_id: str) -> None:
        self._dispose_engine(run_id)  # the run's file is removed: no connection may outlive it
        super().delete_events(run_id)

    def watch(self, run_id: str, cursor: str | None, callback: Any) -> None:
        if not self._obs:
            from watchdog.observers import Observer

            self._obs = Observer()
            self._obs.start()
        watchdog = _RunLogWatchdog(self, run_id, callback, cursor)
        self._watchers[run_id][callback] = (watchdog, self._obs.schedule(watchdog, self._base_dir, recursive=True))

    def dispose(self) -> None:
        for shard in list(self._engines):
            self._dispose_engine(shard)
        super().dispose()

    def _dispose_engine(self, shard: str) -> None:
        with self._engines_lock:
            engine = self._engines.pop(shard, None)
        if engine is not None:
            engine.dispose()


def _set_synchronous(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
    finally:
        cursor.close()


class _RunLogWatchdog(SqliteEventLogStorageWatchdog):
    """Dagster's run-log watcher, also woken by commits to the run file's write-ahead log."""

    def __init__(self, storage: SqliteEventLogStorage, run_id: str, callback: Any, cursor: str | None) -> None:
        super().__init__(storage, run_id, callback, cursor)
        self._patterns = [self._log_path, f"{self._log_path}-wal"]

    def on_modified(self, event: FileSystemEvent) -> None:
        if event.src_path in self._patterns:
            self._process_log()
