"""The one dbt project object every Dagster module imports.

The manifest is prepared ahead of time (``make`` and ``trustqa`` run
``dbt parse`` through :func:`prepare_manifest`); under ``dagster dev``
``prepare_if_dev`` re-parses on every reload.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project.settings import DBT_PROJECT_DIR, settings

dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target=settings().target,
)
dbt_project.prepare_if_dev()


def dbt_executable() -> str:
    """The ``dbt`` installed beside this Python (works without an activated virtualenv)."""
    return str(Path(sys.executable).with_name("dbt"))


def prepare_manifest() -> None:
    """Parse the dbt project into ``target/manifest.json`` (what the assets are built from)."""
    command = [
        dbt_executable(), "parse", "--quiet",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target", settings().target,
    ]
    completed = subprocess.run(command, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{completed.stdout}\n{completed.stderr}")
