"""The scorecard's intervals and weekly trends: reference values from the literature, weeks summed by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from dagster_project.scorecard.stats import mean_interval, wilson_interval
from dagster_project.scorecard.trends import TrendPoint, weekly_means, weekly_rates, window

# Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of seven methods",
# Statistics in Medicine 17, 857-872, Table II, method 3 (the Wilson score interval without continuity
# correction), to the four decimals printed there (statsmodels' proportion_confint(x, n, method="wilson") is the
# same interval).
NEWCOMBE = [
    ((81, 263), (0.2553, 0.3662)),
    ((15, 148), (0.0624, 0.1605)),
    ((0, 20), (0.0, 0.1611)),
    ((1, 29), (0.0061, 0.1718)),
]


@pytest.mark.parametrize(("trial", "expected"), NEWCOMBE, ids=lambda v: str(v))
def test_the_wilson_interval_matches_newcombe(trial, expected) -> None:
    low, high = wilson_interval(*trial)
    assert low == pytest.approx(expected[0], abs=5e-5)
    assert high == pytest.approx(expected[1], abs=5e-5)


def test_the_wilson_interval_is_clamped_and_absent_without_trials() -> None:
    assert wilson_interval(0, 20)[0] == 0.0  # computes as -1.4e-17
    assert wilson_interval(20, 20)[1] == 1.0
    assert wilson_interval(0, 0) is None


def test_the_mean_interval_is_the_normal_approximation() -> None:
    # 80 ± 1.96 * 12 / √144 = 80 ± 1.96
    assert mean_interval(80.0, 12.0, 144) == pytest.approx((78.04, 81.96))
    assert mean_interval(80.0, None, 144) is None
    assert mean_interval(80.0, 12.0, 1) is None


def day(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso)


def test_daily_rows_are_summed_into_iso_weeks_before_dividing() -> None:
    first, last = window(day("2026-11-02"), weeks=2)
    assert (first, last) == (day("2026-10-26"), day("2026-11-08"))
    rows = [
        {"day": day("2026-10-25"), "x": 50, "n": 50},  # a Sunday before the window: left out
        {"day": day("2026-10-26"), "x": 1, "n": 10},  # Monday of the first week
        {"day": day("2026-11-01"), "x": 80, "n": 90},  # its Sunday: the week is 81 / 100, not the mean of rates
        {"day": day("2026-11-04"), "x": 0, "n": 0},  # a day without trials
        {"day": None, "x": 3, "n": 3},  # the null day: no week
    ]
    points = weekly_rates(rows, first, last)
    assert [(p.week_start, p.n, p.value, p.is_final) for p in points] == [(day("2026-10-26"), 100, 0.81, True)]
    low, high = wilson_interval(81, 100)
    assert (points[0].low, points[0].high) == (low, high)


def test_a_week_with_a_day_not_mature_is_not_final() -> None:
    first, last = window(day("2026-11-02"), weeks=2)
    rows = [
        {"day": day("2026-10-26"), "x": 1, "n": 10, "final": 1},
        {"day": day("2026-11-01"), "x": 1, "n": 10, "final": 1},
        {"day": day("2026-11-02"), "x": 1, "n": 10, "final": 1},
        {"day": day("2026-11-08"), "x": 1, "n": 10, "final": 0},
    ]
    assert [p.is_final for p in weekly_rates(rows, first, last)] == [True, False]


def test_weekly_means_come_with_their_normal_band() -> None:
    rows = [
        {"week_start": day("2026-11-02"), "n": 144, "value": 80.0, "value_sd": 12.0},
        {"week_start": day("2026-10-26"), "n": 1, "value": 70.0, "value_sd": None},
        {"week_start": day("2026-10-19"), "n": 0, "value": None, "value_sd": None},
    ]
    assert weekly_means(rows) == [
        TrendPoint(day("2026-10-26"), 1, 70.0, None, None),
        TrendPoint(day("2026-11-02"), 144, 80.0, pytest.approx(78.04), pytest.approx(81.96)),
    ]
