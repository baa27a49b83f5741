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
from collections.abc import Callable, Mapping
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project import dbt_launcher
from dagster_project.folders import remove_all_but_newest
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
# Under target/: one folder of parse artifacts per profile (parse_cache_dir), the most recently used kept.
PARSE_CACHE_DIR = "parse_cache"
KEPT_PARSE_CACHES = 20


def dbt_process_environment(config: Settings) -> dict[str, str]:
    """The environment of a dbt process trustqa starts: this process's, with the settings the profile reads."""
    return process_environment(config.dbt_environment())


def parse_inputs_fingerprint(target: str, environment: Mapping[str, str] | None = None) -> str:
    """A digest of everything a parse depends on: where the dbt project is (the manifest records its
    absolute path: a parse of a copy elsewhere reads seeds and files from there), every file of the
    project (its path and bytes), the dbt target, the variables the project reads in dbt's
    ``environment`` (default: that of the process's settings), and the dbt version."""
    if environment is None:
        environment = dbt_process_environment(settings())

    digest = hashlib.sha256(str(DBT_PROJECT_DIR.resolve()).encode() + b"\0")
    for folder, subfolders, files in os.walk(DBT_PROJECT_DIR):
        if Path(folder) == DBT_PROJECT_DIR:
            subfolders[:] = [d for d in subfolders if d not in _GENERATED_DIRS]
        subfolders.sort()
        for name in sorted(files):
            path = Path(folder) / name
            digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(_profile_payload(target, environment))
    return digest.hexdigest()


def _profile_payload(target: str, environment: Mapping[str, str]) -> bytes:
    """The dbt target, the variables of ``environment`` the project may read, and the dbt version."""
    from importlib.metadata import version

    return json.dumps([target, dbt_variables(environment), version("dbt-core")], sort_keys=True).encode()


def run_dbt_quietly(
    command: list[str],
    target_path: str | Path,
    config: Settings | None = None,
    while_running: Callable[[], object] | None = None,
) -> subprocess.CompletedProcess:
    """``dbt <command> --quiet`` on this project with ``config`` (default: the process's settings),
    artifacts in ``target_path``; dbt's output (standard error merged) in ``stdout``.

    The command is a fork of the process that has imported dbt
    (:mod:`dagster_project.dbt_launcher`), which the run's dbt steps use
    after it: a parse before a run no longer pays dbt's import of its own.
    ``while_running`` is this process's work meanwhile (:func:`dbt_launcher.run`).
    """
    config = config or settings()
    project = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    target = ["--target", config.target, "--target-path", str(target_path)]
    return dbt_launcher.run(
        [dbt_executable(), *command, "--quiet", *project, *target],
        env=dbt_process_environment(config),
        cwd=DBT_PROJECT_DIR,
        while_running=while_running,
    )


def profile_key(target: str, environment: Mapping[str, str]) -> str:
    """What dbt's saved parse state (``partial_parse.msgpack``) is valid for, besides the project files.

    dbt reuses a saved parse only when the profile it was made with is the
    one it runs with (its state check hashes the connection details: the
    DuckDB path, the Snowflake account, ...), the target and the variables.
    Two warehouses therefore need two saved parses; the key names the one of
    ``target`` and the variables of ``environment`` the project may read.
    """
    return hashlib.sha256(_profile_payload(target, environment)).hexdigest()[:16]


def parse_cache_dir(config: Settings | None = None, environment: Mapping[str, str] | None = None) -> Path:
    """``target/parse_cache/<profile_key>``: the parse artifacts made for ``config``'s profile and variables
    (``environment``: dbt's environment for ``config``, when the caller has it)."""
    config = config or settings()
    if environment is None:
        environment = dbt_process_environment(config)
    return DBT_PROJECT_DIR / "target" / PARSE_CACHE_DIR / profile_key(config.target, environment)


def prune_parse_caches(cache_root: Path, keep: int = KEPT_PARSE_CACHES) -> list[Path]:
    """Remove all but the ``keep`` most recently used profile folders of ``cache_root``; return the removed.

    A profile folder is about 6 MB and a test suite makes one per temporary
    warehouse. A dbt step whose folder was removed meanwhile finds no saved
    parse of its profile and parses the project in full: slower, not wrong.
    """
    return remove_all_but_newest((path for path in cache_root.iterdir() if path.is_dir()), keep)


