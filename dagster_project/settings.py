"""Configuration in one place: every knob is an environment variable.

The dbt profile (``dbt_project/profiles.yml``) reads the same variables, so
Dagster, dbt and the CLI always agree on where the exports and the warehouse
are and which target is in use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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

    @classmethod
    def from_env(cls) -> Settings:
        target = os.environ.get("TRUSTQA_TARGET", "duckdb")
        if target not in TARGETS:
            raise ValueError(f"TRUSTQA_TARGET={target!r}: expected one of {', '.join(TARGETS)}")
        lookback = os.environ.get("TRUSTQA_LATE_DATA_LOOKBACK_DAYS", str(DEFAULT_LATE_DATA_LOOKBACK_DAYS))
        if not lookback.isdigit() or int(lookback) < 1:
            raise ValueError(f"TRUSTQA_LATE_DATA_LOOKBACK_DAYS={lookback!r}: expected a whole number of days >= 1")
        duckdb_path = Path(os.environ.get("TRUSTQA_DUCKDB_PATH", DEFAULT_DUCKDB_PATH)).resolve()
        return cls(
            exports_dir=Path(os.environ.get("TRUSTQA_EXPORTS_DIR", DEFAULT_EXPORTS_DIR)).resolve(),
            duckdb_path=duckdb_path,
            target=target,
            partitions_start=os.environ.get("TRUSTQA_PARTITIONS_START", DEFAULT_PARTITIONS_START),
            # Great Expectations Data Docs: next to the warehouse file unless set
            data_docs_dir=Path(os.environ.get("TRUSTQA_DATA_DOCS_DIR", duckdb_path.parent / "data_docs")).resolve(),
            # the analysts' read-only copy of the marts (dagster_project/publishing)
            published_path=Path(
                os.environ.get("TRUSTQA_PUBLISHED_PATH", duckdb_path.parent / "trustqa_marts.duckdb")
            ).resolve(),
            late_data_lookback_days=int(lookback),
            duckdb_memory_limit=os.environ.get("TRUSTQA_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT),
        )

    def duckdb_config(self) -> dict[str, str]:
        """DuckDB connection settings shared by every warehouse connection."""
        return {"memory_limit": self.duckdb_memory_limit}


def settings() -> Settings:
    return Settings.from_env()
