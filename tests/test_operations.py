"""Operating the nightly as an operator would, in subprocesses on a tiny export folder.

A run killed during dbt and run again gives the marts of a clean run; a second
run on the same warehouse is refused at once; every bad input or setting ends
in a one-paragraph message and an exit code, never a traceback, and loses
nothing. Every subprocess has a timeout: no test can hang.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pytest

from dagster_project.runs.preflight import PreflightError, ensure_warehouse_folder

pytestmark = pytest.mark.slow

TRUSTQA = str(Path(sys.executable).with_name("trustqa"))
RUN_TIMEOUT = 600  # seconds: far above a tiny run (about a minute), so only a hang reaches it
REFUSAL_TIMEOUT = 60  # a refused command stops before any work
EXIT_REFUSED, EXIT_WAREHOUSE_BUSY = 2, 3
FUTURE_FILE = "2099-01-01.csv"


def trustqa(
    *args: str, home: Path, env: Mapping[str, str] | None = None, timeout: float = RUN_TIMEOUT
) -> subprocess.CompletedProcess:
    environment = {**os.environ, **(env or {}), "DAGSTER_HOME": str(home)}
    environment.pop("TRUSTQA_EXPORTS_DIR", None)
    return subprocess.run(
        [TRUSTQA, *args], capture_output=True, text=True, env=environment, timeout=timeout, cwd=home.parent
    )


def materialize_args(exports: Path, warehouse: Path) -> list[str]:
    return ["materialize", "--exports", str(exports), "--warehouse", str(warehouse)]


@pytest.fixture(scope="module")
def tiny_exports(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    exports = root / "exports"
    generated = trustqa(
        "generate", "--out", str(exports), "--start", "2026-11-01", "--days", "3", "--scale", "0.01", "--seed", "3",
        home=root / "home",
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    orders = exports / "marketplace" / "orders"
    # a file dated in the future and one whose name is not UTF-8: both quarantined, nothing else held back
    (orders / FUTURE_FILE).write_bytes((orders / "2026-11-01.csv").read_bytes())
    with open(os.path.join(os.fsencode(orders), b"\xff.csv"), "wb") as badly_named:
        badly_named.write((orders / "2026-11-02.csv").read_bytes())
    return exports


def marts_of(warehouse: Path) -> dict[str, list[tuple]]:
    """Every mart's rows, sorted, without load times (a run's marts as data, comparable across runs)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        marts = {}
        for name in names:
            # when the inputs were loaded and when a build ran differ between any two runs: every other column
            # must be equal
            columns = [
                f'"{column}"'
                for (column,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = 'marts' "
                    "and table_name = ? and column_name not like '%loaded_at' and column_name <> '_built_at' "
                    "order by ordinal_position",
                    [name],
                ).fetchall()
            ]
            rows = con.execute(f'select {", ".join(columns)} from marts."{name}"').fetchall()
            marts[name] = sorted(rows, key=repr)
        return marts


