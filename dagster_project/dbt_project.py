"""The one dbt project object every Dagster module imports.

The manifest is prepared ahead of time (``make`` and ``trustqa`` run
``dbt parse`` through :func:`prepare_manifest`); under ``dagster dev``
``prepare_if_dev`` re-parses on every reload.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project.settings import DBT_PROJECT_DIR, Settings, dbt_variables, process_environment, settings

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
# Folders of the dbt project that dbt writes, not reads.
_GENERATED_DIRS = ("target", "logs", "dbt_packages")
FINGERPRINT_FILE = ".manifest-inputs.sha256"


def dbt_process_environment(config: Settings) -> dict[str, str]:
    """The environment of a dbt process trustqa starts: this process's, with the settings the profile reads."""
    return process_environment(config.dbt_environment())


def parse_inputs_fingerprint(target: str, environment: Mapping[str, str] | None = None) -> str:
    """A digest of everything a parse depends on: every file of the dbt project (its path and bytes),
    the dbt target, the variables the project reads in dbt's ``environment`` (default: that of
    the process's settings), and the dbt version."""
    from importlib.metadata import version

    if environment is None:
        environment = dbt_process_environment(settings())

    digest = hashlib.sha256()
    for folder, subfolders, files in os.walk(DBT_PROJECT_DIR):
        if Path(folder) == DBT_PROJECT_DIR:
            subfolders[:] = [d for d in subfolders if d not in _GENERATED_DIRS]
        subfolders.sort()
        for name in sorted(files):
            path = Path(folder) / name
            digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(json.dumps([target, dbt_variables(environment), version("dbt-core")], sort_keys=True).encode())
    return digest.hexdigest()


def run_dbt_quietly(
    command: list[str], target_path: str | Path, config: Settings | None = None
) -> subprocess.CompletedProcess:
    """``dbt <command> --quiet`` on this project with ``config`` (default: the process's settings),
    artifacts in ``target_path``."""
    config = config or settings()
    project = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    target = ["--target", config.target, "--target-path", str(target_path)]
    return subprocess.run(
        [dbt_executable(), *command, "--quiet", *project, *target],
        cwd=DBT_PROJECT_DIR,
        env=dbt_process_environment(config),
        capture_output=True,
        text=True,
    )


def prepare_manifest(force: bool = False, config: Settings | None = None) -> None:
    """Parse the dbt project into ``target/manifest.json`` (what the assets are built from).

    Several ``trustqa`` processes may start at once (runs on separate
    warehouses, the UI and a CLI run): parses are serialised by a lock file
    and each writes into a scratch folder whose artifacts then replace the
    published ones atomically, so a reader never sees a half-written manifest.

    The parse is skipped (unless ``force``) when the manifest was parsed from
    exactly the same inputs (:func:`parse_inputs_fingerprint`): a nightly run
    on an unchanged project does not pay dbt's start-up and parse again.
    ``config`` (default: the process's settings) is what dbt parses with.
    """
    config = config or settings()
    target_dir = DBT_PROJECT_DIR / "target"
    target_dir.mkdir(exist_ok=True)
    with open(target_dir / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        fingerprint_file = target_dir / FINGERPRINT_FILE
        fingerprint = parse_inputs_fingerprint(config.target, dbt_process_environment(config))
        current = fingerprint_file.read_text() if fingerprint_file.exists() else None
        if not force and current == fingerprint and (target_dir / "manifest.json").exists():
            return
        fingerprint_file.unlink(missing_ok=True)  # the artifacts below are about to change
        with tempfile.TemporaryDirectory(dir=target_dir, prefix=".parse-") as scratch:
            partial = target_dir / "partial_parse.msgpack"
            if partial.exists():
                shutil.copy2(partial, scratch)
            completed = run_dbt_quietly(["parse"], target_path=scratch, config=config)
            if completed.returncode != 0:
                raise RuntimeError(f"dbt parse failed:\n{completed.stdout}\n{completed.stderr}")
            for name in PARSE_ARTIFACTS:
                if (Path(scratch) / name).exists():
                    os.replace(Path(scratch) / name, target_dir / name)
            (Path(scratch) / FINGERPRINT_FILE).write_text(fingerprint)
            os.replace(Path(scratch) / FINGERPRINT_FILE, fingerprint_file)
