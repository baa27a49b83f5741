"""The trustqa code location (``workspace.yaml`` and ``dagster dev`` load this module)."""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.automation import exports_sensor, nightly_schedule
from dagster_project.defs.dbt_assets import dbt_asset_definitions
from dagster_project.defs.gate_checks import gate_checks
from dagster_project.defs.jobs import nightly_job
from dagster_project.defs.raw_assets import raw_assets
from dagster_project.defs.resources import build_resources

defs = dg.Definitions(
    assets=[*raw_assets, *dbt_asset_definitions],
    asset_checks=gate_checks,
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    sensors=[exports_sensor],
    resources=build_resources(),
)
