"""One order of a week's strata: ``trustqa plan``, the scorecard chart and the UI check list them alike."""

from __future__ import annotations

from dagster_project.defs.insight_checks import _shortest_first
from dagster_project.planning.order import shortest_first
from dagster_project.scorecard.charts import sampling_figure
from dagster_project.scorecard.data import Stratum

# (stratum, n_required, n_reviewed, coverage, is_short)
STRATA = [
    ("ticket/general", 50, 60, 1.2, False),
    ("enforcement/other", 0, 3, None, False),  # requires nothing: coverage null, last
    ("ticket/fraud", 80, 20, 0.25, True),
    ("appeal/fraud", 40, 30, 0.75, True),
    ("ticket/billing", 10, 10, 1.0, False),
]
# by hand: short first (0.25 before 0.75), then covered by coverage (1.0, 1.2), then the null coverage
EXPECTED = ["ticket/fraud", "appeal/fraud", "ticket/billing", "ticket/general", "enforcement/other"]


def test_the_key_orders_short_first_then_coverage_with_nothing_required_last() -> None:
    assert [s[0] for s in sorted(STRATA, key=lambda s: shortest_first(s[4], s[3], s[0]))] == EXPECTED


def test_the_ui_check_and_the_scorecard_chart_use_that_order() -> None:
    rows = [
        {"stratum": s, "n_required": req, "n_reviewed": rev, "coverage": cov, "is_short": short}
        for s, req, rev, cov, short in STRATA
    ]
    assert [r["stratum"] for r in _shortest_first(rows)] == EXPECTED
    figure = sampling_figure([Stratum(*s) for s in STRATA])
    assert list(figure.data[0].y) == EXPECTED
