"""dbt unit tests run here, in CI: the nightly `dbt build` leaves them out (defs/dbt_args.py)."""

from __future__ import annotations

import json

import pytest

from dagster_project.settings import DBT_PROJECT_DIR
from tests.dbt_runner import run_dbt

pytestmark = pytest.mark.slow


def test_every_dbt_unit_test_passes(sample_warehouse, tmp_path) -> None:
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    unit_tests = sorted(f"{node['model']}::{node['name']}" for node in manifest["unit_tests"].values())
    assert len(unit_tests) >= 4
    output = run_dbt(["test", "--select", "test_type:unit"], tmp_path, sample_warehouse.path)
    for name in unit_tests:
        assert f"PASS {name}" in output, name
    assert f"PASS={len(unit_tests)} " in output
