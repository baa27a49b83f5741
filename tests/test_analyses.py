"""Every analysis in dbt_project/analyses compiles and runs on the sample warehouse."""

from __future__ import annotations

import duckdb
import pytest

from dagster_project.settings import DBT_PROJECT_DIR
from tests.dbt_runner import run_dbt

ANALYSES = sorted(p.stem for p in (DBT_PROJECT_DIR / "analyses").glob("*.sql"))


@pytest.fixture(scope="module")
def compiled(sample_warehouse, tmp_path_factory):
    assert sample_warehouse.first_run.returncode == 0, sample_warehouse.first_run.stderr[-2000:]
    work = tmp_path_factory.mktemp("analyses")
    run_dbt(["compile", "--select", "resource_type:analysis"], work, sample_warehouse.path)
    return {
        name: (work / "target" / "compiled" / "trustqa" / "analyses" / f"{name}.sql").read_text() for name in ANALYSES
    }


def test_there_are_analyses():
    assert len(ANALYSES) >= 3


@pytest.mark.parametrize("name", ANALYSES)
def test_analysis_runs_on_the_sample(compiled, sample_warehouse, name):
    with duckdb.connect(str(sample_warehouse.path), read_only=True) as con:
        cursor = con.execute(compiled[name])
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    assert columns, name
    assert rows, f"{name} returned no rows on the sample"
