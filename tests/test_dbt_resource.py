"""The dbt CLI resource: the stock dagster-dbt behaviour minus the start-up costs trustqa does not use."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dagster_dbt import DbtCliResource

from dagster_project.dbt_project import dbt_executable, dbt_project
from dagster_project.defs.dbt_resource import TrustqaDbtCliResource, dbt_core_version, dbt_global_flags
from dagster_project.defs.resources import build_resources
from dagster_project.settings import Settings


def test_the_version_is_the_one_dbt_reports_without_running_it(monkeypatch) -> None:
    reported = subprocess.run([dbt_executable(), "--version"], capture_output=True, text=True, check=True).stdout
    assert f"installed: {dbt_core_version()}" in reported
    resource = TrustqaDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"ran {args}")

    monkeypatch.setattr("dagster_dbt.core.resource.check_output", no_subprocess)
    assert resource._cli_version == dbt_core_version()
    # the members overridden still exist on the stock resource (a dagster-dbt upgrade that renames them fails here)
    assert "_cli_version" in DbtCliResource.__dict__
    assert callable(DbtCliResource._initialize_dbt_core_adapter)


def test_no_adapter_is_built_in_the_dagster_process() -> None:
    resource = TrustqaDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_the_pipeline_uses_it_with_the_file_log_at_info_unless_told_otherwise(tmp_path) -> None:
    config = Settings.from_env({"TRUSTQA_DUCKDB_PATH": str(tmp_path / "w.duckdb")})
    dbt = build_resources(config)["dbt"]
    assert isinstance(dbt, TrustqaDbtCliResource)
    assert dbt.command_prefix == [
        shutil.which("env"),
        "TRUSTQA_DBT_TESTS_ON_LATEST_BUILD=true",  # the run's data tests check what it built
        "TRUSTQA_DUCKDB_MEMORY_LIMIT=4GB",
        f"TRUSTQA_DUCKDB_PATH={tmp_path / 'w.duckdb'}",
        "TRUSTQA_TARGET=duckdb",
        str(Path(sys.executable).with_name("dbt")),
        "--log-level-file",
        "info",
    ]
    assert dbt_global_flags(None) == ["--log-level-file", "info"]
    assert dbt_global_flags("debug") == []


def test_extra_environment_goes_before_dbt_and_leaves_the_resource_as_it_was(tmp_path) -> None:
    dbt = build_resources(Settings.from_env({"TRUSTQA_DUCKDB_PATH": str(tmp_path / "w.duckdb")}))["dbt"]
    windowed = dbt.with_extra_env({"TRUSTQA_DBT_MIN_DATE": "2026-11-14", "TRUSTQA_DBT_MAX_DATE": "2026-11-14"})
    executable = str(Path(sys.executable).with_name("dbt"))
    at = windowed.command_prefix.index(executable)
    assert windowed.command_prefix[at - 2 : at] == [
        "TRUSTQA_DBT_MAX_DATE=2026-11-14",
        "TRUSTQA_DBT_MIN_DATE=2026-11-14",
    ]
    assert windowed.command_prefix[at:] == dbt.command_prefix[dbt.command_prefix.index(executable) :]
    assert not any(flag.startswith("TRUSTQA_DBT_MIN_DATE") for flag in dbt.command_prefix)


@pytest.mark.slow
def test_dbt_runs_with_the_settings_of_the_resource_not_of_the_process(tmp_path, monkeypatch) -> None:
    """The profile reads the warehouse path and memory limit that the resource was built with."""
    monkeypatch.setenv("TRUSTQA_DUCKDB_MEMORY_LIMIT", "2GB")
    monkeypatch.setenv("TRUSTQA_DUCKDB_PATH", str(tmp_path / "from_the_process.duckdb"))
    config = Settings.from_env(
        {"TRUSTQA_DUCKDB_PATH": str(tmp_path / "from_the_settings.duckdb"), "TRUSTQA_DUCKDB_MEMORY_LIMIT": "1GB"}
    )
    dbt = build_resources(config)["dbt"]
    show = ["show", "--inline", "select current_setting('memory_limit') as memory_limit", "--output", "json"]
    invocation = dbt.cli(show, target_path=tmp_path / "target")
    shown = [e.raw_event for e in invocation.stream_raw_events()]
    assert invocation.is_successful()
    assert "953.6 MiB" in json.dumps(shown)  # DuckDB reports 1GB so; 2GB would be 1.8 GiB
    assert (tmp_path / "from_the_settings.duckdb").exists()
    assert not (tmp_path / "from_the_process.duckdb").exists()


def test_each_command_starts_from_the_saved_parse_of_its_own_profile(tmp_path, monkeypatch) -> None:
    """The resource's saved parse is copied into the command's target folder before dagster-dbt looks there."""
    saved = tmp_path / "parse_cache" / "partial_parse.msgpack"
    saved.parent.mkdir()
    saved.write_bytes(b"the parse of this profile")
    seen: dict[str, object] = {}

    def stock_cli(self, args, *, context=None, target_path=None, **kwargs):
        seen["target_path"] = target_path
        seen["saved"] = (Path(target_path) / "partial_parse.msgpack").read_bytes()
        return None

    monkeypatch.setattr(DbtCliResource, "cli", stock_cli)
    resource = TrustqaDbtCliResource(
        project_dir=dbt_project, dbt_executable=dbt_executable(), partial_parse_file=str(saved)
    )
    resource.cli(["build"], target_path=tmp_path / "step")
    assert seen == {"target_path": tmp_path / "step", "saved": b"the parse of this profile"}

    resource.cli(["build"])  # dagster-dbt's unique folder under the project's target/, made absolute
    folder = Path(seen["target_path"])
    assert folder.is_absolute() and folder.parent == Path(dbt_project.project_dir) / "target"
    assert seen["saved"] == b"the parse of this profile"
    shutil.rmtree(folder)

    missing = TrustqaDbtCliResource(
        project_dir=dbt_project, dbt_executable=dbt_executable(), partial_parse_file=str(tmp_path / "none.msgpack")
    )
    seen.clear()
    with pytest.raises(FileNotFoundError):  # nothing seeded: the stock behaviour (its own copy) applies
        missing.cli(["build"], target_path=tmp_path / "unseeded")


def test_the_pipeline_resource_takes_the_saved_parse_of_its_warehouse(tmp_path) -> None:
    from dagster_project.dbt_project import parse_cache_dir

    first, second = (Settings.from_env({"TRUSTQA_DUCKDB_PATH": str(tmp_path / n)}) for n in ("a.duckdb", "b.duckdb"))
    files = [build_resources(config)["dbt"].partial_parse_file for config in (first, second)]
    assert files == [str(parse_cache_dir(c) / "partial_parse.msgpack") for c in (first, second)]
    assert files[0] != files[1]


def test_only_the_newest_step_folders_are_kept(tmp_path) -> None:
    """Thirty-five step folders, one a minute: the five oldest go; other folders and files stay."""
    import os

    from dagster_project.defs.dbt_resource import prune_step_folders

    steps = [tmp_path / f"trustqa_dbt_tables-{n:07x}-abcdef{n % 10}" for n in range(35)]
    for minute, folder in enumerate(steps):
        folder.mkdir()
        (folder / "dbt.log").write_text("log")
        os.utime(folder, (1_700_000_000 + 60 * minute, 1_700_000_000 + 60 * minute))
    others = [tmp_path / "compiled", tmp_path / "parse_cache", tmp_path / "abc-run"]
    for folder in others:
        folder.mkdir()
    (tmp_path / "manifest.json").write_text("{}")
    bare = tmp_path / "0a1b2c3"  # dagster-dbt's name without a run context
    bare.mkdir()
    os.utime(bare, (1_600_000_000, 1_600_000_000))

    removed = prune_step_folders(tmp_path, keep=30)
    assert sorted(removed) == sorted([bare, *steps[:5]])
    assert all(folder.exists() for folder in [*steps[5:], *others])
    assert (tmp_path / "manifest.json").exists()


def test_dagster_dbt_starts_its_dbt_commands_with_the_launcher_only_inside_a_call() -> None:
    """dagster-dbt starts dbt with its module's ``subprocess.Popen``: pointed at the launcher for a ``cli`` call."""
    from dagster_dbt.core import dbt_cli_invocation

    from dagster_project import dbt_launcher
    from dagster_project.defs.dbt_resource import dbt_commands_forked

    assert dbt_cli_invocation.subprocess is subprocess  # the name the override replaces still exists
    with dbt_commands_forked():
        assert dbt_cli_invocation.subprocess.Popen is dbt_launcher.popen
        assert dbt_cli_invocation.subprocess.PIPE == subprocess.PIPE  # everything else as it was
    assert dbt_cli_invocation.subprocess is subprocess
