"""Dagster's SQLite event log, with one engine per database file instead of one per event.

Dagster's own ``SqliteEventLogStorage`` creates a SQLAlchemy engine for every
event it stores, with ``NullPool``: each event opens the file, compiles its
statements afresh (the compiled cache lives on the engine), commits with a
full fsync and closes the last connection, which checkpoints the WAL into the
database file. A single-run backfill of 364 days records one planned and one
recorded materialization per partitioned asset and day (8,800 events for the
dbt assets alone), so that per-event cost was most of the orchestration
overhead the benchmark measured (``bench/README.md``).

Why not Dagster's supported storage (``storage: sqlite: base_dir:``, the
stock classes): measured on 2026-12-04 with Dagster 1.13.27, SQLAlchemy
2.0.58, SQLite 3.40.1, Python 3.11.7, 2 shared cores, each variant in a
fresh ``DAGSTER_HOME``, the two alternating, whole processes timed:

* ``trustqa materialize`` of 120 generated export days (``trustqa generate
  --start 2026-01-01 --days 120 --scale 0.1 --seed 1``; one run writing
  2,790 planned and 2,790 recorded materializations and 842 check events),
  two calls of three pairs: stock 124.8 s and 121.3 s (medians; 109 to
  180 s), this class 67.0 s and 68.4 s (65 to 73 s); paired stock/pooled
  1.91 and 1.67 (1.59 to 2.48). The stock storage adds about 55 s, 8 ms
  an event: 45 % of the run (the bar for replacing this class was 5 %).
* storing 10,000 events of one run (half engine events, half asset
  materializations; ``bench/event_log.py store``), five pairs: stock 7.1 ms
  an event (6.1 to 27 ms: its fsync per commit suffers most when other work
  uses the disk), this class 1.0 ms (0.9 to 1.4 ms); whole processes
  73.7 s against 13.3 s.
* at scale 10 (9,180 events in a 364-day backfill, bench/results) that
  would put about 65 s on the 437.7 s orchestrated dbt build: 1.21 x bare
  dbt, over the 1.15 target (1.056 with this class).

Dagster's ``ConsolidatedSqliteEventLogStorage`` (one file) also creates an
engine per connection: 6.2 ms an event in a single try, and a different
file layout. ``dagster-postgres`` pools its connections but needs a running
PostgreSQL server, which ``make run`` on a bare machine does not have. So
the need remains. Re-measure with ``bench/event_log.py compare --exports
DIR --work DIR --repeat 3`` (see its docstring) after a Dagster upgrade.

This module builds on Dagster's private code: the classes and methods named
in :data:`PRIVATE_API`, pinned by ``dagster>=1.13,<1.14`` and checked by
``tests/test_instance.py`` against the source digests recorded here. A
changed digest means Dagster changed code this class overrides or copies:
re-read it, re-run the benchmark (the stock storage may no longer need this
class), then update the digest.

This subclass keeps one engine (and its connection pool) per database file:

* statements compile once per engine;
* connections stay open, so no checkpoint per event;
* the index file's tables are looked up once (:meth:`has_table`);
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

import hashlib
import importlib
import inspect
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as db
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
    SqliteEventLogStorageWatchdog,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from watchdog.events import FileSystemEvent

SYNCHRONOUS = "NORMAL"

_SQLITE_LOG = "dagster._core.storage.event_log.sqlite.sqlite_event_log"
#: The private code this module overrides, calls or copies (``module:attribute path``), with a digest of its
#: source (:func:`source_digest`) as read with dagster 1.13.27 and watchdog 6.0.0. Methods are looked up
#: through ``SqliteEventLogStorage``, so an inherited one that Dagster moves into the class counts as changed.
PRIVATE_API: dict[str, str] = {
    # super().__init__ sets what _connect and watch use: _db_lock, _initialized_dbs, _obs, _watchers, _base_dir
    f"{_SQLITE_LOG}:SqliteEventLogStorage.__init__": "356ed5a4155fda7a",
    # replaced: one engine per file instead of one per call (the body is otherwise the same)
    f"{_SQLITE_LOG}:SqliteEventLogStorage._connect": "32c43750d4b7e288",
    # every read and write of the stock storage goes through these to _connect
    f"{_SQLITE_LOG}:SqliteEventLogStorage.run_connection": "0eb54739368130ab",
    f"{_SQLITE_LOG}:SqliteEventLogStorage.index_connection": "fb9855a9a0c63377",
    f"{_SQLITE_LOG}:SqliteEventLogStorage.index_transaction": "e36d25b0ab02decb",
    f"{_SQLITE_LOG}:SqliteEventLogStorage.store_event": "41dae9e57125fda6",
    f"{_SQLITE_LOG}:SqliteEventLogStorage._initdb": "fa90ce47c910448b",
    f"{_SQLITE_LOG}:SqliteEventLogStorage.conn_string_for_shard": "43e171247db29fe4",
    # replaced: the stock one builds an engine and opens the index file on every call (once per check event)
    f"{_SQLITE_LOG}:SqliteEventLogStorage.has_table": "4a52c11bc5f93af0",
    # replaced: the stock one returns SqliteEventLogStorage, not cls
    f"{_SQLITE_LOG}:SqliteEventLogStorage.from_config_value": "434121acc7057cd3",
    # wrapped (engines disposed first) or replaced (the watcher class)
    f"{_SQLITE_LOG}:SqliteEventLogStorage.delete_events": "b38e07f633525898",
    f"{_SQLITE_LOG}:SqliteEventLogStorage.dispose": "e1056de5cff65bb7",
    f"{_SQLITE_LOG}:SqliteEventLogStorage.watch": "3aa0c404e4c0ec6c",
    # the watcher: its attributes (_log_path), its reader, and the handler it replaces
    f"{_SQLITE_LOG}:SqliteEventLogStorageWatchdog.__init__": "75012c23eae09ced",
    f"{_SQLITE_LOG}:SqliteEventLogStorageWatchdog._process_log": "e7b1158f9b0d8ee8",
    f"{_SQLITE_LOG}:SqliteEventLogStorageWatchdog.on_modified": "daeb876712eea82c",
    # watchdog's pattern filter reads self._patterns, which _RunLogWatchdog extends with the -wal file
    "watchdog.events:PatternMatchingEventHandler.__init__": "6ed214fa569c046d",
    "watchdog.events:PatternMatchingEventHandler.dispatch": "704b950d727f1424",
}


def source_digest(obj: Any) -> str:
    """The first 16 hex digits of the SHA-256 of ``obj``'s source, dedented."""
    return hashlib.sha256(textwrap.dedent(inspect.getsource(obj)).encode()).hexdigest()[:16]


