"""The partition window reaches dbt through the environment, at execution, without a full re-parse.

A run's window changes every night; as ``--vars`` it made dbt re-parse the
whole project on every windowed step ("config vars ... have changed", about
5 s). dbt_project/macros/incremental/partition_window.sql reads
TRUSTQA_DBT_MIN_DATE / TRUSTQA_DBT_MAX_DATE / TRUSTQA_DBT_LATE_DATA_LOOKBACK_DAYS
only when executing, so dbt's partial parse of the project stays valid.
"""

from __future__ import annotations

import subprocess

import pytest

from dagster_project.dbt_project import dbt_executable
from dagster_project.settings import DBT_PROJECT_DIR, Settings, process_environment

pytestmark = pytest.mark.slow

SHOW_WINDOW = "select '{{ partition_window() }}' as w"


def _dbt(args: list[str], target_path, env: dict[str, str]) -> str:
    project = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--target", "duckdb"]
    done = subprocess.run(
        [dbt_executable(), *args, *project, "--target-path", str(target_path), "--log-path", str(target_path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_window_and_lookback_come_from_the_environment_with_the_parse_kept(tmp_path) -> None:
    env = process_environment(Settings.from_env({"TRUSTQA_DUCKDB_PATH": str(tmp_path / "w.duckdb")}).dbt_environment())
    _dbt(["parse"], tmp_path, env)  # what prepare_manifest leaves: the project parsed with no window
    window = {
        "TRUSTQA_DBT_MIN_DATE": "2026-11-13",
        "TRUSTQA_DBT_MAX_DATE": "2026-11-14",
        "TRUSTQA_DBT_LATE_DATA_LOOKBACK_DAYS": "3",
    }
    out = _dbt(["compile", "--inline", SHOW_WINDOW], tmp_path, {**env, **window})
    # the window starts the lookback (3 days) before its first day, 2026-11-13
    assert "{'start': datetime.date(2026, 11, 10), 'end': datetime.date(2026, 11, 14)}" in out
    assert "Unable to do partial parsing" not in out
