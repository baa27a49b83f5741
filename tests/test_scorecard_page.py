"""The weekly scorecard page end to end, from small hand-made marts (no dbt run, so it works in a fresh clone).

The marts hold only the columns the page reads, with values chosen so every
section has something to show: a signal with its drivers, a change too
small to count, an untested metric, wrongful enforcement with immature
cohorts, two spikes, a short sampling stratum and three calibration
sessions. ``trustqa report``'s function builds the page; the asset builds
it in-process; headless Chromium opens it with the network closed and
checks every chart is drawn (screenshots in ``tests/output/scorecard/``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import duckdb
import pytest

from dagster_project.scorecard.command import run_report
from dagster_project.settings import Settings
from tests.ui_server import CHROMIUM_ARGS, ensure_chromium

WEEK = dt.date(2026, 11, 2)  # the latest complete week
AS_OF = dt.date(2026, 11, 14)
FIRST_DAY = dt.date(2026, 8, 31)
SCREENSHOTS = Path(__file__).parent / "output" / "scorecard"
FIVE_MB = 5_000_000
CHARTS = 10  # seven trends, spikes, sampling, calibration
ALL_DRAWN_JS = (
    "() => Array.from(document.querySelectorAll('.plotly-graph-div')).every(d => d.querySelector('.main-svg'))"
)


def create(con: duckdb.DuckDBPyConnection, name: str, columns: str, rows: list[tuple]) -> None:
    con.execute(f"create table marts.{name} ({columns})")
    if rows:
        con.executemany(f"insert into marts.{name} values ({', '.join('?' * len(rows[0]))})", rows)


def shift_row(week, metric, n, value, baseline_n, baseline, q, signal=False, slice_=("all", "all"), sd=None):
    change = value - baseline
    return (week, metric, *slice_, n, value, sd, baseline_n, baseline, change, change / baseline, q, q, signal)


SHIFTS = [
    shift_row(WEEK, "csat_pct", 160, 0.70, 600, 0.78, 0.003, signal=True),
    shift_row(WEEK, "qa_score", 450, 82.06, 1700, 85.30, 0.0137, sd=15.0),
    shift_row(WEEK, "policy_adherence_rate", 190, 0.88, 750, 0.91, 0.41),
    shift_row(WEEK, "critical_error_rate", 450, 0.049, 1700, 0.051, 0.98),
    shift_row(WEEK, "appeal_overturn_rate", 18, 0.28, 90, 0.25, None),
    shift_row(WEEK, "first_reply_sla_attainment", 600, 0.81, 2400, 0.83, 0.9),
    shift_row(WEEK, "qa_score", 130, 74.9, 500, 84.9, 9.3e-6, signal=True, slice_=("category", "trading_cards")),
    # wrongful enforcement: only mature cohort weeks (30 days before the as-of day) have rows
    shift_row(dt.date(2026, 10, 5), "wrongful_enforcement_rate", 51, 0.039, 200, 0.08, 0.32),
    *[
        shift_row(WEEK - dt.timedelta(weeks=k), "qa_score", 400, 85.0 + k / 4, 1600, 85.0, 0.5, sd=15.0)
        for k in range(1, 9)
    ],
]
# contributions -5.3, -3.2, -1.5 add up to the change, -10.0; the first explains 53% (>= half), its rate effect
# is 50% of the change; the three mix effects, -0.8, are 8%
DRIVERS = [
    ("agent", "ag_0029", None, None, -0.3, -5.0, -5.3, 1, None),
    ("agent", "ag_0001", None, None, -0.2, -3.0, -3.2, 2, None),
    ("agent", "ag_0023", None, None, -0.3, -1.2, -1.5, 3, None),
    ("rubric_item", "resolution_correct", 0.92, 0.45, None, None, None, None, 2.9e-30),
]


def days() -> list[dt.date]:
    return [FIRST_DAY + dt.timedelta(days=i) for i in range((AS_OF - FIRST_DAY).days + 1)]


def build_marts(path: Path, optional: bool = True) -> Path:
    """Hand-made marts in ``path`` (not named marts.duckdb: its catalog would shadow the schema)."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        create(
            con,
            "fct_metric_shifts_weekly",
            "week_start date, metric varchar, slice_dimension varchar, slice_value varchar, n bigint, value double, "
            "value_sd double, baseline_n bigint, baseline_value double, abs_change double, rel_change double, "
            "p_value double, q_value double, is_signal boolean",
            SHIFTS,
        )
        slice_ = (WEEK, "qa_score", "category", "trading_cards")
        create(
            con,
            "fct_metric_shift_drivers_weekly",
            "week_start date, metric varchar, slice_dimension varchar, slice_value varchar, driver_dimension varchar, "
            "driver_value varchar, base_value double, cur_value double, mix_effect double, rate_effect double, "
            "contribution double, rank integer, q_value double",
            [(*slice_, *d) for d in DRIVERS],
        )
        create(
            con,
            "fct_csat_daily",
            "day date, ratings bigint, positive_ratings bigint",
            [(d, 20 + i % 5, 15 + i % 3) for i, d in enumerate(days())],
        )
        create(
            con,
            "fct_qa_scores_daily",
            "day date, reviews bigint, critical_errors bigint, policy_reviews bigint, policy_adherent bigint",
            [(d, 60, i % 4, 25, 22 + i % 3) for i, d in enumerate(days())],
        )
        create(
            con,
            "fct_appeal_outcomes_daily",
            "day date, decided bigint, overturned bigint, partially_overturned bigint",
            [(d, 3 + i % 2, i % 2, 0 if i % 3 else 1) for i, d in enumerate(days())],
        )
        create(
            con,
            "fct_enforcement_outcomes_daily",
            "day date, actions bigint, reversed bigint, is_mature boolean",
            [(d, 8, i % 2, d + dt.timedelta(days=30) <= AS_OF) for i, d in enumerate(days())],
        )
        create(
            con,
            "fct_ticket_sla_daily",
            "day date, sla_due bigint, replied_within_sla bigint",
            [(d, 90, 70 + i % 9) for i, d in enumerate(days())],
        )
        create(con, "dim_date", "day date", [(d,) for d in days()])
        if optional:
            build_optional_marts(con)
    return path


