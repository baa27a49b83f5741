"""The Dagster instance trustqa manages (dagster_project/instance): its dagster.yaml and the pooled event log."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from dagster_project.instance import MANAGED_MARKER, dagster_home
from dagster_project.instance.event_log import PooledSqliteEventLogStorage, private_api_changes


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    return dagster_home()


def _materialize(instance: dg.DagsterInstance, asset: str, partitions: list[str]) -> None:
    for partition in partitions:
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["marts", asset], partition=partition))


def test_the_managed_instance_uses_the_pooled_event_log_in_the_default_layout(home: Path) -> None:
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        _materialize(instance, "fct_a", ["2025-01-01", "2025-01-02"])
    finally:
        instance.dispose()
    # Dagster's default layout: the index and the runs' files under history/runs
    assert (home / "history" / "runs" / "index.db").exists()
    assert (home / "history" / "runs.db").exists()


def test_events_are_durable_and_readable_by_the_stock_storage(home: Path) -> None:
    writer = dg.DagsterInstance.from_config(str(home))
    try:
        _materialize(writer, "fct_a", [f"2025-01-{d:02d}" for d in range(1, 11)])
    finally:
        writer.dispose()
    stock = SqliteEventLogStorage(str(home / "history" / "runs"))
    try:
        records = stock.fetch_materializations(dg.AssetKey(["marts", "fct_a"]), limit=100).records
        assert sorted(r.partition_key for r in records) == [f"2025-01-{d:02d}" for d in range(1, 11)]
    finally:
        stock.dispose()


def test_a_user_owned_dagster_yaml_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = "telemetry:\n  enabled: true\n"
    (tmp_path / "dagster.yaml").write_text(own)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    dagster_home()
    assert (tmp_path / "dagster.yaml").read_text() == own


def test_an_older_managed_file_is_brought_up_to_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "dagster.yaml").write_text(f"{MANAGED_MARKER} (old)\ntelemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    dagster_home()
    assert "PooledSqliteEventLogStorage" in (tmp_path / "dagster.yaml").read_text()


_WRITE_RUN_EVENTS = """
import sys, dagster as dg
instance = dg.DagsterInstance.from_config(sys.argv[1])
run = instance.get_run_by_id(sys.argv[2])
for i in range(3):
    instance.report_engine_event(f"event {i}", run)
instance.dispose()
"""


def test_a_watcher_sees_events_another_process_writes(home: Path) -> None:
    """The UI's live run logs: commits go to the run file's WAL, and the watcher must still wake up."""
    watcher = dg.DagsterInstance.from_config(str(home))
    seen: list[str] = []
    done = threading.Event()

    def on_event(entry, _cursor) -> None:
        seen.append(entry.message or "")
        if len([m for m in seen if m.startswith("event ")]) == 3:
            done.set()

    try:
        run = watcher.add_run(dg.DagsterRun(job_name="watched"))
        watcher.report_engine_event("opened", run)  # the run's file exists before the watch starts
        watcher.event_log_storage.watch(run.run_id, None, on_event)
        time.sleep(0.5)
        subprocess.run([sys.executable, "-c", _WRITE_RUN_EVENTS, str(home), run.run_id], check=True, timeout=120)
        assert done.wait(timeout=30), seen
        assert [m for m in seen if m.startswith("event ")] == ["event 0", "event 1", "event 2"]
    finally:
        watcher.dispose()


def test_the_private_dagster_code_the_pooled_log_builds_on_is_unchanged() -> None:
    """A Dagster (or watchdog) upgrade that moves or changes what the subclass overrides fails here, loudly."""
    changes = private_api_changes()
    assert not changes, (
        "Dagster's private event log code that dagster_project/instance/event_log.py overrides or copies moved or "
        "changed. Re-read it, re-measure with bench/event_log.py (the stock storage may no longer need the "
        "subclass), then update PRIVATE_API:\n" + "\n".join(changes)
    )


def test_the_private_attributes_the_pooled_log_uses_are_set_by_dagster(tmp_path: Path) -> None:
    stock = SqliteEventLogStorage(str(tmp_path / "runs"))
    try:
        for name in ("_db_lock", "_initialized_dbs", "_obs", "_watchers", "_base_dir"):
            assert hasattr(stock, name), name
    finally:
        stock.dispose()


def test_the_pooled_log_keeps_one_engine_per_file(home: Path) -> None:
    """What the class is for: a run's events and the index each reuse one engine, not one per event."""
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        run = instance.add_run(dg.DagsterRun(job_name="pooled"))
        _materialize(instance, "fct_a", ["2025-01-01"])
        for i in range(5):
            instance.report_engine_event(f"event {i}", run)
        storage = instance.event_log_storage
        engines = dict(storage._engines)
        _materialize(instance, "fct_a", ["2025-01-02"])
        instance.report_engine_event("event 5", run)
        assert storage._engines == engines
        assert set(engines) >= {run.run_id, "index"}
    finally:
        instance.dispose()


def test_a_home_the_stock_storage_wrote_opens_with_the_managed_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DAGSTER_HOME used with Dagster's default storage (same layout and tables) keeps its history."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(f'storage:\n  sqlite:\n    base_dir: "{home}"\n')
    stock = dg.DagsterInstance.from_config(str(home))
    try:
        assert type(stock.event_log_storage) is SqliteEventLogStorage
        _materialize(stock, "fct_a", ["2025-01-01", "2025-01-02"])
    finally:
        stock.dispose()
    (home / "dagster.yaml").write_text(f"{MANAGED_MARKER} (old)\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    dagster_home()
    managed = dg.DagsterInstance.from_config(str(home))
    try:
        assert isinstance(managed.event_log_storage, PooledSqliteEventLogStorage)
        _materialize(managed, "fct_a", ["2025-01-03"])
        records = managed.fetch_materializations(dg.AssetKey(["marts", "fct_a"]), limit=10).records
        assert sorted(r.partition_key for r in records) == ["2025-01-01", "2025-01-02", "2025-01-03"]
    finally:
        managed.dispose()


@pytest.mark.parametrize("storage", ["stock", "pooled"])
def test_the_event_log_benchmark_runs(storage: str, tmp_path: Path) -> None:
    """bench/event_log.py, which measured the need for the pooled log, still runs against both storages."""
    from bench.event_log import store

    assert store(storage, 20, tmp_path / "home") > 0


def test_the_index_tables_are_looked_up_once_on_the_pooled_engine(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dagster asks `has_table` before every asset check event: answered once, with no engine built per call."""
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        storage = instance.event_log_storage
        assert storage.has_table("asset_check_executions")
        assert not storage.has_table("no_such_table")

        def no_new_engine(*args, **kwargs):
            raise AssertionError("an engine was built for a table lookup")

        monkeypatch.setattr("dagster._core.storage.event_log.sqlite.sqlite_event_log.create_engine", no_new_engine)
        assert storage.supports_asset_checks
        assert storage.has_table("asset_check_executions")
    finally:
        instance.dispose()
