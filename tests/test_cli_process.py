"""The ``trustqa`` command as a process: dbt's forkserver starts before the run's imports; the exit freezes."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project import cli

# what `trustqa materialize` imports for the run: the dbt project (the parse), the definitions' resources
RUN_MODULES = ["dagster_project.dbt_project", "dagster_project.defs.resources", "dagster_project.runs.recovery"]


def test_the_command_exits_with_main_s_code_after_freezing_what_is_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def main() -> int:
        seen.append(gc.get_freeze_count())
        return 3

    monkeypatch.setattr(cli, "main", main)
    assert gc.get_freeze_count() == 0
    try:
        with pytest.raises(SystemExit) as exited:
            cli.run()
        assert exited.value.code == 3
        assert seen == [0]  # the command itself runs with the collector as usual
        assert gc.get_freeze_count() > 10_000  # the teardown's collections skip them (the modules imported so far)
    finally:
        gc.unfreeze()


def materialize_recording_warm_up(tmp_path: Path, warehouse: Path) -> subprocess.CompletedProcess:
    """``trustqa materialize`` in a new Python whose ``warm_up`` writes which run modules are imported, then stops."""
    script = (
        "import json, sys\n"
        "from dagster_project import cli, dbt_launcher\n"
        f"RUN_MODULES = {RUN_MODULES!r}\n"
        "def warm_up():\n"
        f"    open({str(tmp_path / 'seen.json')!r}, 'w').write(json.dumps([m in sys.modules for m in RUN_MODULES]))\n"
        "    raise RuntimeError('stopped after warm_up')\n"
        "dbt_launcher.warm_up = warm_up\n"
        f"sys.exit(cli.main(['materialize', '--exports', {str(tmp_path)!r}, '--warehouse', {str(warehouse)!r}]))\n"
    )
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path)


def test_materialize_starts_dbt_s_forkserver_before_the_run_s_imports(tmp_path: Path) -> None:
    """The server imports dbt while this process imports the run's modules and opens the instance."""
    done = materialize_recording_warm_up(tmp_path, tmp_path / "w.duckdb")
    assert done.returncode == 1 and "stopped after warm_up" in done.stderr, done.stderr
    assert json.loads((tmp_path / "seen.json").read_text()) == [False] * len(RUN_MODULES)


def test_a_refused_run_starts_no_forkserver(tmp_path: Path) -> None:
    """A warehouse that is not a DuckDB database is refused before the server starts (exit 2, nothing to wait for)."""
    not_duckdb = tmp_path / "w.duckdb"
    not_duckdb.write_bytes(b"not a database " * 1000)
    done = materialize_recording_warm_up(tmp_path, not_duckdb)
    assert done.returncode == 2, done.stderr
    assert not (tmp_path / "seen.json").exists()
