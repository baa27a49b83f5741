"""Configuration in one place: every environment variable the Python code reads is read here.

:meth:`Settings.from_env` turns a mapping (default: the process environment)
into typed settings and refuses a bad value with the variable's name;
``SNOWFLAKE_*`` are a section of their own
(:class:`dagster_project.snowflake.settings.SnowflakeSettings`), read by
:func:`snowflake_settings`. ``docs/operations.md`` has the table of
variables, their defaults and meanings (and those only dbt reads).

Nothing writes the process environment. Settings travel as objects: the CLI's
flags make a :class:`Settings` (:func:`settings_with_paths`) that is passed to
the Dagster definitions and resources it builds; a process trustqa starts is
given its environment explicitly: dbt gets the variables its profile reads
(:meth:`Settings.dbt_environment`, ``dbt_project/profiles.yml``), ``dagster
dev`` every setting (:meth:`Settings.environment`), on top of this process's
environment (:func:`process_environment`).
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
# `trustqa query`: a statement running longer than this is interrupted.
DEFAULT_QUERY_TIMEOUT_SECONDS = 60.0
# Rows naming a user, order, ticket or agent not (yet) known: a warning below this share of a batch, blocking above.
DEFAULT_MAX_UNKNOWN_REFERENCE_SHARE = 0.05
# The Snowflake role granted select on the marts (dbt_project.yml reads the same variable, with this default).
DEFAULT_ANALYST_ROLE = "TRUSTQA_ANALYST"
# Variables the dbt project reads (profiles.yml and dbt_project.yml use env_var on these): a parse depends on them.
DBT_ENV_PREFIXES = ("TRUSTQA_", "SNOWFLAKE_", "DBT_")


class SettingsError(ValueError):
    """A variable with a value trustqa cannot use: the message names it and says what is expected."""


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
    query_timeout_seconds: float = DEFAULT_QUERY_TIMEOUT_SECONDS
    max_unknown_reference_share: float = DEFAULT_MAX_UNKNOWN_REFERENCE_SHARE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings in ``env`` (default: the process environment); a bad value raises, naming its variable."""
        env = os.environ if env is None else env
        target = env.get("TRUSTQA_TARGET", "duckdb")
        if target not in TARGETS:
            raise SettingsError(f"TRUSTQA_TARGET={target!r}: expected one of {', '.join(TARGETS)}")
        lookback = env.get("TRUSTQA_LATE_DATA_LOOKBACK_DAYS", str(DEFAULT_LATE_DATA_LOOKBACK_DAYS))
        if not lookback.isdigit() or int(lookback) < 1:
            raise SettingsError(f"TRUSTQA_LATE_DATA_LOOKBACK_DAYS={lookback!r}: expected a whole number of days >= 1")
        settle = env.get("TRUSTQA_SENSOR_SETTLE_MINUTES", str(DEFAULT_SENSOR_SETTLE_MINUTES))
        try:
            settle_minutes = float(settle)
        except ValueError:
            settle_minutes = -1.0
        if not settle_minutes >= 0:
            raise SettingsError(f"TRUSTQA_SENSOR_SETTLE_MINUTES={settle!r}: expected a number of minutes >= 0")
        query_timeout = _number(env, "TRUSTQA_QUERY_TIMEOUT_SECONDS", DEFAULT_QUERY_TIMEOUT_SECONDS)
        if not query_timeout > 0:
            raise SettingsError(
                f"TRUSTQA_QUERY_TIMEOUT_SECONDS={env['TRUSTQA_QUERY_TIMEOUT_SECONDS']!r}: expected a number of seconds > 0"
            )
        unknown_share = _number(env, "TRUSTQA_MAX_UNKNOWN_REFERENCE_SHARE", DEFAULT_MAX_UNKNOWN_REFERENCE_SHARE)
        if not 0 <= unknown_share <= 1:
            raise SettingsError(
                f"TRUSTQA_MAX_UNKNOWN_REFERENCE_SHARE={env['TRUSTQA_MAX_UNKNOWN_REFERENCE_SHARE']!r}: "
                "expected a share between 0 and 1"
            )
        duckdb_path = Path(env.get("TRUSTQA_DUCKDB_PATH", DEFAULT_DUCKDB_PATH))
        if not duckdb_path.is_absolute():
            # dbt would resolve it against dbt_project/ (its working directory), this process against its own
            raise SettingsError(
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
            query_timeout_seconds=query_timeout,
            max_unknown_reference_share=unknown_share,
        )

    def duckdb_config(self) -> dict[str, str]:
        """DuckDB connection settings shared by every warehouse connection."""
        return {"memory_limit": self.duckdb_memory_limit}

    def dbt_environment(self) -> dict[str, str]:
        """The settings dbt's profile reads too (``env_var`` in ``dbt_project/profiles.yml``), as resolved here."""
        return {
            "TRUSTQA_TARGET": self.target,
            "TRUSTQA_DUCKDB_PATH": str(self.duckdb_path),
            "TRUSTQA_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
        }

    def environment(self) -> dict[str, str]:
        """Every setting as the variable that carries it: ``Settings.from_env(s.environment()) == s``."""
        return {
            **self.dbt_environment(),
            "TRUSTQA_EXPORTS_DIR": str(self.exports_dir),
            "TRUSTQA_PARTITIONS_START": self.partitions_start,
            "TRUSTQA_DATA_DOCS_DIR": str(self.data_docs_dir),
            "TRUSTQA_PUBLISHED_PATH": str(self.published_path),
            "TRUSTQA_LATE_DATA_LOOKBACK_DAYS": str(self.late_data_lookback_days),
            "DAGSTER_HOME": str(self.dagster_home),
            "TRUSTQA_SCHEDULE_CRON": self.schedule_cron,
            "TRUSTQA_SENSOR_SETTLE_MINUTES": str(self.sensor_settle_minutes),
            "TRUSTQA_QUERY_TIMEOUT_SECONDS": str(self.query_timeout_seconds),
            "TRUSTQA_MAX_UNKNOWN_REFERENCE_SHARE": str(self.max_unknown_reference_share),
            **({"DBT_LOG_LEVEL_FILE": self.dbt_log_level_file} if self.dbt_log_level_file else {}),
        }


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    """``env[name]`` as a number (``default`` when unset); NaN when it is not one (refused by the caller)."""
    try:
        return float(env.get(name, default))
    except ValueError:
        return float("nan")


def settings() -> Settings:
    """The settings of the process environment."""
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


def analyst_role() -> str:
    """TRUSTQA_ANALYST_ROLE: the Snowflake role granted select on what analysts read ("" grants nothing),
    with dbt's default (``dbt_project.yml`` grants it on every mart; ``trustqa sample`` on its table)."""
    return os.environ.get("TRUSTQA_ANALYST_ROLE", DEFAULT_ANALYST_ROLE)


def process_environment(variables: Mapping[str, str]) -> dict[str, str]:
    """The environment of a process trustqa starts: this process's, with ``variables`` set (a new mapping)."""
    return {**os.environ, **variables}


def dbt_variables(environment: Mapping[str, str]) -> dict[str, str]:
    """The variables of ``environment`` the dbt project may read (a parse of the project depends on their values)."""
    return {name: value for name, value in environment.items() if name.startswith(DBT_ENV_PREFIXES)}
