"""The Snowflake target end to end, on the fakesnow emulator (tests/fakesnow_server.py).

One emulator per module. The bundled sample's export days up to 11-10 are
loaded by the project loader and pushed to Snowflake (raw, quarantine,
audit), ``dbt build --target snowflake`` runs, days 11-11..11-14 are pushed
and dbt builds again (incremental path). Then:

* every mart equals the DuckDB mart of ``sample_warehouse`` row for row
  (floats to 1e-9 relative; ``_``-prefixed lineage columns excluded;
  timestamps fetched as text on both sides);
* the Great Expectations suites pass on the Snowflake raw, staging and marts;
* a corrupted copy of a staging table fails exactly the expectations it breaks;
* no mart column on Snowflake is named like PII;
* on Snowflake the marts grant SELECT to the analyst role (fakesnow has no
  GRANT, so this is checked in the parsed manifest, not executed).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import decimal
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from dagster_project.contract import TABLES
from dagster_project.gates.validate import validate_snowflake
from dagster_project.loading.export_files import export_days
from dagster_project.settings import PROJECT_ROOT, snowflake_settings
from dagster_project.snowflake.raw_push import push_days
from dagster_project.snowflake.settings import SnowflakeSettings, connect
from expectations import all_suites, suites_of
from tests.dbt_runner import run_dbt
from tests.test_pii import ALLOWED_COLUMN_NAMES, PII_COLUMN_NAME  # one definition of a PII-like name

pytestmark = pytest.mark.slow

SEEDS = PROJECT_ROOT / "seeds"
FIRST_DAYS = [d for d in export_days(SEEDS) if d <= dt.date(2026, 11, 10)]  # from 2026-09-14
LATER_DAYS = [dt.date(2026, 11, d) for d in range(11, 15)]
REL_TOL = 1e-9  # floats: both targets compute in double precision, summation order may differ
SERVER = Path(__file__).with_name("fakesnow_server.py")
# Marts the DuckDB-vs-Snowflake comparison must include, with rows (every mart in `marts` is compared)
CROSS_TARGET_MARTS = {
    "dim_user_risk_current",  # the second build refreshes only the users that four new days changed
    "fct_metric_shifts_weekly",
    "fct_metric_shift_drivers_weekly",
    "dsa_statements_of_reasons",
    "fct_dsa_transparency_report",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"fakesnow server exited (code {process.returncode}):\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"fakesnow server not listening on 127.0.0.1:{port} after {timeout}s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    """A fakesnow server in its own process group; the SNOWFLAKE_* variables point at it."""
    work = tmp_path_factory.mktemp("fakesnow")
    port, log = _free_port(), work / "fakesnow.log"
    env = {
        # fakesnow cannot store comments with quotes, nor GRANT (see dbt_project.yml)
        "TRUSTQA_TARGET": "snowflake",
        "TRUSTQA_PERSIST_DOCS": "false",
        "TRUSTQA_ANALYST_ROLE": "",
        "SNOWFLAKE_ACCOUNT": "fakesnow",
        "SNOWFLAKE_USER": "fake",
        "SNOWFLAKE_PASSWORD": "snow",
        "SNOWFLAKE_ROLE": "SYSADMIN",
        "SNOWFLAKE_WAREHOUSE": "WH",
        "SNOWFLAKE_DATABASE": "TRUSTQA",
        "SNOWFLAKE_HOST": "127.0.0.1",
        "SNOWFLAKE_PORT": str(port),
        "SNOWFLAKE_PROTOCOL": "http",
        # else the connector probes cloud metadata addresses for its telemetry
        "SNOWFLAKE_DISABLE_PLATFORM_DETECTION": "true",
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, str(SERVER), str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            start_new_session=True,
        )
    try:
        _wait_for_port(port, process, log)
        with pytest.MonkeyPatch.context() as mp:
            for name, value in env.items():
                mp.setenv(name, value)
            yield env
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def snowflake_warehouse(emulator, tmp_path_factory) -> SnowflakeSettings:
    """Two pushes and two dbt builds (the second one incremental) on the emulator."""
    work = tmp_path_factory.mktemp("snowflake_dbt")
    settings = snowflake_settings()
    unused_duckdb = work / "unused.duckdb"  # run_dbt sets TRUSTQA_DUCKDB_PATH; the snowflake target ignores it
    for step, days in enumerate((FIRST_DAYS, LATER_DAYS)):
        outcome = push_days(SEEDS, days, work / f"scratch_{step}.duckdb", settings)
        assert [r.table for r in outcome.loads] == [t.name for t in TABLES]
        assert {p.relation for p in outcome.pushed} >= {f"raw.{t.name}" for t in TABLES} | {"audit.raw_loads"}
        run_dbt(["build"], work, unused_duckdb, extra_env=emulator)
    return settings


def _cursor(settings: SnowflakeSettings):
    cursor = connect(settings).cursor()
    cursor.execute(f"use database {settings.database}")
    return cursor


def _value(v):
    if isinstance(v, decimal.Decimal):
        v = float(v)
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, list):
        return json.dumps(v)
    if isinstance(v, str) and v.startswith("["):  # a list: Snowflake array / DuckDB list
        with contextlib.suppress(ValueError):
            return json.dumps(json.loads(v))
    return v


def _sort_key(row: tuple) -> tuple:
    return tuple(f"{v:.6g}" if isinstance(v, float) else repr(v) for v in row)


def _rows_differ(a: tuple, b: tuple) -> bool:
    for x, y in zip(a, b, strict=True):
        if (isinstance(x, float) and isinstance(y, (float, int))) or (isinstance(y, float) and isinstance(x, int)):
            if not math.isclose(x, y, rel_tol=REL_TOL, abs_tol=1e-12):
                return True
        elif x != y:
            return True
    return False


def _mart_columns(duck: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    marts: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in duck.execute(
        "select table_name, column_name, data_type from information_schema.columns"
        " where table_schema = 'marts' order by table_name, ordinal_position"
    ).fetchall():
        if not column.startswith("_"):
            marts.setdefault(table, []).append((column, kind))
    return marts


def test_every_mart_equals_the_duckdb_mart(snowflake_warehouse, sample_warehouse) -> None:
    assert_marts_equal_duckdb(snowflake_warehouse, sample_warehouse)


def assert_marts_equal_duckdb(snowflake_settings: SnowflakeSettings, sample_warehouse) -> None:
    assert sample_warehouse.first_run.returncode == 0, sample_warehouse.first_run.stderr[-3000:]
    cursor = _cursor(snowflake_settings)
    cursor.execute("select lower(table_name) from information_schema.tables where table_schema = 'MARTS'")
    snowflake_marts = {name for (name,) in cursor.fetchall()}
    with duckdb.connect(str(sample_warehouse.path), read_only=True) as duck:
        marts = _mart_columns(duck)
        assert len(marts) >= 13
        assert snowflake_marts == set(marts)
        differing, compared, compared_by_mart = {}, 0, {}
        for table, columns in marts.items():
            select = ", ".join(f"cast({c} as varchar)" if "TIMESTAMP" in kind else c for c, kind in columns)
            expected = sorted(
                (tuple(_value(v) for v in r) for r in duck.execute(f"select {select} from marts.{table}").fetchall()),
                key=_sort_key,
            )
            cursor.execute(f"select {select} from marts.{table}")
            actual = sorted((tuple(_value(v) for v in r) for r in cursor.fetchall()), key=_sort_key)
            if len(actual) != len(expected):
                differing[table] = f"{len(actual)} rows on Snowflake, {len(expected)} on DuckDB"
                continue
            compared += len(expected)
            compared_by_mart[table] = len(expected)
            bad = [(a, e) for a, e in zip(actual, expected, strict=True) if _rows_differ(a, e)]
            if bad:
                differing[table] = (
                    f"{len(bad)} of {len(expected)} rows differ, first: snowflake={bad[0][0]} duckdb={bad[0][1]}"
                )
    assert differing == {}
    assert compared > 1000
    assert all(compared_by_mart.get(m, 0) > 0 for m in CROSS_TARGET_MARTS), compared_by_mart


def test_gx_suites_pass_on_snowflake(snowflake_warehouse) -> None:
    outcomes = validate_snowflake(all_suites(), snowflake_warehouse)
    assert {o.layer for o in outcomes} == {"raw", "staging", "marts"}
    assert len(outcomes) == len(all_suites())
    failed = {
        o.suite_name: [(e.gate, e.observed_value, e.unexpected_count, e.error) for e in o.expectations if not e.success]
        for o in outcomes
        if not all(e.success for e in o.expectations)
    }
    assert failed == {}


def test_corrupted_snowflake_table_fails_the_right_expectations(snowflake_warehouse) -> None:
    cursor = _cursor(snowflake_warehouse)
    cursor.execute("create schema if not exists corrupted")
    cursor.execute(
        "create or replace table corrupted.stg_marketplace__appeals as select * from staging.stg_marketplace__appeals"
    )
    decided = [
        r[0]
        for r in cursor.execute(
            "select appeal_id from corrupted.stg_marketplace__appeals where decided_at is not null order by appeal_id limit 3"
        ).fetchall()
    ]
    duplicated, undecided, bogus = decided
    cursor.execute(
        f"insert into corrupted.stg_marketplace__appeals select * from corrupted.stg_marketplace__appeals where appeal_id = '{duplicated}'"
    )
    cursor.execute(f"update corrupted.stg_marketplace__appeals set decided_at = null where appeal_id = '{undecided}'")
    cursor.execute(f"update corrupted.stg_marketplace__appeals set outcome = 'bogus' where appeal_id = '{bogus}'")
    suite = next(s for s in suites_of("staging") if s.table == "stg_marketplace__appeals")
    clean, corrupted = validate_snowflake([suite, dataclasses.replace(suite, schema="corrupted")], snowflake_warehouse)
    assert all(e.success for e in clean.expectations)
    failed = {e.gate: e for e in corrupted.expectations if not e.success}
    assert set(failed) == {"appeal_id unique", "outcome accepted values", "outcome present exactly when decided"}
    assert all(e.blocking and e.error is None for e in failed.values())
    assert failed["appeal_id unique"].unexpected_count == 2
    assert failed["appeal_id unique"].sample_rows == [{"appeal_id": duplicated}] * 2
    assert failed["outcome accepted values"].unexpected_count == 1
    assert failed["outcome accepted values"].sample_rows == [{"appeal_id": bogus}]
    assert failed["outcome present exactly when decided"].observed_value == 1
    assert failed["outcome present exactly when decided"].sample_rows == [{"appeal_id": undecided}]


def test_no_snowflake_mart_column_is_named_like_pii(snowflake_warehouse) -> None:
    cursor = _cursor(snowflake_warehouse)
    cursor.execute(
        "select lower(table_name), lower(column_name) from information_schema.columns where table_schema = 'MARTS'"
    )
    columns = cursor.fetchall()
    assert len({t for t, _ in columns}) >= 13
    named = [(t, c) for t, c in columns if PII_COLUMN_NAME.search(c) and c not in ALLOWED_COLUMN_NAMES]
    assert named == []


@pytest.mark.parametrize(
    ("role", "grants"), [(None, {"select": ["TRUSTQA_ANALYST"]}), ("ANALYSTS", {"select": ["ANALYSTS"]}), ("", {})]
)
def test_marts_grant_select_to_the_analyst_role_on_snowflake(emulator, tmp_path, role, grants) -> None:
    env = {k: v for k, v in emulator.items() if k != "TRUSTQA_ANALYST_ROLE"}
    if role is not None:
        env["TRUSTQA_ANALYST_ROLE"] = role
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("TRUSTQA_ANALYST_ROLE", raising=False)
        run_dbt(["parse", "--no-partial-parse"], tmp_path, tmp_path / "unused.duckdb", extra_env=env)
    nodes = json.loads((tmp_path / "target" / "manifest.json").read_text())["nodes"].values()
    models = [n for n in nodes if n["resource_type"] == "model"]
    marts = [n for n in models if n["schema"].lower() == "marts"]
    assert len(marts) >= 13
    assert {json.dumps(n["config"]["grants"]) for n in marts} == {json.dumps(grants)}
    assert {json.dumps(n["config"]["grants"]) for n in models if n not in marts} == {"{}"}


def test_pushing_a_day_again_replaces_its_rows(snowflake_warehouse, tmp_path) -> None:
    """Last in the module: it rewrites raw rows (with identical values) after the other tests read them."""
    cursor = _cursor(snowflake_warehouse)
    relations = [f"raw.{t.name}" for t in TABLES] + [f"quarantine.{t.name}" for t in TABLES]

    def counts() -> dict[str, int]:
        found = {r: cursor.execute(f"select count(*) from {r}").fetchone()[0] for r in relations}
        found["audit.raw_loads"] = cursor.execute("select count(*) from audit.raw_loads").fetchone()[0]
        return found

    before = counts()
    again = dt.datetime(2030, 1, 1, 12, 0, 0)
    outcome = push_days(SEEDS, LATER_DAYS[-1:], tmp_path / "scratch.duckdb", snowflake_warehouse, loaded_at=again)
    assert counts() == before
    # the loader's figures come back with the push: what was read, loaded and pushed agree
    [orders_load] = [r for r in outcome.loads if r.table == "orders"]
    assert orders_load.days == LATER_DAYS[-1:]
    assert orders_load.loaded == next(p.rows for p in outcome.pushed if p.relation == "raw.orders")
    assert sum(p.rows for p in outcome.pushed if p.relation.startswith("raw.")) > 0
    reloaded = cursor.execute(
        "select count(*), min(_loaded_at) = max(_loaded_at) from raw.orders where _export_date = %s", [LATER_DAYS[-1]]
    ).fetchone()
    assert reloaded[0] > 0 and reloaded[1]
    newest = cursor.execute("select cast(max(_loaded_at) as varchar) from raw.orders").fetchone()[0]
    assert newest.startswith("2030-01-01 12:00:00")


def test_settings_come_from_the_environment_and_name_what_is_missing() -> None:
    with pytest.raises(ValueError, match=r"SNOWFLAKE_ACCOUNT.*SNOWFLAKE_PASSWORD or SNOWFLAKE_PRIVATE_KEY_PATH"):
        SnowflakeSettings.from_env({"SNOWFLAKE_USER": "u"})
    base = {
        "SNOWFLAKE_ACCOUNT": "acme-x1",
        "SNOWFLAKE_USER": "loader",
        "SNOWFLAKE_ROLE": "TRANSFORMER",
        "SNOWFLAKE_WAREHOUSE": "WH",
        "SNOWFLAKE_DATABASE": "TRUSTQA",
    }
    with_password = SnowflakeSettings.from_env({**base, "SNOWFLAKE_PASSWORD": "p@ss/word"})
    assert "p@ss" not in repr(with_password)
    assert with_password.sqlalchemy_url("marts") == (
        "snowflake://loader:p%40ss%2Fword@acme-x1/TRUSTQA/marts?warehouse=WH&role=TRANSFORMER"
    )
    assert with_password.connect_args() == {"network_timeout": 120}  # real endpoint: no host/port/protocol
    with_key = SnowflakeSettings.from_env({**base, "SNOWFLAKE_PRIVATE_KEY_PATH": "/keys/rsa.p8", "SNOWFLAKE_PORT": "0"})
    assert with_key.connect_args() == {"network_timeout": 120, "private_key_file": "/keys/rsa.p8"}
    assert with_key.sqlalchemy_url("raw").startswith("snowflake://loader@acme-x1/TRUSTQA/raw?")
    with pytest.raises(ValueError, match="SNOWFLAKE_PORT='http'"):
        SnowflakeSettings.from_env({**base, "SNOWFLAKE_PASSWORD": "x", "SNOWFLAKE_PORT": "http"})


# -- the nightly job itself on the Snowflake target -------------------------


@pytest.fixture(scope="module")
def orchestrated_run(emulator, tmp_path_factory):
    """`trustqa materialize` on the sample with TRUSTQA_TARGET=snowflake, into its own emulated database."""
    from dagster_project.dbt_project import prepare_manifest
    from tests.conftest import materialize

    work = tmp_path_factory.mktemp("snowflake_nightly")
    (work / "dagster_home").mkdir()
    env = {**emulator, "SNOWFLAKE_DATABASE": "TRUSTQA_NIGHTLY"}
    try:
        completed = materialize(SEEDS, work / "scratch.duckdb", work / "dagster_home", extra_env=env)
    finally:
        with pytest.MonkeyPatch.context() as mp:  # the CLI parsed for Snowflake: parse for DuckDB again
            mp.setenv("TRUSTQA_TARGET", "duckdb")
            prepare_manifest()
    return completed, dataclasses.replace(snowflake_settings(), database="TRUSTQA_NIGHTLY")


def test_the_nightly_job_runs_on_snowflake_with_every_gate(orchestrated_run) -> None:
    completed, _ = orchestrated_run
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "warehouse: Snowflake database TRUSTQA_NIGHTLY" in completed.stdout
    assert f"{len(all_suites())} passed, 0 warned, 0 failed, 0 not run" in completed.stdout
    assert "run succeeded" in completed.stdout


def test_the_nightly_job_on_snowflake_gives_the_duckdb_marts(orchestrated_run, sample_warehouse) -> None:
    assert_marts_equal_duckdb(orchestrated_run[1], sample_warehouse)


def test_the_nightly_job_on_snowflake_writes_the_scorecard_from_snowflake(orchestrated_run) -> None:
    """The scorecard asset read the marts on Snowflake (no DuckDB copy of the marts exists in this run) and
    says what the DuckDB run's page says: the sample's latest week and its planted drop."""
    from tests.test_scorecard_sample import check_sample_page

    completed, _ = orchestrated_run
    (named,) = [
        line for line in completed.stdout.splitlines() if line.startswith("weekly scorecard (for stakeholders): ")
    ]
    page = Path(named.split(": ", 1)[1])
    assert not (page.parent.parent / "trustqa_marts.duckdb").exists()
    check_sample_page(page)
