"""Configuration from the environment: defaults and refused values."""

from __future__ import annotations

import pytest

from dagster_project.settings import Settings


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
