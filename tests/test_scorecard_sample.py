"""The scorecard of the bundled sample's latest week, as stakeholders get it; its screenshot is the README's.

Built with ``trustqa report``'s function from a copy of the sample's
published marts (the session's ``sample_warehouse``), opened in headless
Chromium with the network closed. The full-page screenshot goes to the
test's temporary folder; with ``--update-screenshot`` it replaces
``docs/images/scorecard.png``, the picture the README shows (a test run never
changes a tracked file unless asked). The sample is deterministic, so the
picture changes only when the page or the sample does.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from dagster_project.scorecard.command import run_report
from dagster_project.settings import PROJECT_ROOT, Settings
from tests.test_scorecard_page import FIVE_MB, assert_drawn_offline, open_in_chromium, text_of

pytestmark = pytest.mark.slow

README_SCREENSHOT = PROJECT_ROOT / "docs" / "images" / "scorecard.png"


def sample_scorecard(published: Path, work: Path) -> Path:
    """The latest week's page built from a copy of ``published`` in ``work``; its path."""
    copy = work / "published.duckdb"
    shutil.copyfile(published, copy)
    out, err = io.StringIO(), io.StringIO()
    config = Settings.from_env({"TRUSTQA_DUCKDB_PATH": str(work / "warehouse.duckdb")})
    assert run_report(config, None, False, copy, out, err) == 0, err.getvalue()
    return work / "scorecard" / "latest.html"


def check_sample_page(page_path: Path) -> None:
    """What the sample's page must say: its latest complete week and the planted trading_cards drop."""
    page = page_path.read_text(encoding="utf-8")
    assert page_path.stat().st_size < FIVE_MB
    assert '<meta name="trustqa-week" content="2026-11-02">' in page
    text = text_of(page)
    assert "Week of Monday 2 Nov 2026 to Sunday 8 Nov 2026 (UTC)" in text
    assert "QA score, category trading_cards: 84.9 → 74.9 (-11.8%" in text  # the planted shift (seeds/README.md)
    assert "getting worse (rate)" in text and "resolution_correct" in text
    # wrongful enforcement's latest mature cohort week lags the others by about five weeks
    assert "Actions taken in the week of 5 Oct 2026, the latest cohort with 30 days" in text


def test_the_sample_scorecard_reads_and_draws_offline(sample_warehouse, tmp_path, request) -> None:
    published = sample_warehouse.path.parent / "trustqa_marts.duckdb"
    assert published.exists(), sample_warehouse.first_run.stdout[-2000:] + sample_warehouse.first_run.stderr[-2000:]
    page_path = sample_scorecard(published, tmp_path)
    check_sample_page(page_path)
    update = request.config.getoption("--update-screenshot")
    seen = open_in_chromium(page_path, README_SCREENSHOT if update else tmp_path / "scorecard.png")
    assert_drawn_offline(seen)
    assert seen["not_final_labels"] == 1
