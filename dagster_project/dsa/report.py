"""The DSA transparency report of one period, from ``marts.fct_dsa_transparency_report``: text and CSV.

The mart holds every figure (docs/dsa.md "The transparency report"); this
module only orders, labels and formats them. A period is a calendar month
(``2026-11``) or half-year (``2026-H2``). The CSV has one row per metric and
breakdown, in the order of the printed report, with the mart's columns and
a label, so it can be pasted into the Commission's templates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any

from dagster_project.insights.mart_reader import Read, optional_float

REPORT = "fct_dsa_transparency_report"
PERIOD_PATTERN = re.compile(r"^(?P<year>\d{4})-(?:H(?P<half>[12])|(?P<month>0[1-9]|1[0-2]))$")

# (metric, label, section), in the report's order
METRICS = (
    ("notices_received", "Notices received", "Notices (Art. 16)"),
    ("actions_on_notices", "Actions taken on notices", "Notices (Art. 16)"),
    ("own_initiative_actions", "Actions taken on the platform's own initiative", "Own-initiative moderation"),
    ("actions_taken", "All moderation actions, by use of automated means", "Own-initiative moderation"),
    ("suspensions", "Account suspensions", "Suspensions (Art. 23)"),
    ("complaints_received", "Complaints received", "Complaints (Art. 20)"),
    ("complaints_decided", "Complaints decided", "Complaints (Art. 20)"),
    ("complaints_upheld", "Decisions upheld (complaint rejected)", "Complaints (Art. 20)"),
    ("complaints_reversed", "Decisions reversed (overturned or partially)", "Complaints (Art. 20)"),
    ("complaints_pending_at_period_end", "Complaints pending at the period's end", "Complaints (Art. 20)"),
    ("median_days_to_decide_complaint", "Median time to decide a complaint (days)", "Complaints (Art. 20)"),
    ("automated_decisions", "Fully automated decisions", "Automated means (Art. 15(1)(e))"),
    ("automated_decisions_reversed", "Automated decisions reversed since", "Automated means (Art. 15(1)(e))"),
    (
        "automated_decision_reversal_rate",
        "Share of automated decisions reversed (accuracy indicator)",
        "Automated means (Art. 15(1)(e))",
    ),
)
LABELS = {metric: label for metric, label, _ in METRICS}
SECTIONS = {metric: section for metric, _, section in METRICS}
ORDER = {metric: i for i, (metric, _, _) in enumerate(METRICS)}
# the totals the weekly scorecard shows for the half-year (the whole report is the CSV it links)
SCORECARD_METRICS = (
    "notices_received", "actions_on_notices", "own_initiative_actions", "suspensions", "complaints_received",
    "complaints_decided", "complaints_reversed", "complaints_pending_at_period_end",
    "median_days_to_decide_complaint", "automated_decision_reversal_rate",
)  # fmt: skip
CSV_COLUMNS = (
    "period", "period_start", "period_end", "is_complete", "is_mature", "section", "metric", "label",
    "breakdown", "breakdown_value", "unit", "value", "numerator", "denominator", "ci_low", "ci_high",
)  # fmt: skip


class NoReport(Exception):
    """No rows for the period: says which periods the mart holds."""


@dataclass(frozen=True)
class ReportRow:
    period: str
    period_start: dt.date
    period_end: dt.date
    is_complete: bool
    is_mature: bool
    metric: str
    breakdown: str
    breakdown_value: str
    unit: str
    value: float | None
    numerator: int | None
    denominator: int | None
    ci_low: float | None
    ci_high: float | None


def parse_period(text: str) -> str:
    """``text`` when it is a period label (``YYYY-MM`` or ``YYYY-H1``/``H2``); ValueError otherwise."""
    if not PERIOD_PATTERN.match(text):
        raise ValueError(f"{text!r} is not a period: YYYY-MM for a month or YYYY-H1 / YYYY-H2 for a half-year")
    return text


def csv_file_name(period: str) -> str:
    """The report's CSV beside the scorecard pages."""
    return f"dsa-report-{period}.csv"


def status_text(first: ReportRow) -> str:
    """Whether the period's figures are final, in words."""
    if not first.is_complete:
        return "not complete: the period has not ended, figures will grow"
    if not first.is_mature:
        return "complete, not mature: reversals of its last 30 days of actions may still come"
    return "complete and mature"


