"""``trustqa query``: one read-only statement on a DuckDB file (the published marts), with a timeout.

An analyst's query runs under three guards:

1. **One read-only statement.** The SQL is split by DuckDB's own parser
   (``extract_statements``) and checked by statement type before anything
   runs. Allowed: ``SELECT`` in all its forms (``WITH``, ``VALUES``,
   ``FROM``-first, set operations, ``PIVOT ... ON col IN (...)``,
   ``UNPIVOT``) and the inspection statements DuckDB parses to a select
   (``DESCRIBE``, ``SHOW``, ``SHOW TABLES``, ``SUMMARIZE``), plus
   ``EXPLAIN [ANALYZE]`` of such a query. Refused, with a one-line message
   naming the statement type: several statements, and every other type:
   ``CREATE`` (temporary objects too), ``INSERT``/``UPDATE``/``DELETE``/
   ``MERGE``, ``DROP``/``ALTER``, ``COPY``, ``EXPORT``, ``ATTACH``/``DETACH``,
   ``LOAD``/``INSTALL``, ``CALL`` (``CHECKPOINT`` is one), ``SET``/``RESET``/
   ``USE``, ``PRAGMA``, ``PREPARE``/``EXECUTE``, transactions, ``VACUUM``/
   ``ANALYZE``, and ``PIVOT`` without its ``IN`` list (DuckDB runs it as
   several statements, type ``MULTI``, which may hide a write).
2. **A read-only session without file access** (:data:`QUERY_CONFIG`): the
   file is opened ``read_only``, ``enable_external_access`` is off (no file
   reads, ``COPY``, ``ATTACH`` or extension downloads) and the configuration
   is locked, so a statement that gets past the first guard still cannot
   write or read anything but the file.
3. **A statement timeout** (``TRUSTQA_QUERY_TIMEOUT_SECONDS``, default 60 s):
   a timer thread calls ``interrupt()`` on the connection when it expires;
   the deadline covers executing the statement and fetching its rows (a
   result is checked against the deadline between batches of rows).

Exit codes: 0 the query ran, 1 it failed, was refused or timed out, 2 usage
(no file, no statement, unknown output format, a timeout that is not positive).
"""

from __future__ import annotations

import csv
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import duckdb

if TYPE_CHECKING:
    import pandas

# An analyst's session: the file read-only, no file system access (no COPY TO, ATTACH or file reads), settings locked.
QUERY_CONFIG = {"enable_external_access": False, "lock_configuration": True}
TIMEOUT_SETTING = "TRUSTQA_QUERY_TIMEOUT_SECONDS"
OUTPUT_FORMATS = ("csv", "table")
ALLOWED = "SELECT (WITH, VALUES, FROM, set operations, PIVOT ... IN), DESCRIBE, SHOW, SUMMARIZE, or EXPLAIN of one"
FETCH_ROWS = 10_000  # rows fetched (and written) between two looks at the deadline

# What may precede the explained statement: EXPLAIN, then ANALYZE or options in parentheses.
_EXPLAIN = re.compile(r"\s*explain\b\s*", re.IGNORECASE)
_ANALYZE = re.compile(r"analy[sz]e\b\s*", re.IGNORECASE)
_OPTIONS = re.compile(r"\([^)]*\)\s*")


class QueryTimeout(Exception):
    """The statement (or the fetching of its rows) outlived the timeout."""


class _Deadline:
    """Interrupt ``con`` from a timer thread after ``seconds``; ``check()`` raises once that happened."""

    def __init__(self, con: duckdb.DuckDBPyConnection, seconds: float) -> None:
        self._con = con
        self.fired = threading.Event()
        self._timer = threading.Timer(seconds, self._interrupt)
        self._timer.daemon = True

    def _interrupt(self) -> None:
        self.fired.set()
        self._con.interrupt()

    def check(self) -> None:
        if self.fired.is_set():
            raise QueryTimeout

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        self._timer.join()  # the interrupt never runs on a closed connection


def _type(statement: duckdb.Statement) -> duckdb.StatementType | None:
    """The statement's type; None for a type this duckdb module has no name for (e.g. UPDATE EXTENSIONS)."""
    try:
        return statement.type
    except ValueError:
        return None


def _type_name(statement: duckdb.Statement) -> str:
    kind = _type(statement)
    return kind.name if kind is not None else "UNKNOWN"


def _describe(statement: duckdb.Statement) -> str:
    """``a CREATE statement``, or ``a CALL statement (checkpoint)`` when the first word says more."""
    kind = _type_name(statement)
    words = statement.query.split(None, 1)
    keyword = words[0].rstrip(";").lower() if words else ""
    article = "an" if kind[0] in "AEIOU" else "a"
    return f"{article} {kind} statement" + (f" ({keyword})" if keyword and keyword != kind.lower() else "")


