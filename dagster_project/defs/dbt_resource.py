"""dagster-dbt's dbt CLI resource, without two start-up costs trustqa does not use, and dbt's file log level.

Every ``dbt.cli(...)`` call of the stock ``DbtCliResource`` (dagster-dbt 0.29)
first runs ``dbt --version`` in a subprocess to learn which engine it drives,
then loads the dbt project's macros in the Dagster process to build a dbt
adapter. A py-spy profile of a nightly run on the sample put about 2.5 s on
each of these per dbt step (three steps per run). trustqa needs neither:

* the ``dbt`` it runs is always the one installed beside this Python
  (``dbt_executable()``), so its version is the installed ``dbt-core``;
* the adapter only serves dagster-dbt's ``fetch_row_counts()`` and
  ``fetch_column_metadata()``, which the dbt assets do not call (row counts
  are read after the run, ``dagster_project/summary.py``).

Both overrides replace private members of the pinned dagster-dbt
(``requirements.lock``); tests/test_dbt_resource.py checks they still apply.

Each dbt command starts as a fork of a process that has already imported
dbt (``dagster_project/dbt_launcher.py``), not as a new Python: the stock
``cli`` runs ``subprocess.Popen`` of ``dagster_dbt.core.dbt_cli_invocation``,
which :meth:`TrustqaDbtCliResource.cli` points at the launcher for the call.

dbt also gets its settings explicitly (:meth:`TrustqaDbtCliResource.with_env`):
the stock ``cli`` gives the dbt subprocess a copy of this process's
environment and takes no mapping of its own, so dbt is started through POSIX
``env``, with public fields only: ``env NAME=value ... <dbt> <flags> <args>``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import types
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource
from dagster_dbt.core import dbt_cli_invocation
from packaging import version

from dagster_project import dbt_launcher
from dagster_project.folders import remove_all_but_newest

# A dbt command's own target folder, as dagster-dbt names it: `<step>-<run id[:7]>-<random[:7]>`
_STEP_FOLDER = re.compile(r"^(?:[A-Za-z0-9_]+-[0-9a-f]{7}-)?[0-9a-f]{7}$")
# How many of them dbt_project/target keeps (three per run: about the last ten runs)
KEPT_STEP_FOLDERS = 30


def prune_step_folders(target_dir: Path, keep: int = KEPT_STEP_FOLDERS) -> list[Path]:
    """Remove all but the ``keep`` newest dbt step folders of ``target_dir``; return the removed ones.

    Each dbt command of a run writes its artifacts (dbt.log, run_results.json,
    the compiled SQL, a copy of the manifest: about 8 MB at the sample's size)
    to a folder of its own that nothing reads after the step: kept forever,
    three a night would fill the disk (9 GB a year). The newest stay for
    debugging a failed run; a folder still being written is among them.
    """
    folders = [path for path in target_dir.iterdir() if path.is_dir() and _STEP_FOLDER.match(path.name)]
    return remove_all_but_newest(folders, keep)


def dbt_global_flags(log_level_file: str | None) -> list[str]:
    """dbt's file log (``target/<step>-<run>-<id>/dbt.log``) at info unless DBT_LOG_LEVEL_FILE says otherwise.

    dbt's default is debug: a line per query, written under one lock by every
    dbt thread, about 10% of a build on the sample. Info keeps every node's
    result and error; ``DBT_LOG_LEVEL_FILE=debug`` brings the queries back.
    """
    return [] if log_level_file else ["--log-level-file", "info"]


@contextmanager
def dbt_commands_forked() -> Iterator[None]:
    """While inside, dagster-dbt starts its dbt commands with :func:`dbt_launcher.popen`."""
    forked = types.SimpleNamespace(**{**vars(subprocess), "Popen": dbt_launcher.popen})
    dbt_cli_invocation.subprocess = forked
    try:
        yield
    finally:
        dbt_cli_invocation.subprocess = subprocess


@cache
def dbt_core_version() -> version.Version:
    """The version of the dbt-core installed beside this Python (the ``dbt`` the resource runs)."""
    return version.parse(installed_version("dbt-core"))


class TrustqaDbtCliResource(DbtCliResource):
    """``DbtCliResource`` that knows its dbt version, builds no in-process dbt adapter, and starts each
    dbt command from its own profile's saved parse, as a fork of a process that has imported dbt."""

    # The saved parse of this resource's profile (dbt_project.parse_cache_dir). The stock resource copies
    # target/partial_parse.msgpack into each command's target folder: the saved parse of whichever run
    # parsed last, which for another warehouse dbt rejects ("profile has changed") and parses it all again.
    partial_parse_file: str | None = None

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """A run's resources are set up before its first step: the forkserver imports dbt meanwhile."""
        dbt_launcher.warm_up()

    @property
    def _cli_version(self) -> version.Version:  # stock: `dbt --version` in a subprocess, once per instance
        return dbt_core_version()

    def _initialize_dbt_core_adapter(self, args: Any) -> None:  # stock: loads every macro of the project
        return None

    def cli(
        self,
        args: Sequence[str],
        *,
        context: Any = None,
        target_path: Path | None = None,
        **kwargs: Any,
    ) -> DbtCliInvocation:
        """The stock ``cli``, its target folder seeded with :attr:`partial_parse_file` (when it exists).

        dagster-dbt copies no saved parse into a target folder that already holds one. A folder of
        its own (no ``target_path`` given) goes under the project's ``target/``, where only the
        newest step folders are kept (:func:`prune_step_folders`).
        """
        if target_path is None:
            target_path = self._get_unique_target_path(context=context)
            if not target_path.is_absolute():
                target_path = Path(self.project_dir) / target_path
            if target_path.parent.is_dir():
                prune_step_folders(target_path.parent)
        saved = Path(self.partial_parse_file) if self.partial_parse_file else None
        if saved is not None and saved.exists():
            target_path.mkdir(parents=True, exist_ok=True)
            shutil.copy(saved, target_path / saved.name)
        with dbt_commands_forked():
            return super().cli(args, context=context, target_path=target_path, **kwargs)

    @classmethod
    def with_env(
        cls, env: Mapping[str, str], *, dbt_executable: str, global_config_flags: Sequence[str] = (), **fields: Any
    ) -> TrustqaDbtCliResource:
        """The resource whose dbt runs with ``env`` set on top of this process's environment.

        ``dbt_executable`` becomes ``env`` and ``global_config_flags`` the
        assignments, then the dbt executable and its flags: every dbt command
        is ``env NAME=value ... <dbt_executable> <global_config_flags> <args>``
        (and dagster-dbt's log of the command shows the values dbt ran with).
        """
        launcher = shutil.which("env")
        if launcher is None:  # every POSIX system has it; trustqa needs POSIX anyway (fcntl)
            raise RuntimeError("no `env` on PATH: dbt cannot be given its environment")
        assignments = [f"{name}={value}" for name, value in sorted(env.items())]
        return cls(
            dbt_executable=launcher,
            global_config_flags=[*assignments, dbt_executable, *global_config_flags],
            **fields,
        )

    def with_extra_env(self, extra: Mapping[str, str]) -> TrustqaDbtCliResource:
        """This resource with ``extra`` set on top of its environment (for one dbt command, e.g. a run's window)."""
        flags = list(self.global_config_flags)
        executable_at = next(i for i, flag in enumerate(flags) if not dbt_launcher.ASSIGNMENT.match(flag))
        assignments = [f"{name}={value}" for name, value in sorted(extra.items())]
        return self.model_copy(
            update={"global_config_flags": [*flags[:executable_at], *assignments, *flags[executable_at:]]}
        )

    @property
    def command_prefix(self) -> list[str]:
        """What every dbt command of this resource starts with (its arguments follow)."""
        return [self.dbt_executable, *self.global_config_flags]
