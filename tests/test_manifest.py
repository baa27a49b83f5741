"""The dbt manifest is parsed safely when several trustqa processes start at once."""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys

import pytest

from dagster_project.settings import DBT_PROJECT_DIR, PROJECT_ROOT

pytestmark = pytest.mark.slow

PARSE = "from dagster_project.dbt_project import prepare_manifest; prepare_manifest(force=True)"


def test_concurrent_parses_never_expose_a_partial_manifest(dbt_manifest) -> None:
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    parsers = [
        subprocess.Popen([sys.executable, "-c", PARSE], cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
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


def test_an_unchanged_project_is_not_parsed_again(dbt_manifest) -> None:
    from dagster_project.dbt_project import prepare_manifest

    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    prepare_manifest()  # whatever the last parse was for, this one is for this environment
    before = manifest.stat().st_mtime_ns
    prepare_manifest()
    assert manifest.stat().st_mtime_ns == before


def test_the_parse_fingerprint_follows_files_target_and_environment(tmp_path, monkeypatch) -> None:
    import shutil

    import dagster_project.dbt_project as project

    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setattr(project, "DBT_PROJECT_DIR", copy)
    monkeypatch.setenv("TRUSTQA_DUCKDB_PATH", str(tmp_path / "a.duckdb"))
    base = project.parse_inputs_fingerprint("duckdb")

    (copy / "target").mkdir()
    (copy / "target" / "run_results.json").write_text("{}")  # what dbt writes does not count
    assert project.parse_inputs_fingerprint("duckdb") == base
    assert project.parse_inputs_fingerprint("snowflake") != base
    monkeypatch.setenv("TRUSTQA_DUCKDB_PATH", str(tmp_path / "b.duckdb"))  # the catalog name is in the manifest
    assert project.parse_inputs_fingerprint("duckdb") != base
    monkeypatch.setenv("TRUSTQA_DUCKDB_PATH", str(tmp_path / "a.duckdb"))
    model = copy / "models" / "marts" / "dim_date.sql"
    model.write_text(model.read_text() + "\n-- edited\n")
    edited = project.parse_inputs_fingerprint("duckdb")
    assert edited != base
    # the same files in another folder (a moved clone): the manifest's paths would point at the old one
    moved = tmp_path / "moved" / "dbt_project"
    shutil.copytree(copy, moved, ignore=shutil.ignore_patterns("target"))
    monkeypatch.setattr(project, "DBT_PROJECT_DIR", moved)
    assert project.parse_inputs_fingerprint("duckdb") != edited


def test_two_warehouses_keep_their_own_parse_and_switching_back_parses_nothing(tmp_path, monkeypatch) -> None:
    """dbt rejects a saved parse made for another profile (the DuckDB path is in it): each warehouse keeps its own.

    On a copy of the dbt project, so another test worker's parses cannot publish in between.
    """
    import shutil

    import dagster_project.dbt_project as project
    from dagster_project.settings import Settings

    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setattr(project, "DBT_PROJECT_DIR", copy)
    first, second = (
        Settings.from_env({"TRUSTQA_DUCKDB_PATH": str(tmp_path / name / "trustqa.duckdb")}) for name in ("a", "b")
    )
    assert project.parse_cache_dir(first) != project.parse_cache_dir(second)
    assert project.parse_cache_dir(first).parent == copy / "target" / project.PARSE_CACHE_DIR
    meanwhile: list[str] = []  # what trustqa materialize does while dbt parses: called once per parse
    project.prepare_manifest(config=first, while_parsing=lambda: meanwhile.append("a"))
    project.prepare_manifest(config=second, while_parsing=lambda: meanwhile.append("b"))
    assert meanwhile == ["a", "b"]
    for config in (first, second):
        cache = project.parse_cache_dir(config)
        assert (cache / "partial_parse.msgpack").exists() and (cache / "manifest.json").exists()
    published = copy / "target" / "manifest.json"
    assert published.read_bytes() == (project.parse_cache_dir(second) / "manifest.json").read_bytes()

    def no_parse(*args, **kwargs):
        raise AssertionError("dbt parse ran again")

    monkeypatch.setattr(project, "run_dbt_quietly", no_parse)
    # back to the first warehouse: published from its cache, nothing done "while parsing"
    project.prepare_manifest(config=first, while_parsing=lambda: meanwhile.append("again"))
    assert meanwhile == ["a", "b"]
    fingerprint = project.parse_inputs_fingerprint("duckdb", project.dbt_process_environment(first))
    assert (copy / "target" / project.FINGERPRINT_FILE).read_text() == fingerprint
    assert published.read_bytes() == (project.parse_cache_dir(first) / "manifest.json").read_bytes()
    assert not list((copy / "target").glob(".*.copy")), "no scratch copy is left behind"


def test_only_the_most_recently_used_profiles_keep_a_saved_parse(tmp_path) -> None:
    import os

    from dagster_project.dbt_project import prune_parse_caches

    profiles = [tmp_path / f"{n:016x}" for n in range(23)]
    for minute, folder in enumerate(profiles):
        folder.mkdir()
        (folder / "partial_parse.msgpack").write_bytes(b"parse")
        os.utime(folder, (1_700_000_000 + 60 * minute, 1_700_000_000 + 60 * minute))
    os.utime(profiles[0], (1_800_000_000, 1_800_000_000))  # the oldest, used again just now

    removed = prune_parse_caches(tmp_path, keep=20)
    assert sorted(removed) == sorted(profiles[1:4])
    assert all(folder.exists() for folder in [profiles[0], *profiles[4:]])


def test_what_a_run_imports_while_dbt_parses_does_not_read_the_manifest() -> None:
    """``trustqa materialize`` imports Great Expectations while dbt parses; the dbt assets, which read
    ``target/manifest.json`` when imported, must wait for the parse that publishes it."""
    probe = (
        "import sys; from dagster_project import cli; cli._import_run_modules(); "
        "print('great_expectations' in sys.modules, 'expectations' in sys.modules, "
        "sorted(m for m in sys.modules if m.startswith('dagster_project.defs')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True True []", done.stdout + done.stderr