def build_optional_marts(con: duckdb.DuckDBPyConnection) -> None:
    create(
        con,
        "fct_volume_spikes_daily",
        "day date, stream varchar, key varchar, events bigint, expected double, q_value double, is_spike boolean",
        [
            (WEEK, "tickets_by_category", "sports_cards", 29, 12.75, 0.04, True),
            (WEEK + dt.timedelta(days=3), "critical_errors_by_agent", "ag_0029", 7, 1.0, 0.01, True),
            (WEEK, "tickets_by_category", "sneakers", 11, 10.0, 0.6, False),
            (WEEK - dt.timedelta(days=1), "tickets_by_category", "trading_cards", 39, 19.25, 0.03, True),
        ],
    )
    create(
        con,
        "fct_qa_sampling_plan",
        "week_start date, stratum varchar, n_required bigint, n_reviewed bigint, coverage double, is_short boolean",
        [
            (WEEK, "ticket/general/trading_cards", 89, 54, 54 / 89, True),
            (WEEK, "ticket/fraud", 74, 101, 101 / 74, False),
            (WEEK, "enforcement/other", 28, 9, 9 / 28, True),
            (WEEK + dt.timedelta(weeks=1), "ticket/fraud", 64, 25, 25 / 64, True),
        ],
    )
    items = ("policy_applied_correctly", "evidence_standard_met", "resolution_correct", "critical_error")
    sessions = {"cal_0001": WEEK - dt.timedelta(weeks=2), "cal_0002": WEEK, "cal_0003": WEEK + dt.timedelta(weeks=1)}
    create(
        con,
        "fct_calibration_agreement",
        "calibration_session_id varchar, rubric_item varchar, krippendorff_alpha double, pairable_values bigint",
        [(s, item, 0.9 - 0.2 * j + 0.05 * i, 20) for i, s in enumerate(sessions) for j, item in enumerate(items)],
    )
    create(
        con,
        "fct_qa_reviews",
        "calibration_session_id varchar, review_day date, is_calibration boolean",
        [(s, d, True) for s, d in sessions.items()] + [(None, WEEK, False)],
    )
    h1, h2 = (dt.date(2026, 1, 1), dt.date(2026, 6, 30)), (dt.date(2026, 7, 1), dt.date(2026, 12, 31))
    create(
        con,
        "fct_dsa_transparency_report",
        "period_type varchar, period varchar, period_start date, period_end date, is_complete boolean, "
        "is_mature boolean, metric varchar, breakdown varchar, breakdown_value varchar, unit varchar, value double, "
        "numerator bigint, denominator bigint, ci_low double, ci_high double",
        [
            ("half_year", "2026-H1", *h1, True, True, "notices_received", "total", "all", "count", 99.0, *[None] * 4),
            ("half_year", "2026-H2", *h2, False, False, "notices_received", "total", "all", "count", 12.0, *[None] * 4),
            ("half_year", "2026-H2", *h2, False, False, "notices_received", "category", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
             "count", 12.0, *[None] * 4),
            ("half_year", "2026-H2", *h2, False, False, "automated_decision_reversal_rate", "total", "all", "share", 0.25,
             1, 4, 0.0456, 0.6994),
        ],
    )  # fmt: skip


