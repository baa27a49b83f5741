"""dbt commands as forks of a server that has imported dbt: the same environment, folder, output and exit code."""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dagster_project import dbt_launcher
from dagster_project.dbt_project import dbt_executable, dbt_project


def test_the_command_splits_into_assignments_and_the_arguments_after_dbt() -> None:
    command = ["/usr/bin/env", "A=1", "B=x=y", "/venv/bin/dbt", "--log-level-file", "info", "build", "C=2"]
    assert dbt_launcher.split_command(command) == (
        {"A": "1", "B": "x=y"},
        ["--log-level-file", "info", "build", "C=2"],  # an argument that looks like an assignment stays one
    )
    assert dbt_launcher.split_command(["/venv/bin/dbt", "build"]) == ({}, ["build"])
    with pytest.raises(ValueError, match="no dbt executable"):
        dbt_launcher.split_command(["env", "A=1"])


def run(command: list[str], env: dict[str, str], cwd: Path) -> tuple[int, list[str], int]:
    forked = dbt_launcher.popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    with forked.stdout:
        lines = [line.decode() for line in forked.stdout]
    return forked.wait(timeout=120), lines, forked.pid


def test_a_fork_runs_dbt_with_the_environment_and_folder_it_is_given(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles from the assignment"
    env = {**os.environ, "DBT_LOG_FORMAT": "json", "DBT_PROFILES_DIR": str(tmp_path / "from the mapping")}
    command = [shutil.which("env"), f"DBT_PROFILES_DIR={profiles}", dbt_executable(), "debug", "--config-dir"]
    code, lines, pid = run(command, env, tmp_path)
    assert code == 0, lines
    events = [json.loads(line) for line in lines]  # the mapping's DBT_LOG_FORMAT: JSON lines, as dagster-dbt reads
    assert any(str(profiles) in event["info"]["msg"] for event in events)  # the assignment wins over the mapping
    assert pid != os.getpid() and not Path(f"/proc/{pid}").exists()  # a process of its own, ended and reaped


def test_a_failing_command_returns_dbt_s_exit_code(tmp_path: Path) -> None:
    code, lines, _ = run([dbt_executable(), "no-such-command"], dict(os.environ), tmp_path)
    assert code == 2  # click's usage error, as the dbt executable returns
    assert any("No such command" in line for line in lines)


def test_run_captures_a_fork_s_output_and_exit_code_as_subprocess_run_does(tmp_path: Path) -> None:
    ok = dbt_launcher.run([dbt_executable(), "--version"], env=dict(os.environ), cwd=tmp_path)
    assert isinstance(ok, subprocess.CompletedProcess) and ok.returncode == 0
    assert "Core:" in ok.stdout and ok.stderr == ""  # text, standard error merged into stdout
    failed = dbt_launcher.run([dbt_executable(), "no-such-command"], env=dict(os.environ), cwd=tmp_path)
    assert failed.returncode == 2 and "No such command" in failed.stdout


def test_run_does_the_caller_s_work_while_the_fork_runs_and_stops_the_fork_if_it_fails(tmp_path: Path) -> None:
    # a whole parse of the project, seconds of work: the caller's work runs while it does
    parse = [dbt_executable(), "parse", "--no-partial-parse", "--target-path", str(tmp_path / "target")]
    env = {**os.environ, "DBT_PROFILES_DIR": str(dbt_project.project_dir)}
    forks: list[int] = []

    def meanwhile() -> None:
        forks.extend(child.pid for child in multiprocessing.active_children())  # the fork, still running

    done = dbt_launcher.run(parse, env=env, cwd=dbt_project.project_dir, while_running=meanwhile)
    assert done.returncode == 0, done.stdout
    assert len(forks) == 1 and (tmp_path / "target" / "manifest.json").exists()

    def fails() -> None:
        meanwhile()
        raise RuntimeError("the caller's work failed")

    with pytest.raises(RuntimeError, match="the caller's work failed"):
        dbt_launcher.run(parse, env=env, cwd=dbt_project.project_dir, while_running=fails)
    assert len(forks) == 2 and not Path(f"/proc/{forks[1]}").exists()  # the fork was stopped and reaped


def test_a_signal_reaches_the_fork_and_shows_in_its_exit_code(tmp_path: Path) -> None:
    # a whole parse of the project, seconds of work: the signal arrives while it runs
    parse = [dbt_executable(), "parse", "--no-partial-parse", "--target-path", str(tmp_path / "target")]
    forked = dbt_launcher.popen(
        parse, env={**os.environ, "DBT_PROFILES_DIR": str(dbt_project.project_dir)}, cwd=dbt_project.project_dir
    )
    forked.send_signal(signal.SIGTERM)
    assert forked.wait(timeout=120) == -signal.SIGTERM
    assert forked.returncode == forked.poll() == -signal.SIGTERM
    forked.stdout.close()
    forked.send_signal(signal.SIGTERM)  # an ended command ignores further signals


def process_group_members(group: int) -> list[int]:
    """The pids whose process group is ``group`` (Linux /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            members.append(int(entry.name))
    return members


def test_a_process_that_forked_dbt_leaves_nothing_behind_when_it_exits(tmp_path: Path) -> None:
    """Its forkserver is stopped and waited for at exit: no process of its group outlives it."""
    script = (
        "import os, sys\n"
        "from dagster_project import dbt_launcher\n"
        f"forked = dbt_launcher.popen([{dbt_executable()!r}, '--version'], env=dict(os.environ), cwd={str(tmp_path)!r})\n"
        "forked.stdout.read()\n"
        "sys.exit(forked.wait(timeout=120))\n"
    )
    (tmp_path / "script.py").write_text(script, encoding="utf-8")  # a main module the forks must not run again
    process = subprocess.Popen(
        [sys.executable, str(tmp_path / "script.py")], start_new_session=True, stderr=subprocess.PIPE
    )
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    # multiprocessing's resource tracker ends by itself once its last user is gone, a moment later
    deadline = time.monotonic() + 60
    while process_group_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert process_group_members(process.pid) == []


def _dbt_seen_from_a_fork(report: str) -> None:
    """In a fork of this process: dbt's entry point replaced by one that records how the collector stands."""
    import gc

    from dbt.cli.main import cli

    def record(**_: object) -> None:
        Path(report).write_text(json.dumps([gc.get_freeze_count(), gc.isenabled()]), encoding="utf-8")
        raise SystemExit(0)

    cli.main = record
    read_end, write_end = os.pipe()
    os.close(read_end)
    output = multiprocessing.connection.Connection(write_end, readable=False)
    dbt_launcher.run_dbt(["--version"], dict(os.environ), str(Path(report).parent), output)


def test_dbt_starts_in_the_fork_with_the_imported_objects_left_out_of_garbage_collection(tmp_path: Path) -> None:
    """gc.freeze before dbt: the collector's full passes skip the modules the server imported, and it still runs."""
    import gc

    report = tmp_path / "collector.json"
    assert gc.get_freeze_count() == 0  # this process (pytest) freezes nothing
    child = multiprocessing.get_context("fork").Process(target=_dbt_seen_from_a_fork, args=(str(report),))
    child.start()
    child.join(timeout=120)
    assert child.exitcode == 0
    frozen, enabled = json.loads(report.read_text(encoding="utf-8"))
    assert frozen > 10_000 and enabled  # every object alive at the fork (dbt's modules among them)