def half_year_of(day: dt.date) -> str:
    """The label of the calendar half-year ``day`` is in."""
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _row(r: dict[str, Any]) -> ReportRow:
    return ReportRow(
        r["period"],
        r["period_start"],
        r["period_end"],
        bool(r["is_complete"]),
        bool(r["is_mature"]),
        r["metric"],
        r["breakdown"],
        r["breakdown_value"],
        r["unit"],
        optional_float(r["value"]),
        _optional_int(r["numerator"]),
        _optional_int(r["denominator"]),
        optional_float(r["ci_low"]),
        optional_float(r["ci_high"]),
    )


def _sort_key(row: ReportRow) -> tuple:
    """Report order: metric, its total first, then each breakdown's members largest first."""
    is_breakdown = row.breakdown != "total"
    return (ORDER.get(row.metric, len(ORDER)), row.metric, is_breakdown, row.breakdown, -(row.value or 0.0),
            row.breakdown_value)  # fmt: skip


def load_report(read: Read, period: str) -> list[ReportRow]:
    """The period's rows in report order; :class:`NoReport` naming the periods there are when it has none."""
    rows = [_row(r) for r in read(f"select * from marts.{REPORT} where period = '{parse_period(period)}'")]
    if not rows:
        periods = sorted({r["period"] for r in read(f"select distinct period from marts.{REPORT}")})
        there = ", ".join(periods) if periods else "none (no exports loaded)"
        raise NoReport(f"no transparency report rows for {period}; the marts hold the periods {there}")
    return sorted(rows, key=_sort_key)


def format_value(row: ReportRow) -> tuple[str, str]:
    """A figure as a person reads it, and what qualifies it: counts whole, days to two decimals, a share as a
    percentage with its interval and counts."""
    if row.value is None:
        return "n/a", "(nothing to measure in the period)"
    if row.unit == "count":
        return f"{row.value:,.0f}", ""
    if row.unit == "days":
        return f"{row.value:.2f}", ""
    interval = (
        f"95% interval {row.ci_low:.1%} to {row.ci_high:.1%}; "
        if row.ci_low is not None and row.ci_high is not None
        else ""
    )
    return f"{row.value:.1%}", f"({interval}{row.numerator:,} of {row.denominator:,})"


def report_text(rows: list[ReportRow]) -> str:
    """The report as text: a heading, then each section's figures (value first), breakdowns indented."""
    first = rows[0]
    lines: list[str | tuple[str, str]] = [
        f"EU DSA transparency report {first.period} ({first.period_start} to {first.period_end}): {status_text(first)}",
        "Definitions: docs/dsa.md, 'The transparency report'.",
    ]
    section = None
    for row in rows:
        if SECTIONS.get(row.metric) != section:
            section = SECTIONS.get(row.metric, "Other")
            lines += ["", section]
        figure, detail = format_value(row)
        label = (
            LABELS.get(row.metric, row.metric)
            if row.breakdown == "total"
            else f"  {row.breakdown}: {row.breakdown_value}"
        )
        lines.append((figure, f"{label} {detail}".rstrip()))
    width = max(len(line[0]) for line in lines if isinstance(line, tuple))
    return "\n".join(line if isinstance(line, str) else f"  {line[0]:>{width}}  {line[1]}" for line in lines) + "\n"


def _csv_value(row: ReportRow) -> str:
    if row.value is None:
        return ""
    return f"{row.value:.0f}" if row.unit == "count" else repr(row.value)


def report_csv(rows: list[ReportRow]) -> str:
    """One line per metric and breakdown in report order; counts as whole numbers, empty where there is no value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.period, row.period_start.isoformat(), row.period_end.isoformat(), str(row.is_complete).lower(),
                str(row.is_mature).lower(), SECTIONS.get(row.metric, ""), row.metric, LABELS.get(row.metric, ""),
                row.breakdown, row.breakdown_value, row.unit, _csv_value(row),
                "" if row.numerator is None else row.numerator, "" if row.denominator is None else row.denominator,
                "" if row.ci_low is None else repr(row.ci_low), "" if row.ci_high is None else repr(row.ci_high),
            ]
        )  # fmt: skip
    return buffer.getvalue()
