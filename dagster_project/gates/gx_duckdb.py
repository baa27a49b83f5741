"""Great Expectations 1.x on DuckDB, validated in the warehouse.

GX's SQLAlchemy engine opens a connection per query and reads the result
after closing it; only dialects it lists as needing a persisted connection
(sqlite, mssql, bigquery, databricks) keep theirs. duckdb-engine's cursor is
the connection itself, and closing the SQLAlchemy connection rolls back the
DuckDB transaction, which discards the pending result: every metric comes
back empty (upstream GX issues 10738 and 11579).

``DuckDBExecutionEngine`` does for DuckDB what GX does for those dialects:
one connection, kept open for the engine's life (and rolled back after a
failed statement, so one broken expectation cannot abort the rest). Defining
``DuckDBDatasource`` registers the fluent type ``duckdb``:
``context.data_sources.add_duckdb(...)``. Every expectation still runs as
SQL inside DuckDB; nothing pulls a table into pandas.
``tests/test_gates_gx_duckdb.py`` fails if this stops working.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

import sqlalchemy as sa
from great_expectations.datasource.fluent import SQLDatasource
from great_expectations.execution_engine import SqlAlchemyExecutionEngine


class DuckDBExecutionEngine(SqlAlchemyExecutionEngine):
    """Runs every GX query on one persisted connection (as GX does for sqlite).

    GX builds a new engine whenever the datasource's configuration changes
    (each table asset added), so every engine is tracked until ``session()``
    ends and then closed: no DuckDB connection outlives the validation (an
    open one would lock the file against the next writer).
    """

    _live: ClassVar[list[DuckDBExecutionEngine]] = []
    _search_path: ClassVar[str | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        DuckDBExecutionEngine._live.append(self)
        search_path = DuckDBExecutionEngine._search_path
        if search_path:
            # duckdb-engine's inspector queries pg_catalog tables DuckDB 2.0 lacks, so GX falls
            # back to reading a table's columns by its unqualified name: resolve it in these schemas.
            sa.event.listen(
                self.engine, "checkout", lambda dbapi, _rec, _proxy: dbapi.execute(f"set search_path = '{search_path}'")
            )

    @contextmanager
    def get_connection(self) -> Iterator[sa.Connection]:
        if self._connection is None or self._connection.closed:
            self._connection = self.engine.connect()
        try:
            yield self._connection  # deliberately left open: GX reads results after this block
        except Exception:
            with contextlib.suppress(Exception):
                self._connection.rollback()  # clear DuckDB's aborted transaction
            raise

    def close(self) -> None:
        if self._connection is not None and not self._connection.closed:
            self._connection.close()
        self._connection = None
        self.engine.dispose()


class DuckDBDatasource(SQLDatasource):
    """Fluent datasource type ``duckdb`` (``context.data_sources.add_duckdb``)."""

    type: Literal["duckdb"] = "duckdb"  # type: ignore[assignment]

    @property
    def execution_engine_type(self) -> type[SqlAlchemyExecutionEngine]:
        return DuckDBExecutionEngine


@contextmanager
def session(search_path: str) -> Iterator[None]:
    """Validate inside this block; every DuckDB engine GX created is closed when it ends."""
    DuckDBExecutionEngine._search_path = search_path
    try:
        yield
    finally:
        engines, DuckDBExecutionEngine._live = DuckDBExecutionEngine._live, []
        DuckDBExecutionEngine._search_path = None
        for engine in engines:
            engine.close()
