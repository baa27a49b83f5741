"""The Dagster instance trustqa runs on: its ``dagster.yaml`` in ``DAGSTER_HOME``, written and kept current here.

* one DuckDB writer: one run at a time from the queue, and pool slots of 1
  (every writer is in a pool);
* telemetry off;
* the event log in SQLite files laid out as Dagster's default storage, written
  through :class:`~dagster_project.instance.event_log.PooledSqliteEventLogStorage`
  (one engine per file instead of one per event).
"""

from __future__ import annotations

from pathlib import Path

from dagster_project.settings import Settings, settings

MANAGED_MARKER = "# managed by trustqa"
# What older trustqa versions and the UI test wrote: replaced like a managed file.
_REPLACEABLE = ("telemetry:\n  enabled: false\n",)


def managed_instance_yaml(home: Path) -> str:
    """The instance configuration for ``home``: the default SQLite layout (history/, history/runs/, schedules/)."""
    return f"""\
{MANAGED_MARKER} (dagster_project/instance): delete this line to keep your own settings
telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 1
  pools:
    default_limit: 1
run_storage:
  module: dagster._core.storage.runs
  class: SqliteRunStorage
  config:
    base_dir: "{home / "history"}"
event_log_storage:
  module: dagster_project.instance.event_log
  class: PooledSqliteEventLogStorage
  config:
    base_dir: "{home / "history" / "runs"}"
schedule_storage:
  module: dagster._core.storage.schedules
  class: SqliteScheduleStorage
  config:
    base_dir: "{home / "schedules"}"
"""


def dagster_home(config: Settings | None = None) -> Path:
    """``DAGSTER_HOME`` of ``config`` (default: the process's settings; unset: ``.dagster_home``), its
    ``dagster.yaml`` written unless the user took it over. Nothing is written to the environment: the
    instance is opened from this folder (:func:`dagster_instance`)."""
    home = (config or settings()).dagster_home
    home.mkdir(parents=True, exist_ok=True)
    instance_yaml = home / "dagster.yaml"
    current = instance_yaml.read_text(encoding="utf-8") if instance_yaml.exists() else None
    if current is None or current.startswith(MANAGED_MARKER) or current in _REPLACEABLE:
        wanted = managed_instance_yaml(home)
        if current != wanted:
            instance_yaml.write_text(wanted, encoding="utf-8")
    return home


def dagster_instance(config: Settings | None = None):  # -> dagster.DagsterInstance (dagster is slow to import)
    """The instance in :func:`dagster_home` of ``config``, opened from that folder (no ``DAGSTER_HOME`` needed
    in the environment)."""
    import dagster as dg

    return dg.DagsterInstance.from_config(str(dagster_home(config)))
