"""The dbt CLI resource: the stock dagster-dbt behaviour minus the start-up costs trustqa does not use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource

from dagster_project.dbt_project import dbt_executable, dbt_project
from dagster_project.defs.dbt_resource import TrustqaDbtCliResource, dbt_core_version, dbt_global_flags
from dagster_project.defs.resources import build_resources


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


def test_the_pipeline_uses_it_with_the_file_log_at_info_unless_told_otherwise() -> None:
    dbt = build_resources()["dbt"]
    assert isinstance(dbt, TrustqaDbtCliResource)
    assert dbt.dbt_executable == str(Path(sys.executable).with_name("dbt"))
    assert dbt_global_flags(None) == ["--log-level-file", "info"]
    assert dbt_global_flags("debug") == []
