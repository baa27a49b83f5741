"""``trustqa dsa-report --period P [--out report.csv]``: the DSA transparency report of a month or half-year.

Reads ``marts.fct_dsa_transparency_report`` through the commands' query
layer (the analysts' published copy, ``--warehouse FILE``, or the ``marts``
schema on Snowflake), prints the period's figures and, with ``--out``,
writes them as CSV atomically (docs/dsa.md, "The transparency report").
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from dagster_project.dsa.report import REPORT, NoReport, load_report, report_csv, report_text
from dagster_project.insights.mart_reader import marts_reader
from dagster_project.scorecard.data import marts_tables
from dagster_project.scorecard.writer import write_atomically
from dagster_project.settings import Settings


def run_dsa_report(
    config: Settings, period: str, out_path: Path | None, warehouse: Path | None, out: TextIO, err: TextIO
) -> int:
    """Print the period's report (and write the CSV); 0, or 2 with the reason when there is nothing to report."""
    read, path = marts_reader(config, warehouse)
    if read is None:
        print(f"trustqa dsa-report: no marts at {path}; run `trustqa materialize` first", file=err)
        return 2
    if REPORT not in marts_tables(read):
        print(f"trustqa dsa-report: no marts.{REPORT}; run `trustqa materialize` to build it", file=err)
        return 2
    try:
        rows = load_report(read, period)
    except NoReport as missing:
        print(f"trustqa dsa-report: {missing}", file=err)
        return 2
    print(report_text(rows), end="", file=out)
    if out_path is not None:
        write_atomically(out_path, report_csv(rows))
        print(f"\n{len(rows)} rows written to {out_path}", file=out)
    return 0