def private_api_changes() -> list[str]:
    """What moved or changed in :data:`PRIVATE_API` with the installed versions: empty when nothing did."""
    changes = []
    for name, recorded in PRIVATE_API.items():
        module_name, _, path = name.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for part in path.split("."):
                obj = getattr(obj, part)
            found = source_digest(obj)
        except (ImportError, AttributeError, OSError, TypeError) as exc:
            changes.append(f"{name}: not found ({type(exc).__name__}: {exc})")
            continue
        if found != recorded:
            changes.append(f"{name}: source changed (digest {found}, recorded {recorded})")
    return changes


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` (one SQLite file per run plus an index file) with a pooled engine per file."""

    def __init__(self, base_dir: str, inst_data: Any | None = None) -> None:
        self._engines: dict[str, db.Engine] = {}
        self._engines_lock = threading.Lock()
        self._tables_present: set[str] = set()
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

    def has_table(self, table_name: str) -> bool:
        """Whether the index file has the table, on the pooled engine; a table found is remembered.

        Dagster asks this before storing every asset check event
        (``supports_asset_checks``); the stock method builds an engine and opens
        the file each time: 519 lookups (a nightly's check events) took 0.45 s
        against under 1 ms here, measured on 2026-12-04 on the 2-core AMD machine.
        Dagster's migrations add tables and never drop one, so a table seen
        once is there for the life of this storage.
        """
        if table_name in self._tables_present:
            return True
        engine = self._engine(INDEX_SHARD_NAME)
        with engine.connect() as conn:
            present = bool(engine.dialect.has_table(conn, table_name))
        if present:
            self._tables_present.add(table_name)
        return present

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
