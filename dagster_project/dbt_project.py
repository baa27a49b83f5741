"""The one dbt project object every Dagster module imports.

The manifest is prepared ahead of time (``make`` and ``trustqa`` run
``dbt parse`` through :func:`prepare_manifest`); under ``dagster dev``
``prepare_if_dev`` re-parses on every reload.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
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


# What ``dbt parse`` writes that later readers (Dagster, dagster-dbt's runs) pick up from ``target/``.
PARSE_ARTIFACTS = ("manifest.json", "partial_parse.msgpack", "semantic_manifest.json")


def prepare_manifest() -> None:
    """Parse the dbt project into ``target/manifest.json`` (what the assets are built from).

    Several ``trustqa`` processes may start at once (runs on separate
    warehouses, the UI and a CLI run): parses are serialised by a lock file
    and each writes into a scratch folder whose artifacts then replace the
    published ones atomically, so a reader never sees a half-written manifest.
    """
    target_dir = DBT_PROJECT_DIR / "target"
    target_dir.mkdir(exist_ok=True)
    with open(target_dir / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with tempfile.TemporaryDirectory(dir=target_dir, prefix=".parse-") as scratch:
            partial = target_dir / "partial_parse.msgpack"
            if partial.exists():
                shutil.copy2(partial, scratch)
            command = [
                dbt_executable(), "parse", "--quiet",
                "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                "--target", settings().target, "--target-path", scratch,
            ]
            completed = subprocess.run(command, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
            if completed.returncode != 0:
                raise RuntimeError(f"dbt parse failed:\n{completed.stdout}\n{completed.stderr}")
            for name in PARSE_ARTIFACTS:
                if (Path(scratch) / name).exists():
                    os.replace(Path(scratch) / name, target_dir / name)