def _read_text(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


def _replace_artifacts(source: Path, destination: Path, fingerprint: str, *, move: bool) -> None:
    """Put ``source``'s parse artifacts into ``destination``, each file replaced atomically, the fingerprint last.

    The fingerprint is removed first, so a reader that sees it sees artifacts
    of that fingerprint; ``move`` renames the files (same file system),
    otherwise each is copied to a scratch name and renamed.
    """
    destination.mkdir(parents=True, exist_ok=True)
    (destination / FINGERPRINT_FILE).unlink(missing_ok=True)
    for name in PARSE_ARTIFACTS:
        if not (source / name).exists():
            continue
        if move:
            os.replace(source / name, destination / name)
        else:
            scratch = destination / f".{name}.copy"
            shutil.copy2(source / name, scratch)
            os.replace(scratch, destination / name)
    scratch = destination / f".{FINGERPRINT_FILE}.copy"
    scratch.write_text(fingerprint)
    os.replace(scratch, destination / FINGERPRINT_FILE)


def prepare_manifest(
    force: bool = False, config: Settings | None = None, while_parsing: Callable[[], object] | None = None
) -> None:
    """Parse the dbt project into ``target/manifest.json`` (what the assets are built from).

    Several ``trustqa`` processes may start at once (runs on separate
    warehouses, the UI and a CLI run): parses are serialised by a lock file
    and each writes into a scratch folder whose artifacts then replace the
    published ones atomically, so a reader never sees a half-written manifest.

    Each profile (warehouse, target, variables: :func:`profile_key`) keeps its
    own artifacts in :func:`parse_cache_dir`, where its dbt steps take their
    saved parse from (``TrustqaDbtCliResource.partial_parse_file``): a run on
    one warehouse no longer finds the saved parse of another warehouse's run,
    which made dbt parse the whole project again in that step. The parse is
    skipped (unless ``force``) when the profile's artifacts were parsed from
    exactly the same inputs (:func:`parse_inputs_fingerprint`): a nightly run
    on an unchanged project, or one warehouse after another, does not pay
    dbt's start-up and parse again; its artifacts are then only published to
    ``target/``. Only the most recently used profiles are kept
    (:func:`prune_parse_caches`). ``config`` (default: the process's
    settings) is what dbt parses with. ``while_parsing``, when a parse runs,
    is called while dbt parses in its own process (``trustqa materialize``
    imports the run's modules meanwhile); it is not called when no parse is needed.
    """
    config = config or settings()
    target_dir = DBT_PROJECT_DIR / "target"
    target_dir.mkdir(exist_ok=True)
    with open(target_dir / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        environment = dbt_process_environment(config)
        fingerprint = parse_inputs_fingerprint(config.target, environment)
        cache = parse_cache_dir(config, environment)
        cached = _read_text(cache / FINGERPRINT_FILE) == fingerprint and (cache / "manifest.json").exists()
        if force or not cached:
            with tempfile.TemporaryDirectory(dir=target_dir, prefix=".parse-") as scratch:
                for saved in (cache / "partial_parse.msgpack", target_dir / "partial_parse.msgpack"):
                    if saved.exists():  # dbt re-parses only what changed (all, if the profile differs)
                        shutil.copy2(saved, scratch)
                        break
                completed = run_dbt_quietly(["parse"], target_path=scratch, config=config, while_running=while_parsing)
                if completed.returncode != 0:
                    raise RuntimeError(f"dbt parse failed:\n{completed.stdout}\n{completed.stderr}")
                _replace_artifacts(Path(scratch), cache, fingerprint, move=True)
        if force or _read_text(target_dir / FINGERPRINT_FILE) != fingerprint:
            _replace_artifacts(cache, target_dir, fingerprint, move=False)
        os.utime(cache)  # used now: pruning keeps the most recently used profiles
        prune_parse_caches(cache.parent)