@pytest.fixture(scope="module")
def clean_run(tiny_exports: Path, tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    root = tmp_path_factory.mktemp("clean")
    done = trustqa(*materialize_args(tiny_exports, root / "w" / "t.duckdb"), home=root / "home")
    assert done.returncode == 0, done.stdout + done.stderr
    return done, root / "w" / "t.duckdb"


@pytest.fixture(scope="module")
def clean_marts(clean_run) -> dict[str, list[tuple]]:
    return marts_of(clean_run[1])


def test_a_future_dated_file_and_a_name_that_is_not_utf8_are_quarantined_not_the_folder(clean_run) -> None:
    done, warehouse = clean_run
    assert "1 file(s) dated after today quarantined (rule file_date_in_future; loaded on their day): " in done.stdout
    assert f"marketplace/orders/{FUTURE_FILE}" in done.stdout
    with duckdb.connect(str(warehouse), read_only=True) as con:
        quarantined = con.execute(
            "select _source_file, rule, count(*) from quarantine.orders "
            "where rule in ('file_date_in_future', 'file_name_not_a_date') group by all order by 1"
        ).fetchall()
        loaded_days = con.execute("select count(distinct _export_date) from raw.orders").fetchone()[0]
    assert quarantined == [
        ("marketplace/orders/2099-01-01.csv", "file_date_in_future", 1),
        ("marketplace/orders/\\xff.csv", "file_name_not_a_date", quarantined[1][2]),
    ]
    assert quarantined[1][2] > 0  # its records are kept in quarantine, not lost
    assert loaded_days == 3  # every export day loaded


def descendants_of(pid: int) -> list[tuple[int, str]]:
    """(pid, process name) of the processes below ``pid``: children, theirs, and so on (Linux /proc)."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            names[int(entry.name)] = (entry / "comm").read_text().strip()
        except (OSError, IndexError, ValueError):
            continue
    below, found = {pid}, []
    grew = True  # a child's pid can be lower than its parent's: repeat until nothing is added
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in below and child not in below:
                below.add(child)
                found.append((child, names[child]))
                grew = True
    return found


def wait_for_dbt(run: subprocess.Popen, timeout: float = 300) -> int:
    """The pid of the ``dbt build`` that ``run`` started (a fork named after its command), once it runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert run.poll() is None, "the run ended before dbt started"
        dbt = [pid for pid, name in descendants_of(run.pid) if name == "dbt build"]
        if dbt:
            return dbt[0]
        time.sleep(0.2)
    raise AssertionError("dbt did not start")


def test_a_run_killed_during_dbt_is_recovered_and_a_second_writer_is_refused(
    tiny_exports: Path, clean_marts: dict, tmp_path: Path
) -> None:
    warehouse, home = tmp_path / "w" / "t.duckdb", tmp_path / "home"
    environment = {**os.environ, "DAGSTER_HOME": str(home)}
    environment.pop("TRUSTQA_EXPORTS_DIR", None)
    first = subprocess.Popen(
        [TRUSTQA, *materialize_args(tiny_exports, warehouse)],
        env=environment,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_dbt(first)
        # a second run on the same warehouse, from another Dagster home: refused at once, naming the first
        started = time.monotonic()
        second = trustqa(
            *materialize_args(tiny_exports, warehouse), home=tmp_path / "other_home", timeout=REFUSAL_TIMEOUT
        )
        assert second.returncode == EXIT_WAREHOUSE_BUSY, second.stderr
        assert f"is being written by process {first.pid} on" in second.stderr
        assert "Traceback" not in second.stderr and time.monotonic() - started < REFUSAL_TIMEOUT
        first.send_signal(signal.SIGKILL)  # the run's process only: its dbt is left running, as after a crash
        first.wait(timeout=30)

        rerun = trustqa(*materialize_args(tiny_exports, warehouse), home=home)
    finally:
        os.killpg(first.pid, signal.SIGKILL) if first.poll() is None else None
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "marked failed run" in rerun.stdout and "(STARTED): its process" in rerun.stdout
    assert marts_of(warehouse) == clean_marts


def test_a_file_that_is_not_a_duckdb_database_is_refused_and_kept(tiny_exports: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "w" / "t.duckdb"
    warehouse.parent.mkdir()
    garbage = b"not a database " * 1000
    warehouse.write_bytes(garbage)
    done = trustqa(*materialize_args(tiny_exports, warehouse), home=tmp_path / "home", timeout=REFUSAL_TIMEOUT)
    assert done.returncode == EXIT_REFUSED
    assert f"the warehouse file {warehouse} cannot be opened as a DuckDB database" in done.stderr
    assert "Traceback" not in done.stderr
    assert warehouse.read_bytes() == garbage  # nothing lost: the user decides what to do with it


def test_a_truncated_warehouse_is_refused(tiny_exports: Path, tmp_path: Path) -> None:
    source = tmp_path / "whole.duckdb"
    with duckdb.connect(str(source)) as con:
        con.execute("create table t as select range as n, repeat('x', 100) as s from range(200000)")
    warehouse = tmp_path / "w" / "t.duckdb"
    warehouse.parent.mkdir()
    warehouse.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    done = trustqa(*materialize_args(tiny_exports, warehouse), home=tmp_path / "home", timeout=REFUSAL_TIMEOUT)
    assert done.returncode == EXIT_REFUSED
    assert "cannot be opened as a DuckDB database" in done.stderr and "Traceback" not in done.stderr


def test_a_warehouse_under_a_file_is_refused(tiny_exports: Path, tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("x")
    done = trustqa(
        *materialize_args(tiny_exports, tmp_path / "a_file" / "t.duckdb"), home=tmp_path / "home", timeout=60
    )
    assert done.returncode == EXIT_REFUSED
    assert f"{tmp_path / 'a_file'} is a file, not a folder" in done.stderr and "Traceback" not in done.stderr


def test_an_unreachable_snowflake_is_refused_naming_the_account(tiny_exports: Path, tmp_path: Path) -> None:
    unreachable = {
        "TRUSTQA_TARGET": "snowflake",
        **{f"SNOWFLAKE_{name}": "x" for name in ("USER", "PASSWORD", "ROLE", "WAREHOUSE", "DATABASE")},
        "SNOWFLAKE_ACCOUNT": "nowhere",
        "SNOWFLAKE_HOST": "127.0.0.1",
        "SNOWFLAKE_PORT": "9",  # discard: nothing listens
        "SNOWFLAKE_PROTOCOL": "http",
    }
    done = trustqa(
        *materialize_args(tiny_exports, tmp_path / "w" / "t.duckdb"),
        home=tmp_path / "home",
        env=unreachable,
        timeout=120,
    )
    assert done.returncode == EXIT_REFUSED
    assert "cannot connect to Snowflake account 'nowhere'" in done.stderr and "Traceback" not in done.stderr


def test_a_bad_setting_is_one_line_naming_the_variable(tiny_exports: Path, tmp_path: Path) -> None:
    done = trustqa(
        *materialize_args(tiny_exports, tmp_path / "w" / "t.duckdb"),
        home=tmp_path / "home",
        env={"TRUSTQA_TARGET": "postgres"},
        timeout=REFUSAL_TIMEOUT,
    )
    assert (done.returncode, done.stderr.strip()) == (
        EXIT_REFUSED,
        "trustqa materialize: TRUSTQA_TARGET='postgres': expected one of duckdb, snowflake",
    )


def test_a_folder_that_cannot_be_written_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # root writes anywhere, so a read-only folder is simulated by what os.access answers
    folder = tmp_path / "read_only"
    folder.mkdir()
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != folder)
    with pytest.raises(PreflightError, match=f"cannot write {folder}: permission denied"):
        ensure_warehouse_folder(folder / "t.duckdb")


def start_materialize(exports: Path, warehouse: Path, home: Path) -> subprocess.Popen:
    """`trustqa materialize` started in its own session (the test can stop its whole group), output as text pipes."""
    environment = {**os.environ, "DAGSTER_HOME": str(home)}
    environment.pop("TRUSTQA_EXPORTS_DIR", None)
    return subprocess.Popen(
        [TRUSTQA, *materialize_args(exports, warehouse)],
        env=environment,
        cwd=home.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_sigterm_during_dbt_stops_the_run_cleanly(tiny_exports: Path, tmp_path: Path) -> None:
    warehouse, home = tmp_path / "w" / "t.duckdb", tmp_path / "home"
    run = start_materialize(tiny_exports, warehouse, home)
    try:
        dbt = wait_for_dbt(run)
        run.send_signal(signal.SIGTERM)
        _, stderr = run.communicate(timeout=REFUSAL_TIMEOUT)
    finally:
        os.killpg(run.pid, signal.SIGKILL) if run.poll() is None else None
    assert run.returncode == 130, stderr
    assert "trustqa materialize: interrupted; a step that was running is marked failed" in stderr
    assert not Path(f"/proc/{dbt}").exists()  # its dbt was stopped too
    # nothing left STARTED: the next run needs no recovery
    listed = trustqa("runs", home=home, timeout=REFUSAL_TIMEOUT)
    assert listed.stdout.strip() == f"no unfinished run in {home}"


def read_line_containing(stream, text: str, timeout: float) -> str:
    """The first line of ``stream`` holding ``text``, read within ``timeout`` seconds (a test never hangs)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([stream], [], [], left)
        if not ready:
            break
        line = stream.readline()
        if not line:
            raise AssertionError(f"the output ended before a line with {text!r}")
        if text in line:
            return line
    raise AssertionError(f"no line with {text!r} within {timeout} s")


def test_a_run_waiting_for_the_pool_says_for_what_and_stops_on_sigterm(tiny_exports: Path, tmp_path: Path) -> None:
    """Another warehouse's live run holds the pool of a shared DAGSTER_HOME: the new run names it, then
    SIGTERM ends the wait (exit 130), and the holder is left alone."""
    import dagster as dg

    from dagster_project.defs.resources import WAREHOUSE_POOL
    from dagster_project.instance import dagster_instance
    from dagster_project.settings import Settings
    from tests.test_run_recovery import add_run, claim_slot, on_this_host

    home, other = tmp_path / "home", tmp_path / "other" / "o.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    instance = dagster_instance(Settings.from_env({"DAGSTER_HOME": str(home)}))
    add_run(instance, "holder_run", on_this_host(holder.pid, **{"trustqa/warehouse": str(other)}))
    claim_slot(instance, "holder_run")
    waiting = start_materialize(tiny_exports, tmp_path / "w" / "t.duckdb", home)
    try:
        said = read_line_containing(waiting.stdout, "waiting for the", REFUSAL_TIMEOUT)
        waiting.send_signal(signal.SIGTERM)
        _, stderr = waiting.communicate(timeout=REFUSAL_TIMEOUT)
    finally:
        os.killpg(waiting.pid, signal.SIGKILL) if waiting.poll() is None else None
        holder.kill()
        holder.wait()
    assert said.strip() == (
        f"trustqa materialize: waiting for the {WAREHOUSE_POOL} pool, held by run holder_run "
        f"(STARTED, writing {other}); Ctrl-C stops"
    )
    assert waiting.returncode == 130, stderr
    assert "trustqa materialize: interrupted" in stderr
    assert "Traceback" not in stderr
    assert instance.get_run_by_id("holder_run").status == dg.DagsterRunStatus.STARTED  # its process lived
