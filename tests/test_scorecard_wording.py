"""The scorecard's words: hand-made headline rows, the tile sentences written out by hand; the glossary against
docs/metrics.md."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dagster_project.insights.shift_report import Shift
from dagster_project.scorecard.glossary import GLOSSARY, glossary
from dagster_project.scorecard.wording import Thresholds, change_text, headline_markdown, q_text, tile_text
from dagster_project.settings import PROJECT_ROOT

WEEK = dt.date(2026, 11, 2)
THRESHOLDS = Thresholds(max_q=0.05, min_rel_change=0.05, min_n=30, baseline_weeks=4)
SPIKES = {"spike_q": 0.05, "spike_min": 5, "spike_ratio": 1.5}


def row(metric: str, value: float, baseline: float | None, q: float | None, signal: bool = False, **kw) -> Shift:
    """A slice-``all`` row of fct_metric_shifts_weekly; abs and rel change worked out from the two values."""
    fields = dict(
        week_start=WEEK, metric=metric, slice_dimension="all", slice_value="all", n=400, value=value,
        baseline_n=1600, baseline_value=baseline,
        abs_change=None if baseline is None else value - baseline,
        rel_change=None if not baseline else (value - baseline) / baseline,
        p_value=q, q_value=q, is_signal=signal,
    )  # fmt: skip
    return Shift(**{**fields, **kw})


def test_a_significant_drop_where_higher_is_better_is_worse() -> None:
    # CSAT 78.0% -> 70.0%: -8.0 points, -8 / 78 = -10.3%
    text = tile_text(row("csat_pct", 0.70, 0.78, 0.003, signal=True), THRESHOLDS)
    assert (text.value, text.baseline, text.change) == (
        "70.0%",
        "Trailing 4 weeks: 78.0%",
        "▼ 8.0 percentage points (-10.3%)",
    )
    assert (text.verdict, text.badge) == ("worse", "Significantly worse")
    assert text.sentence == "Significant change: lower than the trailing 4 weeks, which is worse (q = 0.003)."


def test_a_significant_rise_where_higher_is_worse_is_worse() -> None:
    # critical errors 5.0% -> 8.0%: +3.0 points, +60%; a tiny q is shown as "< 0.001"
    text = tile_text(row("critical_error_rate", 0.08, 0.05, 0.0004, signal=True), THRESHOLDS)
    assert text.change == "▲ 3.0 percentage points (+60.0%)"
    assert text.verdict == "worse"
    assert text.sentence == "Significant change: higher than the trailing 4 weeks, which is worse (q < 0.001)."


def test_a_significant_rise_where_higher_is_better_is_better() -> None:
    # first-reply SLA 82.0% -> 90.0%: +8.0 points, 8 / 82 = +9.8%
    text = tile_text(row("first_reply_sla_attainment", 0.90, 0.82, 0.02, signal=True), THRESHOLDS)
    assert text.change == "▲ 8.0 percentage points (+9.8%)"
    assert (text.verdict, text.badge) == ("better", "Significantly better")
    assert text.sentence == "Significant change: higher than the trailing 4 weeks, which is better (q = 0.02)."


def test_a_change_within_noise_is_not_called_significant() -> None:
    # policy adherence 91.0% -> 88.0%: -3.0 points, -3.3%, q = 0.41
    text = tile_text(row("policy_adherence_rate", 0.88, 0.91, 0.41), THRESHOLDS)
    assert text.change == "▼ 3.0 percentage points (-3.3%)"
    assert (text.verdict, text.badge) == ("noise", "No significant change")
    assert text.sentence == "No significant change (q = 0.41): within the usual week-to-week noise."


def test_a_clear_but_small_change_is_said_as_such() -> None:
    # the sample's QA score in the week of 2026-11-02: 85.30 -> 82.06, -3.8%, q = 0.0137 below 0.05 but under 5%
    text = tile_text(row("qa_score", 82.06, 85.30, 0.0137), THRESHOLDS)
    assert (text.value, text.baseline, text.change) == ("82.1", "Trailing 4 weeks: 85.3", "▼ 3.2 points (-3.8%)")
    assert (text.verdict, text.badge) == ("small", "Small change")
    assert text.sentence == (
        "Too small to count as a change: the difference (-3.8%) is under the 5% a change must reach, "
        "though unlikely to be chance alone (q = 0.014)."
    )


def test_no_test_says_why() -> None:
    too_few = row("appeal_overturn_rate", 0.28, 0.25, None, n=18, baseline_n=90)
    assert tile_text(too_few, THRESHOLDS).sentence == (
        "Not tested: too few decided appeals (18 this week, 90 in the trailing 4 weeks; the test needs 30 on each "
        "side), so the change cannot be told from chance."
    )
    assert tile_text(too_few, THRESHOLDS).badge == "Not tested"
    flat = row("critical_error_rate", 0.0, 0.0, None)  # no error on either side: a standard error of 0
    assert (
        tile_text(flat, THRESHOLDS).sentence
        == "Not tested: no variation in either period, so there is nothing to test."
    )
    new = row("csat_pct", 0.75, None, None, baseline_n=0)
    assert (tile_text(new, THRESHOLDS).change, tile_text(new, THRESHOLDS).sentence) == (
        "No comparison",
        "Not tested: nothing in the trailing 4 weeks to compare with.",
    )
    missing = tile_text(None, THRESHOLDS)
    assert (missing.value, missing.badge, missing.sentence) == ("n/a", "No data", "No data for this week.")


def test_q_values_and_changes_as_people_read_them() -> None:
    assert [q_text(q) for q in (0.41, 0.05, 0.0137, 0.001, 0.00099)] == [
        "q = 0.41",
        "q = 0.05",
        "q = 0.014",
        "q = 0.001",
        "q < 0.001",
    ]
    assert change_text(row("csat_pct", 0.78, 0.78, 0.9)) == "= 0.0 percentage points (+0.0%)"
    assert change_text(row("csat_pct", 0.10, 0.0, 0.01)) == "▲ 10.0 percentage points"  # no relative change from 0


def test_the_headline_markdown_has_one_row_per_tile_with_its_note() -> None:
    rows = [
        ("qa_score", row("qa_score", 82.06, 85.30, 0.0137), ""),
        ("wrongful_enforcement_rate", None, "No enforcement cohort is 30 days old yet, so no rate is final."),
    ]
    assert headline_markdown(rows, THRESHOLDS).splitlines() == [
        "| metric | week | value | trailing 4 weeks | change | verdict |",
        "|---|---|---|---|---|---|",
        "| QA score | 2026-11-02 | 82.1 | 85.3 | ▼ 3.2 points (-3.8%) | Too small to count as a change: the "
        "difference (-3.8%) is under the 5% a change must reach, though unlikely to be chance alone (q = 0.014). |",
        "| Wrongful enforcement rate |  | n/a |  |  | No data for this week. No enforcement cohort is 30 days old "
        "yet, so no rate is final. |",
    ]


# --- the glossary and docs/metrics.md ------------------------------------------------------------------------


def metrics_sections() -> dict[str, str]:
    """Every heading of docs/metrics.md and its text, up to the next heading of any level."""
    text = (PROJECT_ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    parts = re.split(r"^#{2,4} (.+)$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


@pytest.mark.parametrize("entry", GLOSSARY, ids=lambda e: e.term)
def test_each_glossary_entry_cites_a_metrics_md_section_that_defines_its_column(entry) -> None:
    sections = metrics_sections()
    assert entry.section in sections, f"{entry.term}: no section {entry.section!r} in docs/metrics.md"
    assert entry.column in sections[entry.section], f"{entry.term}: {entry.column!r} not in {entry.section!r}"


def test_the_glossary_covers_every_headline_metric_and_fills_in_the_thresholds() -> None:
    from dagster_project.insights.metric_labels import label_of
    from dagster_project.scorecard.data import HEADLINE_METRICS

    entries = {term: (meaning, section) for term, meaning, section in glossary(THRESHOLDS, SPIKES)}
    assert {label_of(m).name for m in HEADLINE_METRICS} <= entries.keys()
    assert "Trailing 4 weeks" in entries
    significant = entries["Significant"][0]
    assert "(q-value below 0.05)" in significant and "at least 5% of the earlier value" in significant
    assert "{" not in "".join(meaning for meaning, _ in entries.values())


def test_the_thresholds_are_the_dbt_vars() -> None:
    assert Thresholds.from_dbt_project() == THRESHOLDS
