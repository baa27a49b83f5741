"""``trustqa materialize`` as a process: dbt's forkserver starts once the checks pass, before the run's imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# what `trustqa materialize` imports for the run: the dbt project (the parse), the definitions' resources
RUN_MODULES = ["dagster_project.dbt_project", "dagster_project.defs.resources", "dagster_project.runs.recovery"]


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
