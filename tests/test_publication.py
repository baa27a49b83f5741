"""The analysts' copy of the marts: atomic publication, readers never blocked, never a mixed state."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from dagster_project.publishing.publish import publish_marts, read_publication_info

ROWS = 20_000  # enough rows that a publication takes a while, so readers really overlap it


def make_warehouse(path: Path, version: int) -> None:
    """Two marts whose every row carries the warehouse's version: a mixed read would show two versions."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists intermediate")
        for name in ("fct_a", "fct_b"):
            con.execute(
                f"create or replace table marts.{name} as select range as id, {version} as version from range({ROWS})"
            )
        con.execute(
            f"create or replace table intermediate.int_run_as_of as select date '2026-11-{version:02d}' as as_of_day"
        )
        con.execute("create schema if not exists raw")
        con.execute("create or replace table raw.users as select 'someone@example.com' as email")


def publish(warehouse: Path, published: Path, run_id: str):
    with duckdb.connect(str(warehouse)) as con:
        return publish_marts(con, published, run_id)


def versions_seen(con: duckdb.DuckDBPyConnection) -> set[int]:
    return {
        v
        for (v,) in con.execute(
            "select distinct version from (select version from marts.fct_a union all select version from marts.fct_b)"
        ).fetchall()
    }


def test_publication_holds_the_marts_and_its_info(tmp_path: Path) -> None:
    warehouse, published = tmp_path / "trustqa.duckdb", tmp_path / "trustqa_marts.duckdb"
    make_warehouse(warehouse, 1)
    publication = publish(warehouse, published, "run-1")
    assert publication.tables == {"marts.fct_a": ROWS, "marts.fct_b": ROWS}
    with duckdb.connect(str(published), read_only=True) as con:
        schemas = {s for (s,) in con.execute("select distinct table_schema from information_schema.tables").fetchall()}
        assert schemas == {"marts", "publication"}  # nothing from raw or intermediate (no PII source)
        assert versions_seen(con) == {1}
    _published_at, run_id, as_of_day = read_publication_info(published)
    assert run_id == "run-1" and str(as_of_day) == "2026-11-01"
    assert not list(tmp_path.glob(".trustqa_marts.duckdb.publishing-*")), "no scratch file is left behind"


def published_rows(published: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(published), read_only=True) as con:
        return sorted(con.execute(f"select * from {table}").fetchall())


