"""Build the week's scorecard from the marts: read, render, write. Shared by ``trustqa report`` and the asset."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from dagster_project.dsa.report import csv_file_name, report_csv
from dagster_project.insights.mart_reader import Read, monday_of
from dagster_project.scorecard.data import SHIFTS, Tile, latest_week, load_scorecard, marts_tables
from dagster_project.scorecard.page import render_page
from dagster_project.scorecard.wording import Thresholds, headline_markdown
from dagster_project.scorecard.writer import write_atomically, write_scorecard


class NoScorecard(Exception):
    """Nothing to build the page from (no shift mart, no complete week, no rows for the week): says why."""


@dataclass(frozen=True)
class Scorecard:
    week: dt.date
    paths: list[Path]  # the week's page, then latest.html when the week is the latest
    tiles: list[Tile]
    headline_markdown: str
    chart_ids: list[str]
    size_bytes: int


def plotly_js() -> str:
    """plotly.js as shipped in the plotly package (minified, about 4.6 MiB), to inline once."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def build_scorecard(read: Read, directory: Path, week: dt.date | None = None) -> Scorecard:
    """Write the scorecard of ``week`` (any day of it; default the latest complete week) into ``directory``."""
    tables = marts_tables(read)
    if SHIFTS not in tables:
        raise NoScorecard(f"no marts.{SHIFTS} in the marts; run `trustqa materialize` first")
    latest = latest_week(read)
    if latest is None:
        raise NoScorecard(
            f"no complete week with a baseline yet ({SHIFTS} is empty); the marts need at least one complete ISO "
            "week of exports"
        )
    week = latest if week is None else monday_of(week)
    thresholds = Thresholds.from_dbt_project()
    data = load_scorecard(read, week, thresholds, tables)
    if not data.shifts:
        raise NoScorecard(f"no rows for the week of {week} in {SHIFTS} (complete weeks only; the latest is {latest})")
    page = render_page(data, plotly_js())
    paths = write_scorecard(directory, week, page.html, is_latest=week == latest)
    if data.dsa_report:  # the CSV the page links, beside it
        write_atomically(directory / csv_file_name(data.dsa_report[0].period), report_csv(data.dsa_report))
    rows = [(t.metric, t.shift, t.note) for t in data.tiles]
    return Scorecard(
        week, paths, data.tiles, headline_markdown(rows, thresholds), page.chart_ids, len(page.html.encode("utf-8"))
    )
