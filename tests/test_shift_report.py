"""``trustqa shifts`` in words: hand-made shift and driver rows, the sentences written out by hand."""

from __future__ import annotations

import datetime as dt

from dagster_project.insights.shift_report import Driver, Shift, describe_shift, weekly_report

WEEK = dt.date(2026, 11, 23)


def shift(**overrides) -> Shift:
    row = dict(
        week_start=WEEK, metric="qa_score", slice_dimension="category", slice_value="trading_cards", n=412,
        value=69.4, baseline_n=1650, baseline_value=81.9, abs_change=-12.5, rel_change=-12.5 / 81.9,
        p_value=0.00001, q_value=0.0004, is_signal=True,
    )  # fmt: skip
    return Shift(**{**row, **overrides})


def agent(name: str, rate: float, mix: float, rank: int) -> Driver:
    return Driver("agent", name, None, None, mix, rate, rate + mix, rank)


# contributions -5.0, -4.3, -3.2 add up to the change, -12.5. The first two explain 74.4% (>= half): their
# rate effects, -9.0, are 72% of the change; every agent's mix effect, -0.75, is 6%.
AGENTS = [agent("a_0012", -4.8, -0.2, 1), agent("a_0040", -4.2, -0.1, 2), agent("a_0003", -2.75, -0.45, 3)]


def rubric(name: str, base: float, cur: float, q: float | None) -> Driver:
    return Driver("rubric_item", name, base, cur, None, None, None, None, q)


RUBRIC = [rubric("policy_applied_correctly", 0.95, 0.90, 0.3), rubric("resolution_correct", 0.93, 0.71, 0.0021)]


def test_a_signal_in_plain_words_with_its_drivers_and_rubric_item() -> None:
    assert describe_shift(shift(), AGENTS + RUBRIC, 0.05) == (
        "QA score, category trading_cards: 81.9 -> 69.4 (-15.3%, q=0.0004, 412 reviews). "
        "72% of the change comes from agents a_0012 and a_0040 getting worse (rate), "
        "6% from a change in which agents handle the work (mix). "
        "Rubric item that moved: resolution_correct 0.93 -> 0.71 (q=0.0021)."
    )


def test_rubric_items_are_named_as_moved_only_below_the_q_threshold() -> None:
    both = [rubric("policy_applied_correctly", 0.95, 0.80, 0.01), rubric("resolution_correct", 0.93, 0.71, 0.0021)]
    assert describe_shift(shift(), both, 0.05).endswith(
        "Rubric items that moved: resolution_correct 0.93 -> 0.71 (q=0.0021), "
        "policy_applied_correctly 0.95 -> 0.80 (q=0.01)."
    )
    # the larger change is not significant (too few reviews, or untested): it is named as noise, not a mover
    none_moved = [rubric("policy_applied_correctly", 0.95, 0.90, 0.3), rubric("resolution_correct", 0.93, 0.71, None)]
    assert describe_shift(shift(), none_moved, 0.05).endswith(
        "No rubric item moved significantly (largest change: resolution_correct 0.93 -> 0.71)."
    )


def test_a_rate_where_higher_is_worse_and_one_leading_member() -> None:
    # critical errors rise from 2.0% to 3.0% of reviews: worse. One team explains 0.008 of 0.010 (80%)
    rising = shift(
        metric="critical_error_rate", slice_dimension="all", slice_value="all", n=900,
        value=0.03, baseline_value=0.02, abs_change=0.01, rel_change=0.5, q_value=0.012,
    )  # fmt: skip
    teams = [
        Driver("team", "team_b", None, None, 0.001, 0.007, 0.008, 1),
        Driver("team", "team_a", None, None, 0.0, 0.002, 0.002, 2),
    ]
    assert describe_shift(rising, teams, 0.05) == (
        "Critical error rate, all: 2.0% -> 3.0% (+50.0%, q=0.012, 900 reviews). "
        "70% of the change comes from team team_b getting worse (rate), "
        "10% from a change in which teams handle the work (mix)."
    )


def test_a_week_without_a_signal_says_so_plainly() -> None:
    quiet = [shift(is_signal=False, q_value=0.4), shift(is_signal=False, p_value=None, q_value=None)]
    assert weekly_report(WEEK, quiet, {}, 0.05) == (
        "Quality shifts in the week of 2026-11-23 (Monday), against the 4 complete weeks before:\n"
        "No significant shift: none of the 1 tests of this week has a q-value below 0.05 with a large enough "
        "change. Differences that are not significant are noise until more data says otherwise."
    )


def test_the_report_lists_signals_largest_change_first() -> None:
    small = shift(slice_value="coins", rel_change=-0.06, abs_change=-5.0)
    large = shift()
    report = weekly_report(WEEK, [small, large, shift(is_signal=False)], {}, 0.05)
    assert report.splitlines()[0].endswith("2 signals among 3 tests.")
    assert report.index("trading_cards") < report.index("coins")


def test_a_week_without_any_test_says_there_was_not_enough_data() -> None:
    untested = [shift(is_signal=False, p_value=None, q_value=None)]
    assert weekly_report(WEEK, untested, {}, 0.05).splitlines()[1] == (
        "No significant shift: no slice of this week had enough units in the week and in its baseline for a test "
        "(shift_min_n), so nothing can be called a change yet."
    )


def test_trustqa_shifts_reads_the_marts_and_prints_the_report(tmp_path, capsys) -> None:
    import duckdb

    from dagster_project.cli import main

    path = tmp_path / "published.duckdb"  # not marts.duckdb: its catalog would shadow the schema
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_metric_shifts_weekly as select date '2026-11-23' as week_start, "
            "'qa_score' as metric, 'category' as slice_dimension, 'trading_cards' as slice_value, 412 as n, "
            "69.4 as value, 1650 as baseline_n, 81.9 as baseline_value, -12.5 as abs_change, "
            "-12.5 / 81.9 as rel_change, 0.00001 as p_value, 0.0004 as q_value, true as is_signal"
        )
        con.execute(
            "create table marts.fct_metric_shift_drivers_weekly as select * from (values "
            "('agent', 'a_0012', -0.2, -4.8, 1), ('agent', 'a_0040', -0.1, -4.2, 2), ('agent', 'a_0003', -0.45, -2.75, 3)"
            ") as d(driver_dimension, driver_value, mix_effect, rate_effect, rank), "
            "lateral (select date '2026-11-23' as week_start, 'qa_score' as metric, 'category' as slice_dimension, "
            "'trading_cards' as slice_value, mix_effect + rate_effect as contribution, "
            "null::double as base_value, null::double as cur_value)"
        )
    # any day of the week selects its Monday
    assert main(["shifts", "--warehouse", str(path), "--week", "2026-11-26"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith("1 signal among 1 tests.")
    assert "72% of the change comes from agents a_0012 and a_0040 getting worse (rate)" in out
    assert main(["shifts", "--warehouse", str(tmp_path / "missing.duckdb")]) == 2
    assert main(["shifts", "--warehouse", str(path), "--week", "2026-11-02"]) == 2  # a week without shifts