def warehouse_rows(warehouse: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return sorted(con.execute(f"select * from {table}").fetchall())


def test_a_republication_rewrites_only_what_changed(tmp_path: Path) -> None:
    warehouse, published = tmp_path / "trustqa.duckdb", tmp_path / "trustqa_marts.duckdb"
    make_warehouse(warehouse, 1)
    with duckdb.connect(str(warehouse)) as con:
        # a daily mart: 10 days x 3 users
        con.execute(
            "create table marts.fct_daily as select date '2026-11-01' + d::int as as_of_day, u as user_id, "
            "d * 10 + u as score from range(10) t(d), range(3) s(u)"
        )
    first = publish(warehouse, published, "run-1")
    assert set(first.changes.values()) == {"copied"}  # nothing published before: every mart copied whole
    with duckdb.connect(str(warehouse)) as con:
        # the nightly rewrites the last day (one changed score, one user gone) and adds a new day
        con.execute("update marts.fct_daily set score = -1 where as_of_day = date '2026-11-10' and user_id = 0")
        con.execute("delete from marts.fct_daily where as_of_day = date '2026-11-10' and user_id = 2")
        con.execute("insert into marts.fct_daily values (date '2026-11-11', 0, 7)")
        con.execute("update marts.fct_b set version = 2 where id = 5")  # no day column: the whole mart
    second = publish(warehouse, published, "run-2")
    assert second.changes == {
        "marts.fct_a": "kept",
        "marts.fct_b": "copied",
        "marts.fct_daily": "2 of 11 as_of_day values replaced",  # 11-10 changed, 11-11 is new
    }
    for table in ("marts.fct_a", "marts.fct_b", "marts.fct_daily"):
        assert published_rows(published, table) == warehouse_rows(warehouse, table)
    assert second.tables["marts.fct_daily"] == 30 - 1 + 1
    assert read_publication_info(published)[1] == "run-2"


def test_a_republication_follows_new_dropped_and_reshaped_marts(tmp_path: Path) -> None:
    warehouse, published = tmp_path / "trustqa.duckdb", tmp_path / "trustqa_marts.duckdb"
    make_warehouse(warehouse, 1)
    publish(warehouse, published, "run-1")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table marts.fct_b")
        con.execute("alter table marts.fct_a add column note varchar default 'x'")
        con.execute("create table marts.fct_new as select 1 as id")
    publication = publish(warehouse, published, "run-2")
    assert publication.changes == {"marts.fct_a": "copied", "marts.fct_new": "copied"}
    with duckdb.connect(str(published), read_only=True) as con:
        tables = {
            t for (t,) in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
        }
        assert tables == {"fct_a", "fct_new"}
    assert published_rows(published, "marts.fct_a") == warehouse_rows(warehouse, "marts.fct_a")


def test_an_unreadable_last_publication_is_replaced_whole(tmp_path: Path) -> None:
    warehouse, published = tmp_path / "trustqa.duckdb", tmp_path / "trustqa_marts.duckdb"
    make_warehouse(warehouse, 1)
    published.write_bytes(b"not a duckdb file" * 100)
    publication = publish(warehouse, published, "run-1")
    assert set(publication.changes.values()) == {"copied"}
    assert published_rows(published, "marts.fct_a") == warehouse_rows(warehouse, "marts.fct_a")


# An analyst in another process (DuckDB caches a database per process, so readers must be processes).
# mode "poll": open, read the versions, close, again and again until the stop file exists;
# mode "hold": open once, read, wait for the stop file, read again on the same connection.
READER = """
import sys, time, duckdb
from pathlib import Path
path, stop, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
query = "select distinct version from (select version from marts.fct_a union all select version from marts.fct_b)"
def seen(con):
    return ",".join(str(v) for v in sorted(r[0] for r in con.execute(query).fetchall()))
if mode == "hold":
    con = duckdb.connect(path, read_only=True)
    print(seen(con), flush=True)
    while not stop.exists():
        time.sleep(0.01)
    print(seen(con), flush=True)
else:
    while not stop.exists():
        with duckdb.connect(path, read_only=True) as con:
            print(seen(con), flush=True)
"""


def start_reader(published: Path, stop: Path, mode: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", READER, str(published), str(stop), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_readers_never_block_and_never_see_a_mix(tmp_path: Path) -> None:
    warehouse, published, stop = tmp_path / "trustqa.duckdb", tmp_path / "trustqa_marts.duckdb", tmp_path / "stop"
    make_warehouse(warehouse, 1)
    publish(warehouse, published, "run-1")
    holder = start_reader(published, stop, "hold")  # an analyst's session, open across the new publication
    assert holder.stdout.readline().strip() == "1"
    pollers = [start_reader(published, stop, "poll") for _ in range(2)]
    try:
        time.sleep(1.0)  # the pollers are reading
        for run in range(2, 5):  # the next nights write and publish while analysts read
            make_warehouse(warehouse, 2)
            publish(warehouse, published, f"run-{run}")
        time.sleep(1.0)
    finally:
        stop.touch()
    outputs = [p.communicate(timeout=60) for p in pollers]
    for p, (_, err) in zip(pollers, outputs, strict=False):
        assert p.returncode == 0, err  # never a lock error, never a broken file
    seen = [line for out, _ in outputs for line in out.split()]
    assert seen and set(seen) <= {"1", "2"}, set(seen)  # "1,2" would be a mixed state
    assert "1" in seen and "2" in seen  # the pollers read before and after the swaps
    # the session opened before the swaps still reads the old publication, whole
    held, err = holder.communicate(timeout=60)
    assert holder.returncode == 0, err
    assert held.split() == ["1"], held  # its second read, after three swaps
    with duckdb.connect(str(published), read_only=True) as con:
        assert versions_seen(con) == {2}


def test_a_failed_publication_leaves_the_last_one(tmp_path: Path) -> None:
    warehouse, published = tmp_path / "trustqa.duckdb", tmp_path / "trustqa_marts.duckdb"
    make_warehouse(warehouse, 1)
    publish(warehouse, published, "run-1")
    before = published.read_bytes()
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop schema marts cascade")
        with pytest.raises(RuntimeError, match="nothing to publish"):
            publish_marts(con, published, "run-2")
    assert published.read_bytes() == before
    assert not list(tmp_path.glob(".trustqa_marts.duckdb.publishing-*"))


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_scratch_files_of_dead_processes_are_removed_live_ones_kept(tmp_path: Path) -> None:
    warehouse, published = tmp_path / "trustqa.duckdb", tmp_path / "trustqa_marts.duckdb"
    make_warehouse(warehouse, 1)
    killed = dead_pid()
    stale = [
        tmp_path / f".trustqa_marts.duckdb.publishing-{killed}",
        tmp_path / f".trustqa_marts.duckdb.publishing-{killed}.wal",
    ]
    other = tmp_path / f".other.duckdb.publishing-{killed}"  # another publication's: not this one's to clean
    live = subprocess.Popen(["sleep", "30"])  # a publication still writing
    try:
        in_progress = [
            tmp_path / f".trustqa_marts.duckdb.publishing-{live.pid}",
            tmp_path / f".trustqa_marts.duckdb.publishing-{live.pid}.wal",
        ]
        for path in [*stale, *in_progress, other]:
            path.write_bytes(b"half a publication")
        publish(warehouse, published, "run-1")
        assert not any(path.exists() for path in stale), "a killed publication's scratch files are removed"
        assert all(path.exists() for path in in_progress), "a live publication's scratch files are kept"
        assert other.exists()
    finally:
        live.kill()  # SIGKILL: a test worker may hand its children SIGTERM ignored (seen: this test took 30 s)
        live.wait(timeout=30)
    assert read_publication_info(published)[1] == "run-1"


def test_the_publication_is_readable_by_everyone_whatever_the_umask(tmp_path: Path) -> None:
    warehouse, published = tmp_path / "trustqa.duckdb", tmp_path / "trustqa_marts.duckdb"
    make_warehouse(warehouse, 1)
    previous = os.umask(0o077)
    try:
        publish(warehouse, published, "run-1")
        assert stat.S_IMODE(published.stat().st_mode) == 0o644
        publish(warehouse, published, "run-2")  # a republication starts from a copy made under the umask
        assert stat.S_IMODE(published.stat().st_mode) == 0o644
    finally:
        os.umask(previous)


def query(*args: str) -> subprocess.CompletedProcess:
    trustqa = Path(sys.executable).with_name("trustqa")
    return subprocess.run([str(trustqa), "query", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def published_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("published")
    make_warehouse(root / "trustqa.duckdb", 1)
    publish(root / "trustqa.duckdb", root / "trustqa_marts.duckdb", "run-1")
    return root / "trustqa_marts.duckdb"


def test_query_reads_the_published_marts(published_file: Path) -> None:
    completed = query("--warehouse", str(published_file), "select count(*) as n, max(version) as v from marts.fct_a")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == f"n,v\n{ROWS},1\n"


def test_query_prints_an_aligned_table_on_request(published_file: Path) -> None:
    sql = "select * from (values (1, 'a'), (22, null)) as t(n, label) order by n"
    completed = query("--warehouse", str(published_file), "--format", "table", sql)
    assert completed.returncode == 0, completed.stderr
    # right-aligned columns as wide as their widest cell; a null shows as NULL; the row count last
    assert completed.stdout == " n label\n 1     a\n22  NULL\n(2 rows)\n"
    empty = query("--warehouse", str(published_file), "--format", "table", "select 1 as n where false")
    assert empty.stdout == "n\n(0 rows)\n"


@pytest.mark.parametrize(
    "statement",
    [
        "create table marts.x as select 1",
        "delete from marts.fct_a",
        "drop table marts.fct_b",
        "copy (select 1) to '/tmp/trustqa_query_copy.csv'",
        "attach '/tmp/trustqa_query_attach.duckdb' as elsewhere",
    ],
)
def test_query_refuses_writes_with_a_clear_error(published_file: Path, statement: str) -> None:
    before = published_file.read_bytes()
    completed = query("--warehouse", str(published_file), statement)
    assert completed.returncode == 1
    assert "trustqa query: refused" in completed.stderr, completed.stderr
    assert published_file.read_bytes() == before
    assert not Path("/tmp/trustqa_query_copy.csv").exists()


def test_query_without_a_publication_says_what_to_do(tmp_path: Path) -> None:
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("trustqa")), "query", "select 1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "TRUSTQA_PUBLISHED_PATH": str(tmp_path / "none.duckdb")},
    )
    assert completed.returncode == 2
    assert "no published marts at" in completed.stderr and "trustqa materialize" in completed.stderr
