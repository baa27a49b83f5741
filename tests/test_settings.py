"""Configuration from the environment: defaults and refused values."""

from __future__ import annotations

import pytest

from dagster_project.settings import PROJECT_ROOT, Settings, settings_with_paths


def test_late_data_lookback_defaults_to_two_days(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRUSTQA_LATE_DATA_LOOKBACK_DAYS", raising=False)
    assert Settings.from_env().late_data_lookback_days == 2


def test_late_data_lookback_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTQA_LATE_DATA_LOOKBACK_DAYS", "5")
    assert Settings.from_env().late_data_lookback_days == 5


@pytest.mark.parametrize("value", ["0", "-1", "two", ""])
def test_a_lookback_that_is_not_a_positive_number_of_days_is_refused(monkeypatch, value: str) -> None:
    monkeypatch.setenv("TRUSTQA_LATE_DATA_LOOKBACK_DAYS", value)
    with pytest.raises(ValueError, match="TRUSTQA_LATE_DATA_LOOKBACK_DAYS"):
        Settings.from_env()


def test_an_unknown_target_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTQA_TARGET", "postgres")
    with pytest.raises(ValueError, match="TRUSTQA_TARGET='postgres'"):
        Settings.from_env()


def test_duckdb_memory_limit_defaults_to_4gb_and_is_read_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("TRUSTQA_DUCKDB_MEMORY_LIMIT", raising=False)
    assert Settings.from_env().duckdb_config() == {"memory_limit": "4GB"}
    monkeypatch.setenv("TRUSTQA_DUCKDB_MEMORY_LIMIT", "512MB")
    assert Settings.from_env().duckdb_config() == {"memory_limit": "512MB"}


def test_every_variable_has_its_default_in_an_empty_environment() -> None:
    config = Settings.from_env({})
    assert config.exports_dir == PROJECT_ROOT / "seeds"
    assert config.duckdb_path == PROJECT_ROOT / "warehouse" / "trustqa.duckdb"
    # beside the warehouse unless set
    assert config.published_path == PROJECT_ROOT / "warehouse" / "trustqa_marts.duckdb"
    assert config.data_docs_dir == PROJECT_ROOT / "warehouse" / "data_docs"
    assert (config.target, config.partitions_start, config.late_data_lookback_days) == ("duckdb", "2025-01-01", 2)
    assert config.dagster_home == PROJECT_ROOT / ".dagster_home"
    assert (config.schedule_cron, config.sensor_settle_minutes, config.dbt_log_level_file) == ("0 3 * * *", 30.0, None)


def test_the_automation_and_instance_variables_are_read_from_the_mapping(tmp_path) -> None:
    env = {
        "DAGSTER_HOME": str(tmp_path / "home"),
        "TRUSTQA_SCHEDULE_CRON": "30 4 * * *",
        "TRUSTQA_SENSOR_SETTLE_MINUTES": "7.5",
        "DBT_LOG_LEVEL_FILE": "debug",
    }
    config = Settings.from_env(env)
    assert config.dagster_home == tmp_path / "home"
    assert (config.schedule_cron, config.sensor_settle_minutes, config.dbt_log_level_file) == (
        "30 4 * * *",
        7.5,
        "debug",
    )


@pytest.mark.parametrize("value", ["-1", "soon", "nan"])
def test_a_settle_time_that_is_not_a_number_of_minutes_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match=f"TRUSTQA_SENSOR_SETTLE_MINUTES='{value}'"):
        Settings.from_env({"TRUSTQA_SENSOR_SETTLE_MINUTES": value})


def test_a_relative_warehouse_path_in_the_environment_is_refused() -> None:
    # dbt (working in dbt_project/) and Dagster (working anywhere) would open two different files
    with pytest.raises(ValueError, match=r"TRUSTQA_DUCKDB_PATH='warehouse/x\.duckdb': expected an absolute path"):
        Settings.from_env({"TRUSTQA_DUCKDB_PATH": "warehouse/x.duckdb"})


def test_cli_paths_win_and_the_paths_beside_the_warehouse_follow_them(tmp_path, monkeypatch) -> None:
    import os

    monkeypatch.setenv("TRUSTQA_DUCKDB_PATH", str(tmp_path / "env" / "w.duckdb"))
    monkeypatch.delenv("TRUSTQA_PUBLISHED_PATH", raising=False)
    monkeypatch.delenv("TRUSTQA_DATA_DOCS_DIR", raising=False)
    before = dict(os.environ)
    config = settings_with_paths(tmp_path / "ex", tmp_path / "flag" / "w.duckdb")
    assert dict(os.environ) == before  # computing settings writes nothing to the environment
    assert config.exports_dir == tmp_path / "ex"
    assert config.duckdb_path == tmp_path / "flag" / "w.duckdb"
    assert config.published_path == tmp_path / "flag" / "trustqa_marts.duckdb"
    assert config.data_docs_dir == tmp_path / "flag" / "data_docs"


@pytest.mark.slow
def test_dbt_sessions_use_the_duckdb_memory_limit(tmp_path, monkeypatch) -> None:
    """profiles.yml reads the same variable: a dbt query sees the limit (DuckDB reports 1GB as 953.6 MiB)."""
    import subprocess

    from dagster_project.dbt_project import dbt_executable
    from dagster_project.settings import DBT_PROJECT_DIR

    env = {
        "TRUSTQA_DUCKDB_PATH": str(tmp_path / "w.duckdb"),
        "TRUSTQA_DUCKDB_MEMORY_LIMIT": "1GB",
        "TRUSTQA_TARGET": "duckdb",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    shown = subprocess.run(
        [
            dbt_executable(),
            "show",
            "--inline",
            "select current_setting('memory_limit') as memory_limit",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path),
            "--output",
            "json",
        ],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "953.6 MiB" in shown.stdout


def test_the_warehouse_writer_uses_the_duckdb_memory_limit(tmp_path, monkeypatch) -> None:
    from dagster_project.loading.loader import connect

    monkeypatch.setenv("TRUSTQA_DUCKDB_MEMORY_LIMIT", "1GB")
    con = connect(tmp_path / "w.duckdb")
    try:
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "953.6 MiB"
    finally:
        con.close()
