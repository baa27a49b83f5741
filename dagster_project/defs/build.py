"""The Dagster definitions of trustqa for a given :class:`~dagster_project.settings.Settings`.

The code location (``dagster_project/definitions.py``) builds them from the
process's settings; ``trustqa materialize`` from the settings of its flags.
"""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.automation import exports_sensor, nightly_schedule
from dagster_project.defs.dbt_assets import dbt_asset_definitions, dbt_step_of
from dagster_project.defs.gate_checks import build_all_gate_checks
from dagster_project.defs.insight_checks import insight_checks
from dagster_project.defs.jobs import nightly_job
from dagster_project.defs.publish_asset import published_marts
from dagster_project.defs.raw_assets import raw_assets
from dagster_project.defs.recovery_sensor import dead_run_sensor
from dagster_project.defs.resources import build_resources
from dagster_project.defs.scorecard_asset import build_qa_scorecard
from dagster_project.settings import Settings


def build_definitions(config: Settings) -> dg.Definitions:
    return dg.Definitions(
        # the analysts' DuckDB copy (on Snowflake analysts query the marts schema with their role) and the
        # weekly scorecard page for people who do not write SQL
        assets=[
            *raw_assets,
            *dbt_asset_definitions,
            *([published_marts] if config.target == "duckdb" else []),
            build_qa_scorecard(config.target),
        ],
        asset_checks=[*build_all_gate_checks(dbt_step_of), *insight_checks],
        jobs=[nightly_job],
        schedules=[nightly_schedule],
        sensors=[exports_sensor, dead_run_sensor],
        resources=build_resources(config),
    )
