"""``trustqa plan`` in words: hand-made plan rows, the text written out by hand."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.planning.plan_report import PlanLine, closing_sentence, plan_report

CURRENT = dt.date(2026, 11, 16)
LAST = dt.date(2026, 11, 9)


def line(stratum: str, population: float, p_hat: float, required: int, reviewed: int, **more) -> PlanLine:
    """A plan row of the current week at ±5 points and 95%; coverage and shortness follow from the counts."""
    return PlanLine(
        week_start=more.pop("week_start", CURRENT),
        stratum=stratum,
        is_current_week=more.pop("is_current_week", True),
        population_n=population,
        p_hat=p_hat,
        margin=0.05,
        confidence=0.95,
        n_required=required,
        n_reviewed=reviewed,
        achieved_margin=more.pop("achieved_margin", None),
        coverage=reviewed / required if required else None,
        is_short=reviewed < required,
        **more,
    )


CURRENT_WEEK = [
    line("ticket/general", 129.5, 0.5, 98, 15, achieved_margin=0.225767),  # coverage 15/98 = 15%, 83 short
    line("ticket/fraud", 108.0, 0.885942, 64, 70, achieved_margin=0.07),  # 70/64 = 109%
    line("enforcement/fraud", 12.5, 0.5, 12, 0),  # no review yet: 0%, no margin, 12 short
    line("appeal/other", 0.0, 0.5, 0, 0),  # nothing required: no coverage
]


def test_the_current_week_short_strata_first_by_coverage() -> None:
    assert plan_report(CURRENT_WEEK) == "\n".join(
        [
            "QA sampling plan for the week of 2026-11-16 (the current week): a margin of ±5.0 points at 95% "
            "confidence per stratum; population: the average of the (up to 4) weeks before it, as this week is not "
            "over.",
            "  stratum                              population p_hat required reviewed coverage  margin",
            "  enforcement/fraud                          12.5  0.50       12        0       0%       -  short",
            "  ticket/general                            129.5  0.50       98       15      15%   ±22.6  short",
            "  ticket/fraud                                108  0.89       64       70     109%    ±7.0",
            "  appeal/other                                  0  0.50        0        0        -       -",
            "2 of 4 strata are short of their required reviews; they need 95 more in total.",  # 12 + 83
        ]
    )


def test_a_complete_week_with_the_weekly_capacity_allocated() -> None:
    week = dict(week_start=LAST, is_current_week=False, allocated_overall_margin=0.031982)
    rows = [
        line(
            "ticket/trust_safety",
            135.0,
            0.902637,
            68,
            70,
            achieved_margin=0.1,
            n_allocated=43,
            allocated_margin=0.091091,
            **week,
        ),
        line(
            "ticket/other",
            10.0,
            0.5,
            11,
            2,
            achieved_margin=0.405469,
            n_allocated=10,
            allocated_margin=0.263407,
            **week,
        ),
    ]
    assert plan_report(rows) == "\n".join(
        [
            "QA sampling plan for the week of 2026-11-09: a margin of ±5.0 points at 95% confidence per stratum; "
            "population: the cases closed in the week.",
            "Weekly capacity allocated by Neyman allocation: 53 reviews, an overall margin of ±3.2 points.",
            "  stratum                              population p_hat required reviewed coverage  margin      allocated",
            "  ticket/other                                 10  0.50       11        2      18%   ±40.5     10 (±26.3)  short",
            "  ticket/trust_safety                         135  0.90       68       70     103%   ±10.0      43 (±9.1)",
            "1 of 2 strata is short of its required reviews; it needs 9 more.",
        ]
    )


def test_a_week_without_a_short_stratum_says_so() -> None:
    assert (
        closing_sentence([line("ticket/fraud", 108.0, 0.9, 64, 70)]) == "No stratum is short of its required reviews."
    )


PLAN_COLUMNS = (
    "week_start date, stratum varchar, case_type varchar, is_current_week boolean, population_n double, "
    "p_hat double, p_hat_reviews bigint, margin double, confidence double, n_required bigint, n_reviewed bigint, "
    "achieved_margin double, coverage double, is_short boolean, n_allocated bigint, allocated_margin double, "
    "allocated_overall_margin double"
)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A published copy with two weeks of a one-stratum plan, the later one current."""
    path = tmp_path_factory.mktemp("plan") / "published.duckdb"  # not marts.duckdb: it would shadow the schema
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(f"create table marts.fct_qa_sampling_plan ({PLAN_COLUMNS})")
        con.execute(
            "insert into marts.fct_qa_sampling_plan values "
            "('2026-11-09', 'ticket/other', 'ticket', false, 9, 0.5, 12, 0.05, 0.95, 9, 9, 0.3, 1.0, false, "
            "null, null, null), "
            "('2026-11-16', 'ticket/other', 'ticket', true, 10.5, 0.5, 25, 0.05, 0.95, 11, 2, 0.405469, "
            "0.181818, true, null, null, null)"
        )
    return path


def test_trustqa_plan_reads_the_current_week_by_default(published, capsys) -> None:
    assert main(["plan", "--warehouse", str(published)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("QA sampling plan for the week of 2026-11-16 (the current week)")
    assert out[2] == "  ticket/other                               10.5  0.50       11        2      18%   ±40.5  short"
    assert out[3] == "1 of 1 strata is short of its required reviews; it needs 9 more."


def test_trustqa_plan_takes_any_day_of_a_week(published, capsys) -> None:
    assert main(["plan", "--warehouse", str(published), "--week", "2026-11-12"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("QA sampling plan for the week of 2026-11-09: ")
    assert out[-1] == "No stratum is short of its required reviews."


def test_trustqa_plan_says_when_there_is_nothing_to_read(published, tmp_path, capsys) -> None:
    assert main(["plan", "--warehouse", str(published), "--week", "2026-10-01"]) == 2
    assert capsys.readouterr().err == (
        "trustqa plan: no plan rows for the week of 2026-09-28 in marts.fct_qa_sampling_plan "
        "(its weeks: 2026-11-09 .. 2026-11-16)\n"
    )
    assert main(["plan", "--warehouse", str(tmp_path / "none.duckdb")]) == 2
    assert capsys.readouterr().err.startswith("trustqa plan: no marts at ")
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert main(["plan", "--warehouse", str(empty)]) == 2
    assert capsys.readouterr().err == f"trustqa plan: no marts.fct_qa_sampling_plan in {empty}; run `trustqa materialize` first\n"  # fmt: skip
    assert main(["plan", "--warehouse", str(published), "--week", "16.11.2026"]) == 2
