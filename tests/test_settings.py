"""Configuration from the environment: defaults, overrides, refused values, and nothing written back."""

from __future__ import annotations

import ast
import os

import pytest

from dagster_project.settings import PROJECT_ROOT, Settings, process_environment, settings_with_paths


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


def test_explicit_paths_in_the_environment_stay_when_the_warehouse_flag_moves(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TRUSTQA_PUBLISHED_PATH", str(tmp_path / "shared" / "marts.duckdb"))
    config = settings_with_paths(None, tmp_path / "flag" / "w.duckdb")
    assert config.published_path == tmp_path / "shared" / "marts.duckdb"
    assert config.data_docs_dir == tmp_path / "flag" / "data_docs"


def test_a_relative_warehouse_flag_is_resolved_against_the_working_directory(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert settings_with_paths("ex", "w.duckdb").duckdb_path == tmp_path / "w.duckdb"
    assert settings_with_paths("ex", "w.duckdb").exports_dir == tmp_path / "ex"


def test_the_settings_travel_to_a_child_process_whole(tmp_path) -> None:
    """What ``trustqa ui`` hands ``dagster dev``: the child reads back exactly these settings."""
    config = Settings.from_env(
        {
            "TRUSTQA_DUCKDB_PATH": str(tmp_path / "w.duckdb"),
            "TRUSTQA_EXPORTS_DIR": str(tmp_path / "ex"),
            "TRUSTQA_TARGET": "snowflake",
            "TRUSTQA_LATE_DATA_LOOKBACK_DAYS": "4",
            "TRUSTQA_SENSOR_SETTLE_MINUTES": "2.5",
            "TRUSTQA_SCHEDULE_CRON": "15 1 * * *",
            "DAGSTER_HOME": str(tmp_path / "home"),
            "DBT_LOG_LEVEL_FILE": "debug",
        }
    )
    assert Settings.from_env(config.environment()) == config
    assert Settings.from_env(Settings.from_env({}).environment()) == Settings.from_env({})


def test_dbt_gets_the_settings_its_profile_reads(tmp_path) -> None:
    config = Settings.from_env({"TRUSTQA_DUCKDB_PATH": str(tmp_path / "w.duckdb")})
    assert config.dbt_environment() == {
        "TRUSTQA_TARGET": "duckdb",
        "TRUSTQA_DUCKDB_PATH": str(tmp_path / "w.duckdb"),
        "TRUSTQA_DUCKDB_MEMORY_LIMIT": "4GB",
    }
    profile = (PROJECT_ROOT / "dbt_project" / "profiles.yml").read_text()
    for name in config.dbt_environment():
        assert f"env_var('{name}'" in profile, name


def test_a_child_environment_is_a_new_mapping_on_top_of_this_process(monkeypatch) -> None:
    monkeypatch.setenv("TRUSTQA_TEST_INHERITED", "yes")
    before = dict(os.environ)
    env = process_environment({"TRUSTQA_DUCKDB_PATH": "/elsewhere/w.duckdb"})
    assert env["TRUSTQA_TEST_INHERITED"] == "yes"
    assert env["TRUSTQA_DUCKDB_PATH"] == "/elsewhere/w.duckdb"
    assert dict(os.environ) == before


# --- one place reads the environment, none writes it --------------------------------------------------

CODE = [
    path
    for folder in ("dagster_project", "expectations")
    for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))
    if "__pycache__" not in path.parts
]
SETTINGS_MODULE = PROJECT_ROOT / "dagster_project" / "settings.py"
# Methods of os.environ that change it; os functions that change the environment.
ENVIRON_WRITES = {"setdefault", "update", "pop", "popitem", "clear", "__setitem__", "__delitem__"}
OS_WRITES = {"putenv", "unsetenv"}


