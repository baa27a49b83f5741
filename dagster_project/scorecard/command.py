"""``trustqa report [--week W] [--open] [--warehouse FILE]``: build the weekly scorecard page.

Reads the marts as ``trustqa shifts`` does: the analysts' published DuckDB
copy (or ``--warehouse FILE``) on DuckDB, the ``marts`` schema on Snowflake.
Writes ``scorecard/<week>.html`` (and ``scorecard/latest.html`` for the
latest complete week) beside the file it read, or beside the published copy
on Snowflake, and prints where. ``--open`` opens the page in the default
browser.
"""

from __future__ import annotations

import datetime as dt
import webbrowser
from pathlib import Path
from typing import TextIO

from dagster_project.insights.mart_reader import marts_reader
from dagster_project.scorecard.build import NoScorecard, build_scorecard
from dagster_project.scorecard.writer import scorecard_dir
from dagster_project.settings import Settings


def run_report(
    config: Settings, week: dt.date | None, open_page: bool, warehouse: Path | None, out: TextIO, err: TextIO
) -> int:
    """Build the page; 0, or 2 with a one-line message when there are no marts to build it from."""
    read, path = marts_reader(config, warehouse)
    if read is None:
        print(f"trustqa report: no marts at {path}; run `trustqa materialize` first", file=err)
        return 2
    directory = scorecard_dir(path or config.published_path)
    try:
        scorecard = build_scorecard(read, directory, week)
    except NoScorecard as exc:
        print(f"trustqa report: {exc}", file=err)
        return 2
    print(f"scorecard of the week of {scorecard.week} ({scorecard.size_bytes / 1e6:.1f} MB):", file=out)
    for written in scorecard.paths:
        print(f"  {written}", file=out)
    if open_page:
        webbrowser.open(scorecard.paths[0].resolve().as_uri())
    return 0