@pytest.fixture
def marts(tmp_path) -> Path:
    return build_marts(tmp_path / "published.duckdb")


def settings_for(tmp_path: Path) -> Settings:
    return Settings.from_env({"TRUSTQA_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb")})


def report(tmp_path: Path, warehouse: Path | None, week: dt.date | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_report(settings_for(tmp_path), week, False, warehouse, out, err)
    return code, out.getvalue(), err.getvalue()


def text_of(page: str) -> str:
    """The page's visible words, roughly: scripts and tags removed, entities of the tests' strings decoded."""
    body = re.sub(r"<script>.*?</script>", "", page, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("&amp;", "&").replace("&#x27;", "'")


# --- the page ---------------------------------------------------------------------------------------------


def test_the_report_writes_the_week_and_latest_with_every_section_in_order(tmp_path, marts) -> None:
    code, out, err = report(tmp_path, marts)
    assert (code, err) == (0, "")
    week_page, latest = tmp_path / "scorecard" / "2026-11-02.html", tmp_path / "scorecard" / "latest.html"
    assert out.splitlines()[1:] == [f"  {week_page}", f"  {latest}"]
    page = week_page.read_text(encoding="utf-8")
    assert latest.read_text(encoding="utf-8") == page
    assert oct(week_page.stat().st_mode & 0o777) == "0o644"
    positions = [page.index(f'<section id="{s}">') for s in ("headline", "what-changed", "trends")]
    positions += [page.index(f'<section id="{s}">') for s in ("spikes", "sampling", "calibration", "dsa", "glossary")]
    assert positions == sorted(positions)
    assert 'content="10"' in page and page.count('class="plotly-graph-div"') == CHARTS
    text = text_of(page)
    assert "Week of Monday 2 Nov 2026 to Sunday 8 Nov 2026 (UTC), against the 4 weeks before. Data as of 14 Nov" in text
    for sentence in (
        # the tiles, in the wording of tests/test_scorecard_wording.py
        "CSAT 70.0% ▼ 8.0 percentage points (-10.3%) Trailing 4 weeks: 78.0% Significantly worse",
        "Significant change: lower than the trailing 4 weeks, which is worse (q = 0.003).",
        "Too small to count as a change: the difference (-3.8%) is under the 5% a change must reach",
        "No significant change (q = 0.41): within the usual week-to-week noise.",
        "Not tested: too few decided appeals (18 this week, 90 in the trailing 4 weeks;",
        # wrongful enforcement has no row this week: its latest mature cohort week, labelled
        "Wrongful enforcement rate 3.9% ▼ 4.1 percentage points (-51.2%)",
        "Actions taken in the week of 5 Oct 2026, the latest cohort with 30 days of appeals and reversals",
        # what changed: trustqa shifts' sentences
        "2 significant changes among 6 tests",
        "QA score, category trading_cards: 84.9 → 74.9 (-11.8%, q=9.3e-06, 130 reviews). 50% of the change comes "
        "from agent ag_0029 getting worse (rate), 8% from a change in which agents handle the work (mix). "
        "Rubric item that moved: resolution_correct 0.92 → 0.45 (q=2.9e-30).",
        # spikes of the week only (not the Sunday before), in words
        "Mon 2 Nov: 29 tickets, category sports_cards, 2.3 times the usual 12.8 for that weekday (q = 0.04).",
        "Thu 5 Nov: 7 critical errors, agent ag_0029, 7.0 times the usual 1.0 for that weekday (q = 0.01).",
        "2 of 3 strata got fewer random or stratified reviews than the plan requires (54 reviews missing).",
        "Krippendorff's alpha How far QA reviewers agree",
        "(docs/metrics.md, “Calibration agreement”)",
        # the DSA figures of the week's half-year (not H1's), and the link to the report's CSV written beside
        "2026-H2 (1 Jul 2026 to 31 Dec 2026): not complete: the period has not ended, figures will grow.",
        "Notices received 12",
        "Share of automated decisions reversed (accuracy indicator) 25.0% (95% interval 4.6% to 69.9%; 1 of 4)",
    ):
        assert sentence in text, sentence
    assert '<a href="dsa-report-2026-H2.csv">' in page
    lines = (tmp_path / "scorecard" / "dsa-report-2026-H2.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[6:12] for line in lines[1:]] == [
        ["notices_received", "Notices received", "total", "all", "count", "12"],
        ["notices_received", "Notices received", "category", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "count", "12"],
        ["automated_decision_reversal_rate", "Share of automated decisions reversed (accuracy indicator)", "total",
         "all", "share", "0.25"],
    ]  # fmt: skip
    assert "trading_cards, 2.0 times" not in text  # the spike of the Sunday before the week
    assert "cal_0003" not in page  # a session after the week
    assert "cal_0001" in page and "cal_0002" in page


def test_the_page_is_self_contained_and_under_5_mb(tmp_path, marts) -> None:
    from plotly.offline import get_plotlyjs

    assert report(tmp_path, marts)[0] == 0
    path = tmp_path / "scorecard" / "latest.html"
    assert path.stat().st_size < FIVE_MB
    page = path.read_text(encoding="utf-8")
    plotly_js = get_plotlyjs()
    assert page.count(plotly_js) == 1  # inlined exactly once
    markup = page.replace(plotly_js, "")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", markup, flags=re.IGNORECASE)
    assert not re.search(r"<(link|img|iframe)\b|@import|url\(", markup, flags=re.IGNORECASE)
    assert "@media print" in markup and "break-inside: avoid" in markup
    assert "cdn.plot.ly" not in markup and "mathjax" not in markup.lower()


def test_latest_is_only_the_latest_week(tmp_path, marts) -> None:
    code, _, _ = report(tmp_path, marts, dt.date(2026, 10, 29))  # any day of the week of 26 Oct
    assert code == 0
    # the page and the DSA report it links; no latest.html
    assert sorted(p.name for p in (tmp_path / "scorecard").iterdir()) == ["2026-10-26.html", "dsa-report-2026-H2.csv"]


def test_no_marts_is_exit_2_with_one_line(tmp_path, marts) -> None:
    code, out, err = report(tmp_path, tmp_path / "missing.duckdb")
    assert (code, out) == (2, "")
    assert err == f"trustqa report: no marts at {tmp_path / 'missing.duckdb'}; run `trustqa materialize` first\n"
    code, _, err = report(tmp_path, marts, dt.date(2026, 6, 1))
    assert code == 2 and err.startswith("trustqa report: no rows for the week of 2026-06-01") and err.count("\n") == 1
    empty = tmp_path / "empty" / "published.duckdb"
    empty.parent.mkdir()
    with duckdb.connect(str(empty)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_metric_shifts_weekly (week_start date, metric varchar)")
    code, _, err = report(tmp_path, empty)
    assert code == 2 and "no complete week with a baseline yet" in err
    assert not (tmp_path / "empty" / "scorecard").exists()


def test_sections_whose_marts_are_missing_are_left_out(tmp_path) -> None:
    marts = build_marts(tmp_path / "published.duckdb", optional=False)
    assert report(tmp_path, marts)[0] == 0
    page = (tmp_path / "scorecard" / "latest.html").read_text(encoding="utf-8")
    for section in ("spikes", "sampling", "calibration", "dsa"):
        assert f'<section id="{section}">' not in page
    assert '<section id="glossary">' in page and page.count('class="plotly-graph-div"') == 7


# --- the asset --------------------------------------------------------------------------------------------


def materialize_scorecard(tmp_path: Path, published: Path):
    import dagster as dg

    from dagster_project.defs.resources import WarehouseResource
    from dagster_project.defs.scorecard_asset import build_qa_scorecard

    warehouse = WarehouseResource(
        duckdb_path=str(tmp_path / "warehouse.duckdb"),
        exports_dir=str(tmp_path),
        data_docs_dir=str(tmp_path / "data_docs"),
        published_path=str(published),
    )
    result = dg.materialize([build_qa_scorecard("duckdb")], resources={"warehouse": warehouse})
    assert result.success
    [materialization] = result.asset_materializations_for_node("published__qa_scorecard")
    return materialization.metadata


def test_the_asset_writes_the_page_beside_the_publication_and_shows_the_headline(tmp_path, marts) -> None:
    metadata = materialize_scorecard(tmp_path, marts)
    assert metadata["path"].value == str(tmp_path / "scorecard" / "2026-11-02.html")
    assert metadata["latest"].value == str(tmp_path / "scorecard" / "latest.html")
    assert (metadata["week_start"].value, metadata["charts"].value) == ("2026-11-02", CHARTS)
    headline = metadata["headline"].value.splitlines()
    assert headline[0] == "| metric | week | value | trailing 4 weeks | change | verdict |"
    assert [line.split(" | ")[0] for line in headline[2:]] == [
        "| CSAT",
        "| QA score",
        "| Policy adherence",
        "| Critical error rate",
        "| Appeal overturn rate",
        "| Wrongful enforcement rate",
        "| First-reply SLA attainment",
    ]
    assert headline[3].startswith("| QA score | 2026-11-02 | 82.1 | 85.3 | ▼ 3.2 points (-3.8%) | Too small")
    assert (tmp_path / "scorecard" / "latest.html").exists()


def test_the_asset_without_a_complete_week_writes_nothing_and_does_not_fail(tmp_path) -> None:
    published = tmp_path / "published.duckdb"
    with duckdb.connect(str(published)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_metric_shifts_weekly (week_start date, metric varchar)")
    metadata = materialize_scorecard(tmp_path, published)
    assert metadata["scorecard"].value.startswith("not written: no complete week with a baseline yet")
    assert not (tmp_path / "scorecard").exists()


def test_the_asset_follows_the_publication_on_duckdb_and_the_marts_on_snowflake() -> None:
    import dagster as dg

    from dagster_project.defs.scorecard_asset import build_qa_scorecard

    on_duckdb, on_snowflake = build_qa_scorecard("duckdb"), build_qa_scorecard("snowflake")
    key = dg.AssetKey(["published", "qa_scorecard"])
    assert on_duckdb.key == on_snowflake.key == key
    assert set(on_duckdb.asset_deps[key]) == {dg.AssetKey(["published", "marts"])}
    snowflake_deps = set(on_snowflake.asset_deps[key])
    assert dg.AssetKey(["marts", "fct_metric_shifts_weekly"]) in snowflake_deps
    assert all(k.path[0] == "marts" for k in snowflake_deps)


# --- in a browser -----------------------------------------------------------------------------------------


def open_in_chromium(page_path: Path, screenshot: Path, pdf: Path | None = None) -> dict:
    """Open the page in headless Chromium with every non-file request aborted; what it saw, and a screenshot."""
    chromium = ensure_chromium()
    from playwright.sync_api import sync_playwright

    seen: dict = {"failed": [], "errors": [], "blocked": []}

    def route(r) -> None:
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            seen["blocked"].append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("requestfailed", lambda r: seen["failed"].append(f"{r.url}: {r.failure}"))
            page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
            page.route("**/*", route)
            page.goto(page_path.as_uri(), wait_until="load")
            page.wait_for_function(ALL_DRAWN_JS, timeout=60_000)
            seen["charts"] = page.evaluate(
                "() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(d => d.id)"
            )
            seen["drawn"] = page.evaluate(
                "() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
                ".filter(d => d.querySelector('.main-svg .trace')).map(d => d.id)"
            )
            seen["overflowing"] = page.evaluate(
                "() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
                ".filter(d => d.querySelector('.main-svg').getBoundingClientRect().width > "
                "d.closest('figure').getBoundingClientRect().width).map(d => d.id)"
            )
            seen["expected"] = int(page.get_attribute('meta[name="trustqa-charts"]', "content"))
            seen["not_final_labels"] = page.locator(".annotation-text", has_text="not final").count()
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
            page.emulate_media(media="print")
            seen["print_break_inside"] = page.evaluate(
                "() => getComputedStyle(document.querySelector('.chart-block')).breakInside"
            )
            if pdf is not None:
                page.pdf(path=str(pdf), format="A4", print_background=True)
        finally:
            browser.close()
    return seen


def assert_drawn_offline(seen: dict) -> None:
    assert seen["blocked"] == [], "the page asked for something off the disk"
    assert seen["failed"] == [] and seen["errors"] == []
    assert len(seen["charts"]) == seen["expected"]
    assert seen["drawn"] == seen["charts"], "a chart without a drawn plot"
    assert seen["overflowing"] == [], "a chart wider than its box"
    assert seen["print_break_inside"] == "avoid"


def test_the_page_draws_every_chart_in_chromium_without_network(tmp_path, marts) -> None:
    assert report(tmp_path, marts)[0] == 0
    pdf = SCREENSHOTS / "handmade.pdf"
    seen = open_in_chromium(tmp_path / "scorecard" / "latest.html", SCREENSHOTS / "handmade.png", pdf)
    assert_drawn_offline(seen)
    assert seen["expected"] == CHARTS
    assert seen["not_final_labels"] == 1  # the immature enforcement weeks, one labelled span
    assert pdf.read_bytes().startswith(b"%PDF")