def _is_environ(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in ("environ", "environb")
    return isinstance(node, ast.Name) and node.id == "environ"


def _writes(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in OS_WRITES or (_is_environ(node.value) and node.attr in ENVIRON_WRITES)
    return isinstance(node, ast.Subscript) and _is_environ(node.value) and not isinstance(node.ctx, ast.Load)


def _reads(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        return getattr(node.func, "id", None) == "EnvVar"  # Dagster's
    return _is_environ(node) or (isinstance(node, ast.Attribute) and node.attr == "getenv")


def _environment_uses(source: str) -> tuple[list[int], list[int]]:
    """The lines of ``source`` that read the process environment, and those that write it."""
    nodes = list(ast.walk(ast.parse(source)))
    return sorted({n.lineno for n in nodes if _reads(n)}), sorted({n.lineno for n in nodes if _writes(n)})


def test_the_check_sees_reads_and_writes() -> None:
    source = (
        "import os\nos.environ['A'] = '1'\nos.environ.setdefault('B', '2')\ndel os.environ['C']\n"
        "os.putenv('D', '3')\nx = os.environ.get('E')\ny = os.getenv('F')\nfrom os import environ\n"
        "environ.update(G='4')\n"
    )
    reads, writes = _environment_uses(source)
    assert writes == [2, 3, 4, 5, 9]
    assert {6, 7} <= set(reads)


# The one module that sets an environment: a dbt fork's own (after the fork, before dbt starts), as
# subprocess.Popen(env=...) does for a new process; the Dagster process's environment is left as it is.
FORK_ENVIRONMENT = "dagster_project/dbt_launcher.py"


def test_no_module_writes_the_environment() -> None:
    writes = {str(p.relative_to(PROJECT_ROOT)): _environment_uses(p.read_text())[1] for p in CODE}
    assert len(writes.pop(FORK_ENVIRONMENT)) == 2  # os.environ.clear() and .update() in run_dbt
    assert {path: lines for path, lines in writes.items() if lines} == {}


def test_only_the_settings_module_reads_the_environment() -> None:
    reads = {str(p.relative_to(PROJECT_ROOT)): _environment_uses(p.read_text())[0] for p in CODE}
    assert reads.pop(str(SETTINGS_MODULE.relative_to(PROJECT_ROOT))), "the check finds the reads it looks for"
    fork = PROJECT_ROOT / FORK_ENVIRONMENT
    assert reads.pop(FORK_ENVIRONMENT) == _environment_uses(fork.read_text())[1]  # its writes, nothing read
    assert {path: lines for path, lines in reads.items() if lines} == {}


# What libraries trustqa uses write to the environment themselves (not trustqa's settings).
LIBRARY_WRITES = {
    "ARROW_DEFAULT_MEMORY_POOL": "snowflake-connector-python, when imported",
    "SF_PARTNER": "Great Expectations, for a SQLAlchemy data source",
}


def _changed_variables(before: dict[str, str]) -> set[str]:
    return {name for name in {*before, *os.environ} if before.get(name) != os.environ.get(name)}


def test_building_the_definitions_for_the_cli_flags_writes_no_environment(tmp_path, monkeypatch) -> None:
    from dagster_project.defs.build import build_definitions
    from dagster_project.instance import dagster_home

    monkeypatch.delenv("TRUSTQA_DUCKDB_PATH", raising=False)
    before = dict(os.environ)
    config = settings_with_paths(tmp_path / "ex", tmp_path / "w.duckdb")
    defs = build_definitions(config)
    dagster_home(Settings.from_env({"DAGSTER_HOME": str(tmp_path / "home")}))
    assert _changed_variables(before) <= set(LIBRARY_WRITES)
    warehouse = defs.resources["warehouse"]
    assert (warehouse.duckdb_path, warehouse.exports_dir) == (str(tmp_path / "w.duckdb"), str(tmp_path / "ex"))
    assert f"TRUSTQA_DUCKDB_PATH={tmp_path / 'w.duckdb'}" in defs.resources["dbt"].command_prefix


@pytest.mark.slow
def test_materialize_in_process_hands_its_flags_to_dagster_and_dbt_without_the_environment(
    tmp_path, monkeypatch, capsys, dbt_manifest
) -> None:
    """``trustqa materialize --exports --warehouse`` in this process: the run uses the flags' folder and
    warehouse (dbt included), and the process environment is the same afterwards."""
    import shutil

    from dagster_project.cli import main
    from dagster_project.summary import table_counts

    exports = tmp_path / "exports"
    for path in (PROJECT_ROOT / "seeds").rglob("2026-09-14.*"):  # the sample's first day (bootstrap dumps)
        (exports / path.parent.relative_to(PROJECT_ROOT / "seeds")).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, exports / path.parent.relative_to(PROJECT_ROOT / "seeds"))
    for name in ("TRUSTQA_EXPORTS_DIR", "TRUSTQA_DUCKDB_PATH", "TRUSTQA_PUBLISHED_PATH", "TRUSTQA_DATA_DOCS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRUSTQA_TARGET", "duckdb")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    warehouse = tmp_path / "w" / "trustqa.duckdb"
    before = dict(os.environ)
    code = main(["materialize", "--exports", str(exports), "--warehouse", str(warehouse)])
    out = capsys.readouterr().out
    assert _changed_variables(before) <= set(LIBRARY_WRITES)
    assert code == 0, out
    assert f"export days 2026-09-14 .. 2026-09-14 from {exports}" in out
    marts = {c.table: c.rows for c in table_counts(warehouse, ("marts",))}
    assert marts["fct_appeal_outcomes_daily"] >= 0 and len(marts) > 5  # dbt built the marts in this file
    assert (warehouse.parent / "trustqa_marts.duckdb").exists()  # published beside the flag's warehouse
    assert (warehouse.parent / "data_docs" / "index.html").exists()


def test_query_timeout_and_unknown_reference_share_defaults_and_overrides() -> None:
    assert (Settings.from_env({}).query_timeout_seconds, Settings.from_env({}).max_unknown_reference_share) == (
        60.0,
        0.05,
    )
    config = Settings.from_env({"TRUSTQA_QUERY_TIMEOUT_SECONDS": "2.5", "TRUSTQA_MAX_UNKNOWN_REFERENCE_SHARE": "0"})
    assert (config.query_timeout_seconds, config.max_unknown_reference_share) == (2.5, 0.0)
    assert Settings.from_env(config.environment()) == config


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRUSTQA_QUERY_TIMEOUT_SECONDS", "0"),
        ("TRUSTQA_QUERY_TIMEOUT_SECONDS", "soon"),
        ("TRUSTQA_MAX_UNKNOWN_REFERENCE_SHARE", "1.5"),
        ("TRUSTQA_MAX_UNKNOWN_REFERENCE_SHARE", "-0.1"),
        ("TRUSTQA_MAX_UNKNOWN_REFERENCE_SHARE", "some"),
    ],
)
def test_a_bad_query_timeout_or_unknown_reference_share_is_refused(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})
