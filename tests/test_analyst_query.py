"""``trustqa query``: one read-only statement, everything else refused with a message, and a statement timeout."""

from __future__ import annotations

import io
import time
from pathlib import Path

import duckdb
import pytest

from dagster_project import analyst_query
from dagster_project.analyst_query import run_query


@pytest.fixture(scope="module")
def marts_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("analyst_query") / "trustqa_marts.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_a as select range as id, range % 3 as kind from range(10)")
    return path


def query(path: Path, sql: str, output_format: str = "csv", timeout: float = 60) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_query(path, sql, output_format, timeout, out, err)
    return code, out.getvalue(), err.getvalue()


def test_a_select_prints_csv(marts_file: Path) -> None:
    assert query(marts_file, "select kind, count(*) as n from marts.fct_a group by all order by kind") == (
        0,
        "kind,n\n0,4\n1,3\n2,3\n",
        "",
    )


def test_a_select_prints_an_aligned_table_on_request(marts_file: Path) -> None:
    code, out, err = query(marts_file, "select * from (values (1, 'a'), (22, null)) as t(n, label) order by n", "table")
    assert (code, err) == (0, "")
    assert out == " n label\n 1     a\n22  NULL\n(2 rows)\n"


@pytest.mark.parametrize(
    "sql",
    [
        "with k as (select distinct kind from marts.fct_a) select count(*) from k",
        "values (1), (2)",
        "from marts.fct_a select max(id)",
        "select 1 union all select 2",
        "select 1;",  # one statement, its semicolon
        "describe marts.fct_a",
        "show tables",
        "summarize marts.fct_a",
        "pivot marts.fct_a on kind in (0, 1, 2) using count(*)",
        "explain select * from marts.fct_a",
        "explain analyze select count(*) from marts.fct_a",
        "explain (format json) select 1",
    ],
)
def test_read_only_queries_and_inspection_run(marts_file: Path, sql: str) -> None:
    code, out, err = query(marts_file, sql)
    assert code == 0, err
    assert out and not err


def test_explain_prints_the_plan(marts_file: Path) -> None:
    code, out, _ = query(marts_file, "explain select * from marts.fct_a")
    assert code == 0
    assert out.startswith("explain_key,explain_value\nphysical_plan,") and "fct_a" in out


def test_several_statements_are_refused(marts_file: Path) -> None:
    code, out, err = query(marts_file, "select 1; select 2")
    assert (code, out) == (1, "")
    assert err == "trustqa query: refused: 2 statements (SELECT, SELECT); run one statement at a time\n"
    code, _, err = query(marts_file, "select 1; create temp table x as select 1")
    assert code == 1 and "2 statements (SELECT, CREATE)" in err


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("create temp table x as select 1", "a CREATE statement"),
        ("create table marts.x as select 1", "a CREATE statement"),
        ("create temp macro m() as 1", "a CREATE statement"),
        ("insert into marts.fct_a values (99, 0)", "an INSERT statement"),
        ("update marts.fct_a set kind = 0", "an UPDATE statement"),
        ("delete from marts.fct_a", "a DELETE statement"),
        ("drop table marts.fct_a", "a DROP statement"),
        ("load httpfs", "a LOAD statement"),
        ("install httpfs", "a LOAD statement (install)"),
        ("checkpoint", "a CALL statement (checkpoint)"),
        ("call pragma_version()", "a CALL statement"),
        ("attach '/tmp/trustqa_analyst_query.duckdb' as elsewhere", "an ATTACH statement"),
        ("detach marts", "a DETACH statement"),
        ("copy (select 1) to '/tmp/trustqa_analyst_query.csv'", "a COPY statement"),
        ("export database '/tmp/trustqa_analyst_query_export'", "an EXPORT statement"),
        ("set threads = 1", "a SET statement"),
        ("use memory", "a SET statement (use)"),
        ("pragma show_tables", "a PRAGMA statement"),
        ("begin transaction", "a TRANSACTION statement (begin)"),
        ("prepare p as select 1", "a PREPARE statement"),
        ("vacuum", "a VACUUM statement"),
        ("explain analyze create temp table x as select 1", "an EXPLAIN of a statement that is not a read-only query"),
        ("pivot marts.fct_a on kind using count(*)", "a MULTI statement"),
    ],
)
def test_everything_else_is_refused_naming_the_statement(marts_file: Path, sql: str, named: str) -> None:
    before = marts_file.read_bytes()
    code, out, err = query(marts_file, sql)
    assert (code, out) == (1, "")
    assert err.startswith(f"trustqa query: refused: {named}"), err
    assert err.count("\n") == 1  # one line
    assert marts_file.read_bytes() == before
    assert not Path("/tmp/trustqa_analyst_query.csv").exists()


def test_file_reads_are_refused_by_the_session(marts_file: Path) -> None:
    code, _, err = query(marts_file, "select * from read_csv('/etc/hostname')")
    assert code == 1
    assert err.startswith("trustqa query: refused (queries are read-only, without file access): Permission Error")


def test_a_runaway_query_is_interrupted_at_the_timeout(marts_file: Path) -> None:
    started = time.monotonic()
    code, out, err = query(marts_file, "select count(*) from range(100000000) a, range(100000000) b", timeout=1)
    elapsed = time.monotonic() - started
    assert (code, out) == (1, "")
    assert err == "trustqa query: interrupted after 1 s (TRUSTQA_QUERY_TIMEOUT_SECONDS)\n"
    assert elapsed < 15, f"the query ran {elapsed:.1f} s past a 1 s timeout"


class SlowOutput(io.StringIO):
    """A terminal that reads slowly: every write takes 10 ms."""

    def write(self, text: str) -> int:
        time.sleep(0.01)
        return super().write(text)


def test_the_timeout_covers_fetching_the_rows(marts_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analyst_query, "FETCH_ROWS", 1)
    out, err = SlowOutput(), io.StringIO()
    started = time.monotonic()
    # executes at once; writing its 100,000 rows would take over 1,000 s
    code = run_query(marts_file, "select * from range(100000)", "csv", 0.5, out, err)
    elapsed = time.monotonic() - started
    assert code == 1
    assert err.getvalue() == "trustqa query: interrupted after 0.5 s (TRUSTQA_QUERY_TIMEOUT_SECONDS)\n"
    assert elapsed < 15
    assert 0 < out.getvalue().count("\n") < 100_000


def test_usage_errors(tmp_path: Path, marts_file: Path) -> None:
    code, _, err = query(tmp_path / "none.duckdb", "select 1")
    assert code == 2 and "no published marts at" in err and "trustqa materialize" in err
    assert query(marts_file, "  ;  ")[0] == 2
    assert query(marts_file, "select 1", "json")[0] == 2
    assert query(marts_file, "select 1", timeout=0)[0] == 2


def test_a_syntax_error_fails(marts_file: Path) -> None:
    code, _, err = query(marts_file, "selec 1")
    assert code == 1 and err.startswith("trustqa query: failed: Parser Error")
