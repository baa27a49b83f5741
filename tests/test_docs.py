"""`trustqa docs` builds the dbt docs site (models, columns, lineage, catalog) from the warehouse."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_docs_site_describes_every_mart_with_its_columns(sample_warehouse, tmp_path: Path) -> None:
    warehouse = tmp_path / "trustqa.duckdb"
    shutil.copy(sample_warehouse.path, warehouse)  # dbt opens the file for its catalog
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("trustqa")), "docs", "--warehouse", str(warehouse)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    site = tmp_path / "dbt_docs" / "static_index.html"
    assert f"dbt docs (models, columns, lineage): {site}" in completed.stdout
    html = site.read_text()
    catalog = json.loads((tmp_path / "dbt_docs" / "catalog.json").read_text())
    mart = catalog["nodes"]["model.trustqa.fct_appeal_outcomes_daily"]
    assert mart["metadata"]["schema"] == "marts"
    assert "appeal_overturn_rate" in {c.lower() for c in mart["columns"]}  # the catalog read the real table
    manifest = json.loads((tmp_path / "dbt_docs" / "manifest.json").read_text())
    assert "model.trustqa.int_appeals_history" in manifest["child_map"]["source.trustqa.marketplace.appeals"]
    assert "fct_appeal_outcomes_daily" in html and "appeal_overturn_rate" in html  # the static page embeds both
    # the Great Expectations Data Docs, validated on the warehouse as it is now
    data_docs = tmp_path / "data_docs"
    assert f"Great Expectations Data Docs: {data_docs / 'index.html'}" in completed.stdout
    for layer in ("raw", "staging", "marts"):
        assert (data_docs / layer / "index.html").exists(), layer
