"""Weekly trends of the headline metrics with 95% intervals, from the daily marts' numerators and denominators.

Each rate is re-aggregated the way docs/metrics.md ("Rates") asks: the
numerator and denominator summed over the ISO week's seven days (weeks are
made here, in Python, so the SQL stays the same on DuckDB and Snowflake),
then divided, with a 95% Wilson interval. The QA score is a mean, which a
daily mean cannot be pooled into without the scores' spread: its weeks come
from ``fct_metric_shifts_weekly`` (slice ``all``: the same reviews, with their
standard deviation), with a normal interval, mean ± 1.96 standard errors.

Enforcement cohorts younger than 30 days are not final (``is_mature``
false): their reversals are still coming. A week with any such day is
marked not final, and the chart shades it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dagster_project.insights.mart_reader import Read, date_literal, monday_of, optional_float
from dagster_project.scorecard.stats import mean_interval, wilson_interval

TREND_WEEKS = 26
WILSON_BAND = "95% Wilson interval"
MEAN_BAND = "95% interval: mean ± 1.96 standard errors (normal approximation)"

# metric -> (mart, numerator, denominator): docs/metrics.md, "Metrics and their units".
RATE_SOURCES = {
    "csat_pct": ("fct_csat_daily", "positive_ratings", "ratings"),
    "policy_adherence_rate": ("fct_qa_scores_daily", "policy_adherent", "policy_reviews"),
    "critical_error_rate": ("fct_qa_scores_daily", "critical_errors", "reviews"),
    "appeal_overturn_rate": ("fct_appeal_outcomes_daily", "overturned + partially_overturned", "decided"),
    "wrongful_enforcement_rate": ("fct_enforcement_outcomes_daily", "reversed", "actions"),
    "first_reply_sla_attainment": ("fct_ticket_sla_daily", "replied_within_sla", "sla_due"),
}
# marts with a maturity flag: a day whose flag is false is not final
MATURITY_COLUMNS = {"fct_enforcement_outcomes_daily": "is_mature"}


@dataclass(frozen=True)
class TrendPoint:
    week_start: dt.date
    n: int
    value: float
    low: float | None
    high: float | None
    is_final: bool = True


@dataclass(frozen=True)
class Trend:
    metric: str
    points: list[TrendPoint]
    band: str  # how the interval is computed, said under the chart


def window(week: dt.date, weeks: int = TREND_WEEKS) -> tuple[dt.date, dt.date]:
    """The first and last day of the ``weeks`` weeks ending with the week of Monday ``week``."""
    return week - dt.timedelta(weeks=weeks - 1), week + dt.timedelta(days=6)


def weekly_rates(rows: Iterable[dict[str, Any]], first: dt.date, last: dt.date) -> list[TrendPoint]:
    """Daily rows (``day``, ``x`` successes, ``n`` trials, optional ``final`` 1/0) as weekly rates.

    Days outside ``first`` .. ``last`` or without a day are left out; a week without trials has no point.
    """
    weeks: dict[dt.date, list[float]] = {}
    for row in rows:
        day = row["day"]
        if day is None or not first <= day <= last:
            continue
        sums = weeks.setdefault(monday_of(day), [0.0, 0.0, 1.0])
        sums[0] += float(row["x"] or 0)
        sums[1] += float(row["n"] or 0)
        if row.get("final") is not None:
            sums[2] = min(sums[2], float(row["final"]))
    points = []
    for week_start, (x, n, final) in sorted(weeks.items()):
        if n <= 0:
            continue
        low, high = wilson_interval(x, n) or (None, None)
        points.append(TrendPoint(week_start, int(n), x / n, low, high, final >= 1.0))
    return points


def weekly_means(rows: Iterable[dict[str, Any]]) -> list[TrendPoint]:
    """Rows of ``fct_metric_shifts_weekly`` (``week_start``, ``n``, ``value``, ``value_sd``) as weekly points."""
    points = []
    for row in sorted(rows, key=lambda r: r["week_start"]):
        value = optional_float(row["value"])
        if value is None:
            continue
        n = int(row["n"] or 0)
        low, high = mean_interval(value, optional_float(row["value_sd"]), n) or (None, None)
        points.append(TrendPoint(row["week_start"], n, value, low, high))
    return points


def rate_sql(mart: str, numerator: str, denominator: str, first: dt.date, last: dt.date) -> str:
    """Daily sums of a rate's numerator and denominator (plain SQL: the same on DuckDB and Snowflake)."""
    maturity = MATURITY_COLUMNS.get(mart)
    final = f", min(case when {maturity} then 1 else 0 end) as final" if maturity else ""
    return (
        f"select day, sum({numerator}) as x, sum({denominator}) as n{final} from marts.{mart} "
        f"where day between {date_literal(first)} and {date_literal(last)} group by day"
    )


def load_trends(read: Read, week: dt.date, tables: set[str], weeks: int = TREND_WEEKS) -> dict[str, Trend]:
    """The trend of every headline metric whose mart exists, over the ``weeks`` weeks ending with ``week``."""
    first, last = window(week, weeks)
    trends = {}
    for metric, (mart, numerator, denominator) in RATE_SOURCES.items():
        if mart in tables:
            rows = read(rate_sql(mart, numerator, denominator, first, last))
            trends[metric] = Trend(metric, weekly_rates(rows, first, last), WILSON_BAND)
    if "fct_metric_shifts_weekly" in tables:
        rows = read(
            "select week_start, n, value, value_sd from marts.fct_metric_shifts_weekly "
            "where metric = 'qa_score' and slice_dimension = 'all' "
            f"and week_start between {date_literal(first)} and {date_literal(week)}"
        )
        trends["qa_score"] = Trend("qa_score", weekly_means(rows), MEAN_BAND)
    return trends
