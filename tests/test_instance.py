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
from dagster_project.instance.event_log import PooledSqliteEventLogStorage


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


def test_the_private_dagster_api_the_pooled_log_builds_on_is_still_there() -> None:
    """A Dagster upgrade that moves or renames what the subclass overrides fails here, not in a nightly."""
    import inspect

    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorageWatchdog
    from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS

    assert isinstance(SQLITE_BUSY_TIMEOUT_SECONDS, int | float)
    for name in (
        "_connect",
        "_initdb",
        "conn_string_for_shard",
        "delete_events",
        "watch",
        "dispose",
        "from_config_value",
    ):
        assert callable(getattr(SqliteEventLogStorage, name, None)), name
    for name in ("_db_lock", "_initialized_dbs", "_obs", "_watchers", "_base_dir"):
        assert name in inspect.getsource(SqliteEventLogStorage), name
    watchdog_source = inspect.getsource(SqliteEventLogStorageWatchdog)
    assert "self._log_path" in watchdog_source and "def _process_log" in watchdog_source
    parameters = list(inspect.signature(SqliteEventLogStorageWatchdog.__init__).parameters)
    assert parameters[:5] == ["self", "event_log_storage", "run_id", "callback", "cursor"]