def _explains_a_query(con: duckdb.DuckDBPyConnection, query: str) -> bool:
    """Whether an EXPLAIN statement explains one allowed query (EXPLAIN ANALYZE runs it)."""
    match = _EXPLAIN.match(query)
    if match is None:
        return False
    rest = query[match.end() :]
    # EXPLAIN [ANALYZE] query, or EXPLAIN (options) query; "explain (select 1)" has no options
    candidates = [rest[m.end() :] if (m := _ANALYZE.match(rest)) else rest]
    if options := _OPTIONS.match(rest):
        candidates.append(rest[options.end() :])
    for candidate in candidates:
        try:
            inner = con.extract_statements(candidate)
        except (duckdb.Error, ValueError):
            continue
        if len(inner) == 1 and _type(inner[0]) == duckdb.StatementType.SELECT:
            return True
    return False


def refusal(con: duckdb.DuckDBPyConnection, statements: list[duckdb.Statement]) -> str | None:
    """Why these statements may not run as an analyst's query, in one line; None when they may."""
    if len(statements) > 1:
        kinds = ", ".join(_type_name(s) for s in statements)
        return f"{len(statements)} statements ({kinds}); run one statement at a time"
    (statement,) = statements
    kind = _type(statement)
    if kind == duckdb.StatementType.SELECT:
        return None
    if kind == duckdb.StatementType.EXPLAIN:
        if _explains_a_query(con, statement.query):
            return None
        return f"an EXPLAIN of a statement that is not a read-only query; only one query runs: {ALLOWED}"
    if kind == duckdb.StatementType.MULTI:
        return (
            "a MULTI statement (a PIVOT without its values runs as several statements); "
            "list the values: PIVOT ... ON column IN (...)"
        )
    return f"{_describe(statement)}; only one read-only query runs: {ALLOWED}"


def run_query(
    path: Path,
    sql: str,
    output_format: str,
    timeout_seconds: float,
    out: TextIO,
    err: TextIO,
    *,
    what: str = "published marts",
) -> int:
    """Run one read-only statement on the DuckDB file ``path``, print its result to ``out`` as CSV or an
    aligned table, messages to ``err``; interrupt it after ``timeout_seconds``. Returns the exit code
    (0 ok, 1 failed, refused or timed out, 2 usage). ``what`` names the file in the message when it is missing."""
    if output_format not in OUTPUT_FORMATS:
        print(f"trustqa query: unknown format {output_format!r} (one of {', '.join(OUTPUT_FORMATS)})", file=err)
        return 2
    if not timeout_seconds > 0:
        print(f"trustqa query: the timeout must be positive ({TIMEOUT_SETTING}), not {timeout_seconds}", file=err)
        return 2
    if not path.exists():
        print(f"trustqa query: no {what} at {path}; run `trustqa materialize` first", file=err)
        return 2
    deadline: _Deadline | None = None
    try:
        with duckdb.connect(str(path), read_only=True, config=QUERY_CONFIG) as con:
            statements = con.extract_statements(sql)
            if not statements:
                print("trustqa query: no SQL statement given", file=err)
                return 2
            reason = refusal(con, statements)
            if reason is not None:
                print(f"trustqa query: refused: {reason}", file=err)
                return 1
            with _Deadline(con, timeout_seconds) as deadline:
                cursor = con.execute(sql)
                deadline.check()
                if cursor.description is None:
                    return 0
                if output_format == "table":
                    frame = cursor.df()
                    deadline.check()
                    print(_aligned_table(frame), file=out)
                    return 0
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow([d[0] for d in cursor.description])
                while rows := cursor.fetchmany(FETCH_ROWS):
                    deadline.check()
                    writer.writerows(rows)
                deadline.check()
    except (QueryTimeout, duckdb.InterruptException) as exc:
        if deadline is None or not deadline.fired.is_set():
            print(f"trustqa query: failed: {exc}", file=err)
            return 1
        print(f"trustqa query: interrupted after {timeout_seconds:g} s ({TIMEOUT_SETTING})", file=err)
        return 1
    except duckdb.Error as exc:
        refused = "read-only" in str(exc) or isinstance(exc, duckdb.PermissionException)
        kind = "refused (queries are read-only, without file access)" if refused else "failed"
        print(f"trustqa query: {kind}: {exc}", file=err)
        return 1
    return 0


def _aligned_table(frame: pandas.DataFrame) -> str:
    """A result as a table for the terminal: every row, every column, nulls shown as NULL."""
    if frame.empty:
        return " ".join(frame.columns) + "\n(0 rows)"
    text = frame.astype(object).where(frame.notna(), "NULL").to_string(index=False)
    return f"{text}\n({len(frame)} row{'s' if len(frame) != 1 else ''})"
