"""Start dbt commands as forks of a process that has already imported dbt.

Each dbt step of a run is a ``dbt`` command in a process of its own (three a
run). A new Python spends seconds importing dbt-core before it reads a file:
measured on the sample, 4.5 to 6.6 s from a dbt step's start to dbt's first
log line on the loaded 2-core machine, 4 to 5 s of it ``import
dbt.cli.main``. A :mod:`multiprocessing` forkserver started once per trustqa
process (:func:`warm_up`: when ``trustqa materialize`` holds its warehouse,
or when a run sets up its resources) imports dbt once;
every dbt command is then a fork of that server, with its own pid, exit code,
signals and standard output, as before, without the import.

:func:`popen` has the interface dagster-dbt uses of :class:`subprocess.Popen`
(``stdout``, ``wait``, ``poll``, ``returncode``, ``send_signal``); the
command it takes is the one dagster-dbt would run, ``[env NAME=value ...]
<dbt> <arguments>``, so the fork gets the same environment, folder and
arguments as the process it replaces.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import io
import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import os
import re
import signal
import subprocess
import sys
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

# What the server imports once: dbt's command line (with it dbt-core and the adapter interface) and this module
PRELOADED_MODULES = ["dbt.cli.main", __name__]
# `NAME=value` as POSIX `env` reads it before the command
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")

_forkserver = multiprocessing.get_context("forkserver")
_stop_registered = False


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Start processes without the main module: multiprocessing would run this process's ``__main__``
    again in each fork (its spawn preparation); a fork runs dbt and needs none of it."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def warm_up() -> None:
    """Start this process's forkserver, which imports dbt in the background (idempotent)."""
    global _stop_registered
    _forkserver.set_forkserver_preload(PRELOADED_MODULES)
    with _main_module_hidden():
        multiprocessing.forkserver.ensure_running()
    if not _stop_registered:
        atexit.register(stop)
        _stop_registered = True


def stop() -> None:
    """Stop this process's forkserver and wait for it (at exit).

    Left alone, the server would end by itself when this process does, but
    nobody would wait for it: waiting for it here makes the largest
    resident set of the dbt commands it forked count in this process's
    children figure (``ru_maxrss`` of ``wait4``, bench/measure.py), as a
    dbt child process's did, and leaves no process behind.
    """
    server = multiprocessing.forkserver._forkserver  # the module's own instance; `_stop` is its stop
    with contextlib.suppress(ChildProcessError):  # already waited for
        server._stop()


def split_command(command: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """``[env NAME=value ...] <dbt> <arguments>`` as (the assignments, the arguments after the dbt executable)."""
    words = list(command)
    assignments: dict[str, str] = {}
    if words and Path(words[0]).name == "env":
        words = words[1:]
        while words and ASSIGNMENT.match(words[0]):
            name, value = words.pop(0).split("=", 1)
            assignments[name] = value
    if not words:
        raise ValueError(f"no dbt executable in the command {list(command)!r}")
    return assignments, words[1:]


class ForkedDbt:
    """A dbt command running in a fork of the server: the part of :class:`subprocess.Popen` dagster-dbt uses."""

    def __init__(self, process: Any, stdout: IO[bytes], args: Sequence[str]) -> None:
        self._process = process
        self.stdout = stdout
        self.args = list(args)
        self.pid: int = process.pid

    @property
    def returncode(self) -> int | None:
        """The exit code once the command ended (a negative signal number when a signal ended it)."""
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return self._process.exitcode

    def send_signal(self, sig: int) -> None:
        if self._process.exitcode is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def popen(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: str | os.PathLike[str],
    **_: Any,
) -> ForkedDbt:
    """Run ``args`` (``[env NAME=value ...] <dbt> <arguments>``) in a fork of the server, with the
    environment ``env`` (dagster-dbt always gives one) and the assignments, in the folder ``cwd``;
    stdout and stderr together on :attr:`ForkedDbt.stdout`, as dagster-dbt starts dbt
    (``stderr=STDOUT``)."""
    warm_up()
    assignments, arguments = split_command(args)
    environment = {**env, **assignments}
    read_end, write_end = os.pipe()
    writer = multiprocessing.connection.Connection(write_end, readable=False)
    process = _forkserver.Process(
        target=run_dbt,
        args=(arguments, environment, os.fspath(cwd), writer),
        name="dbt " + " ".join(arguments[:1]),
    )
    try:
        with _main_module_hidden():
            process.start()
    finally:
        writer.close()  # the fork holds its own copy; reading ends when the fork's copy closes
    return ForkedDbt(process, os.fdopen(read_end, "rb"), args)


def run(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: str | os.PathLike[str],
    while_running: Callable[[], object] | None = None,
) -> subprocess.CompletedProcess:
    """:func:`subprocess.run` of ``args`` as a fork of the server, output captured as text: standard
    error is merged into ``stdout`` (``stderr`` is empty), as :func:`popen` gives it.

    ``while_running`` is called once the fork has started, before its output is read: this process's
    own work (imports, say) meanwhile, on another core than dbt's.
    """
    forked = popen(args, env=env, cwd=cwd)
    try:
        if while_running is not None:
            while_running()
    except BaseException:
        forked.kill()
        forked.wait()
        forked.stdout.close()
        raise
    with forked.stdout:
        output = forked.stdout.read().decode("utf-8", errors="replace")
    return subprocess.CompletedProcess(list(args), forked.wait(), output, "")


def name_process(name: str) -> None:
    """Show the fork as ``name`` (``dbt build``) in ps and top, not as the forkserver's command (Linux only)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/comm").write_text(name[:15], encoding="utf-8")  # the kernel keeps 15 characters


def run_dbt(
    arguments: Sequence[str],
    environment: Mapping[str, str],
    cwd: str,
    output: multiprocessing.connection.Connection,
) -> None:
    """In the fork: the environment, folder and output of the command, then dbt's own entry point."""
    os.dup2(output.fileno(), 1)
    os.dup2(output.fileno(), 2)
    output.close()
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), line_buffering=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), line_buffering=True)
    os.chdir(cwd)
    # the fork's own environment, what subprocess.Popen(env=...) gives a new process (tests/test_settings.py)
    os.environ.clear()
    os.environ.update(environment)
    sys.argv = ["dbt", *arguments]
    # dbt's modules, imported by the server, live as long as the fork: the collector's full passes skip them
    # (gc.freeze; about 0.1 to 0.4 s of each step on the sample, more the more dbt allocates)
    gc.freeze()
    from dbt.cli.main import cli

    name_process(" ".join(["dbt", *[a for a in arguments if a in cli.commands][:1]]))
    cli.main(args=list(arguments), prog_name="dbt")  # exits with dbt's exit code (SystemExit)
