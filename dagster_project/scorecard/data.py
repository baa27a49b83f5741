"""Everything the scorecard shows for a week, read from the marts through one ``read(sql)`` function.

``read`` is :func:`dagster_project.insights.mart_reader.rows_from_duckdb` on a
file or :func:`~dagster_project.insights.mart_reader.rows_from_snowflake`:
the same query layer as ``trustqa shifts``. The SQL is plain (date literals,
sums, no dialect functions), and optional marts (spikes, sampling plan,
calibration) are looked up in ``information_schema`` first, so a section
whose mart does not exist is left out rather than failing the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from dagster_project.dsa.report import REPORT, NoReport, ReportRow, half_year_of, load_report
from dagster_project.insights.mart_reader import Read, date_literal, optional_float
from dagster_project.insights.shift_report import Driver, Shift
from dagster_project.insights.shifts_command import _driver, _shift
from dagster_project.scorecard.trends import Trend, load_trends
from dagster_project.scorecard.wording import Thresholds, long_date

# The headline tiles, in the order the page shows them.
HEADLINE_METRICS = (
    "csat_pct",
    "qa_score",
    "policy_adherence_rate",
    "critical_error_rate",
    "appeal_overturn_rate",
    "wrongful_enforcement_rate",
    "first_reply_sla_attainment",
)
SHIFTS = "fct_metric_shifts_weekly"
DRIVERS = "fct_metric_shift_drivers_weekly"
CALIBRATION_SESSIONS_SHOWN = 12


@dataclass(frozen=True)
class Tile:
    """A headline metric: its slice-``all`` row (None: no row) and a note when the row is not the week's."""

    metric: str
    shift: Shift | None
    note: str = ""


@dataclass(frozen=True)
class Spike:
    day: dt.date
    stream: str
    key: str | None
    events: int
    expected: float
    q_value: float


@dataclass(frozen=True)
class Stratum:
    stratum: str
    n_required: int
    n_reviewed: int
    coverage: float | None
    is_short: bool


@dataclass(frozen=True)
class CalibrationItem:
    session: str
    first_day: dt.date | None  # the session's first calibration review (None: unknown)
    rubric_item: str
    alpha: float | None
    pairable_values: int


@dataclass
class ScorecardData:
    """What the page shows; a section whose mart is missing is None."""

    week: dt.date
    as_of_day: dt.date | None
    thresholds: Thresholds
    tiles: list[Tile]
    shifts: list[Shift]
    drivers: dict[tuple[str, str, str], list[Driver]]
    trends: dict[str, Trend]
    spikes: list[Spike] | None = None
    sampling: list[Stratum] | None = None
    calibration: list[CalibrationItem] | None = None
    dsa_report: list[ReportRow] | None = None  # the DSA report of the week's half-year; [] when it has no rows
    tables: set[str] = field(default_factory=set)


def marts_tables(read: Read) -> set[str]:
    """The tables of schema ``marts`` (lower case), on DuckDB and Snowflake alike."""
    rows = read(
        "select lower(table_name) as table_name from information_schema.tables where lower(table_schema) = 'marts'"
    )
    return {str(r["table_name"]) for r in rows}


def latest_week(read: Read) -> dt.date | None:
    """The latest complete week with shift rows (what ``trustqa shifts`` reports by default)."""
    rows = read(f"select max(week_start) as week_start from marts.{SHIFTS}")
    return rows[0]["week_start"] if rows else None


def load_scorecard(read: Read, week: dt.date, thresholds: Thresholds, tables: set[str]) -> ScorecardData:
    """The week's scorecard data (``week``: a Monday with rows in ``fct_metric_shifts_weekly``)."""
    shifts = [_shift(r) for r in read(f"select * from marts.{SHIFTS} where week_start = {date_literal(week)}")]
    drivers: dict[tuple[str, str, str], list[Driver]] = {}
    if DRIVERS in tables:
        for row in read(f"select * from marts.{DRIVERS} where week_start = {date_literal(week)}"):
            drivers.setdefault((row["metric"], row["slice_dimension"], row["slice_value"]), []).append(_driver(row))
    return ScorecardData(
        week=week,
        as_of_day=_as_of_day(read, tables),
        thresholds=thresholds,
        tiles=_tiles(read, week, shifts),
        shifts=shifts,
        drivers=drivers,
        trends=load_trends(read, week, tables),
        spikes=_spikes(read, week) if "fct_volume_spikes_daily" in tables else None,
        sampling=_sampling(read, week) if "fct_qa_sampling_plan" in tables else None,
        calibration=_calibration(read, week, tables) if "fct_calibration_agreement" in tables else None,
        dsa_report=_dsa_report(read, week) if REPORT in tables else None,
        tables=tables,
    )


