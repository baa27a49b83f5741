"""Configuration in one place: every environment variable the Python code reads is read here.

The dbt profile (``dbt_project/profiles.yml``) reads the same variables, so
Dagster, dbt and the CLI always agree on where the exports and the warehouse
are and which target is in use. ``docs/operations.md`` has the table of
variables and their defaults.

One function writes the process environment, :func:`export_to_environment`,
for the CLI's flags: dagster-dbt hands dbt only the process environment
(``DbtCliResource.cli`` builds the dbt subprocess's ``env`` from
``os.environ`` and takes no mapping), and the profile reads the warehouse
path from it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dagster_project.snowflake.settings import SnowflakeSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DEFAULT_EXPORTS_DIR = PROJECT_ROOT / "seeds"
DEFAULT_DUCKDB_PATH = PROJECT_ROOT / "warehouse" / "trustqa.duckdb"
# First day of the daily partitions: exports dated before it cannot be loaded.
DEFAULT_PARTITIONS_START = "2025-01-01"
TARGETS = ("duckdb", "snowflake")
# Incremental dbt runs recompute this many days before their partition window (late or corrected files).
DEFAULT_LATE_DATA_LOOKBACK_DAYS = 2
# DuckDB's memory_limit for every connection that works on the warehouse (dbt reads the same
# variable in profiles.yml). DuckDB's own default is 80% of RAM; above the limit it spills to disk.
DEFAULT_DUCKDB_MEMORY_LIMIT = "4GB"
DEFAULT_DAGSTER_HOME = PROJECT_ROOT / ".dagster_home"
# The nightly schedule (UTC) and the quiet time after which a partial export day counts as complete.
DEFAULT_SCHEDULE_CRON = "0 3 * * *"
DEFAULT_SENSOR_SETTLE_MINUTES = 30.0
# Variables the dbt project reads (profiles.yml and dbt_project.yml use env_var on these): a parse depends on them.
DBT_ENV_PREFIXES = ("TRUSTQA_", "SNOWFLAKE_", "DBT_")


@dataclass(frozen=True)
class Settings:
    exports_dir: Path
    duckdb_path: Path
    target: str
    partitions_start: str
    data_docs_dir: Path
    published_path: Path
    late_data_lookback_days: int = DEFAULT_LATE_DATA_LOOKBACK_DAYS
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    dagster_home: Path = DEFAULT_DAGSTER_HOME
    schedule_cron: str = DEFAULT_SCHEDULE_CRON
    sensor_settle_minutes: float = DEFAULT_SENSOR_SETTLE_MINUTES
    # dbt's own variable; unset means trustqa asks dbt for an info-level file log
    dbt_log_level_file: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        target = env.get("TRUSTQA_TARGET", "duckdb")
        if target not in TARGETS:
            raise ValueError(f"TRUSTQA_TARGET={target!r}: expected one of {', '.join(TARGETS)}")
        lookback = env.get("TRUSTQA_LATE_DATA_LOOKBACK_DAYS", str(DEFAULT_LATE_DATA_LOOKBACK_DAYS))
        if not lookback.isdigit() or int(lookback) < 1:
            raise ValueError(f"TRUSTQA_LATE_DATA_LOOKBACK_DAYS={lookback!r}: expected a whole number of days >= 1")
        settle = env.get("TRUSTQA_SENSOR_SETTLE_MINUTES", str(DEFAULT_SENSOR_SETTLE_MINUTES))
        try:
            settle_minutes = float(settle)
        except ValueError:
            settle_minutes = -1.0
        if not settle_minutes >= 0:
            raise ValueError(f"TRUSTQA_SENSOR_SETTLE_MINUTES={settle!r}: expected a number of minutes >= 0")
        duckdb_path = Path(env.get("TRUSTQA_DUCKDB_PATH", DEFAULT_DUCKDB_PATH))
        if not duckdb_path.is_absolute():
            # dbt would resolve it against dbt_project/ (its working directory), this process against its own
            raise ValueError(
                f"TRUSTQA_DUCKDB_PATH={str(duckdb_path)!r}: expected an absolute path "
                "(or use `trustqa materialize --warehouse`, which takes a relative one)"
            )
        return cls(
            exports_dir=Path(env.get("TRUSTQA_EXPORTS_DIR", DEFAULT_EXPORTS_DIR)).resolve(),
            duckdb_path=duckdb_path,
            target=target,
            partitions_start=env.get("TRUSTQA_PARTITIONS_START", DEFAULT_PARTITIONS_START),
            # Great Expectations Data Docs: next to the warehouse file unless set
            data_docs_dir=Path(env.get("TRUSTQA_DATA_DOCS_DIR", duckdb_path.parent / "data_docs")).resolve(),
            # the analysts' read-only copy of the marts (dagster_project/publishing)
            published_path=Path(
                env.get("TRUSTQA_PUBLISHED_PATH", duckdb_path.parent / "trustqa_marts.duckdb")
            ).resolve(),
            late_data_lookback_days=int(lookback),
            duckdb_memory_limit=env.get("TRUSTQA_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT),
            dagster_home=Path(env.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).resolve(),
            schedule_cron=env.get("TRUSTQA_SCHEDULE_CRON", DEFAULT_SCHEDULE_CRON),
            sensor_settle_minutes=settle_minutes,
            dbt_log_level_file=env.get("DBT_LOG_LEVEL_FILE") or None,
        )

    def duckdb_config(self) -> dict[str, str]:
        """DuckDB connection settings shared by every warehouse connection."""
        return {"memory_limit": self.duckdb_memory_limit}


def settings() -> Settings:
    return Settings.from_env()


def settings_with_paths(exports: str | Path | None, warehouse: str | Path | None) -> Settings:
    """The settings with the CLI's ``--exports`` / ``--warehouse`` (flags win over the environment).

    Paths that default beside the warehouse (published copy, Data Docs) follow the flag's warehouse.
    """
    overrides = {}
    if exports:
        overrides["TRUSTQA_EXPORTS_DIR"] = str(Path(exports).resolve())
    if warehouse:
        overrides["TRUSTQA_DUCKDB_PATH"] = str(Path(warehouse).resolve())
    return Settings.from_env({**os.environ, **overrides})


def snowflake_settings() -> SnowflakeSettings:
    """The Snowflake connection settings (SNOWFLAKE_*), read from the environment."""
    from dagster_project.snowflake.settings import SnowflakeSettings

    return SnowflakeSettings.from_env(os.environ)


def dbt_environment() -> dict[str, str]:
    """The variables the dbt project reads (a parse of the project depends on their values)."""
    return {name: value for name, value in os.environ.items() if name.startswith(DBT_ENV_PREFIXES)}


def export_to_environment(config: Settings) -> None:
    """Make the CLI's exports folder and warehouse those of everything this process starts or builds.

    The one write to ``os.environ``: see the module docstring (dbt receives only the process environment).
    """
    os.environ["TRUSTQA_EXPORTS_DIR"] = str(config.exports_dir)
    os.environ["TRUSTQA_DUCKDB_PATH"] = str(config.duckdb_path)
