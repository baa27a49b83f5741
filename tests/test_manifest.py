"""The dbt manifest is parsed safely when several trustqa processes start at once."""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys

import pytest

from dagster_project.settings import DBT_PROJECT_DIR, PROJECT_ROOT

pytestmark = pytest.mark.slow

PARSE = "from dagster_project.dbt_project import prepare_manifest; prepare_manifest()"


def test_concurrent_parses_never_expose_a_partial_manifest(dbt_manifest) -> None:
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    parsers = [subprocess.Popen([sys.executable, "-c", PARSE], cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True)
               for _ in range(3)]
    reads = 0
    while any(p.poll() is None for p in parsers):
        nodes = json.loads(manifest.read_text())["nodes"]  # a torn file would raise here
        assert any(key.startswith("model.trustqa.fct_") for key in nodes)
        reads += 1
    assert [p.wait() for p in parsers] == [0, 0, 0], [p.stderr.read() for p in parsers]
    assert reads > 0
    with open(manifest.parent / ".parse.lock") as lock:  # no parse is under way while we look
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert not list(manifest.parent.glob(".parse-*")), "scratch folders are removed"