def _as_of_day(read: Read, tables: set[str]) -> dt.date | None:
    """The day the data is complete to: the last day of ``dim_date`` (the run's as-of day)."""
    if "dim_date" not in tables:
        return None
    return read("select max(day) as as_of_day from marts.dim_date")[0]["as_of_day"]


def _tiles(read: Read, week: dt.date, shifts: list[Shift]) -> list[Tile]:
    """One tile per headline metric; wrongful enforcement falls back to its latest mature cohort week."""
    overall = {s.metric: s for s in shifts if s.slice_dimension == "all"}
    tiles = []
    for metric in HEADLINE_METRICS:
        if metric in overall or metric != "wrongful_enforcement_rate":
            tiles.append(Tile(metric, overall.get(metric)))
            continue
        rows = read(
            f"select * from marts.{SHIFTS} where metric = '{metric}' and slice_dimension = 'all' "
            f"and week_start < {date_literal(week)} order by week_start desc limit 1"
        )
        if not rows:
            tiles.append(Tile(metric, None, "No enforcement cohort is 30 days old yet, so no rate is final."))
            continue
        mature = _shift(rows[0])
        note = (
            f"Actions taken in the week of {long_date(mature.week_start)}, the latest cohort with 30 days of "
            "appeals and reversals; newer cohorts are not final yet."
        )
        tiles.append(Tile(metric, mature, note))
    return tiles


def _dsa_report(read: Read, week: dt.date) -> list[ReportRow]:
    """The DSA transparency report of the half-year the week starts in (to date while it runs)."""
    try:
        return load_report(read, half_year_of(week))
    except NoReport:
        return []


def _spikes(read: Read, week: dt.date) -> list[Spike]:
    last = week + dt.timedelta(days=6)
    rows = read(
        "select day, stream, key, events, expected, q_value from marts.fct_volume_spikes_daily "
        f"where is_spike and day between {date_literal(week)} and {date_literal(last)} order by day, stream, key"
    )
    return [
        Spike(r["day"], r["stream"], r["key"], int(r["events"]), float(r["expected"]), float(r["q_value"]))
        for r in rows
    ]


def _sampling(read: Read, week: dt.date) -> list[Stratum]:
    rows = read(
        "select stratum, n_required, n_reviewed, coverage, is_short from marts.fct_qa_sampling_plan "
        f"where week_start = {date_literal(week)} order by stratum"
    )
    return [
        Stratum(
            r["stratum"], int(r["n_required"]), int(r["n_reviewed"]), optional_float(r["coverage"]), bool(r["is_short"])
        )
        for r in rows
    ]


def _calibration(read: Read, week: dt.date, tables: set[str]) -> list[CalibrationItem]:
    """Alpha per session and rubric item, for the latest sessions up to the week's end (dated by their reviews)."""
    first_days: dict[str, Any] = {}
    if "fct_qa_reviews" in tables:
        for r in read(
            "select calibration_session_id as session, min(review_day) as first_day from marts.fct_qa_reviews "
            "where is_calibration and calibration_session_id is not null group by calibration_session_id"
        ):
            first_days[r["session"]] = r["first_day"]
    rows = read(
        "select calibration_session_id as session, rubric_item, krippendorff_alpha, pairable_values "
        "from marts.fct_calibration_agreement where calibration_session_id is not null"
    )
    last = week + dt.timedelta(days=6)
    sessions = sorted(
        {r["session"] for r in rows if first_days.get(r["session"]) is None or first_days[r["session"]] <= last},
        key=lambda s: (first_days.get(s) or dt.date.min, s),
    )[-CALIBRATION_SESSIONS_SHOWN:]
    order = {session: i for i, session in enumerate(sessions)}
    items = [
        CalibrationItem(
            r["session"],
            first_days.get(r["session"]),
            r["rubric_item"],
            optional_float(r["krippendorff_alpha"]),
            int(r["pairable_values"] or 0),
        )
        for r in rows
        if r["session"] in order
    ]
    return sorted(items, key=lambda c: (order[c.session], c.rubric_item))
