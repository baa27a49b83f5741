"""``trustqa dsa-report``: the period's rows of a hand-made ``marts.fct_dsa_transparency_report``, text and CSV
written out by hand; period labels; refusals in one line."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.dsa.report import half_year_of, parse_period
from dagster_project.dsa.report_command import run_dsa_report
from dagster_project.settings import Settings

H2 = ("half_year", "2026-H2", dt.date(2026, 7, 1), dt.date(2026, 12, 31), False, False)
ROWS = [
    # (metric, breakdown, breakdown_value, unit, value, numerator, denominator, ci_low, ci_high), shuffled
    ("complaints_decided", "total", "all", "count", 4.0, None, None, None, None),
    ("notices_received", "category", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "count", 2.0, None, None, None, None),
    ("notices_received", "total", "all", "count", 1234.0, None, None, None, None),
    ("notices_received", "category", "STATEMENT_CATEGORY_CYBER_VIOLENCE", "count", 5.0, None, None, None, None),
    ("automated_decision_reversal_rate", "total", "all", "share", 1 / 3, 1, 3, 0.0614903, 0.7923450),
    ("median_days_to_decide_complaint", "total", "all", "days", 51 / 24, None, None, None, None),
    ("suspensions", "total", "all", "count", 0.0, None, None, None, None),
]
OTHER_PERIOD = ("month", "2026-07", dt.date(2026, 7, 1), dt.date(2026, 7, 31), True, False)


@pytest.fixture
def marts(tmp_path: Path) -> Path:
    path = tmp_path / "published.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_dsa_transparency_report (period_type varchar, period varchar, period_start date, "
            "period_end date, is_complete boolean, is_mature boolean, metric varchar, breakdown varchar, "
            "breakdown_value varchar, unit varchar, value double, numerator bigint, denominator bigint, "
            "ci_low double, ci_high double)"
        )
        for row in ROWS:
            con.execute(
                "insert into marts.fct_dsa_transparency_report values (" + ", ".join("?" * 15) + ")", [*H2, *row]
            )
        con.execute(
            "insert into marts.fct_dsa_transparency_report values (" + ", ".join("?" * 15) + ")",
            [*OTHER_PERIOD, "notices_received", "total", "all", "count", 7.0, None, None, None, None],
        )
    return path


def run(marts: Path, period: str, out_path: Path | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    config = Settings.from_env({"TRUSTQA_DUCKDB_PATH": str(marts.parent / "warehouse.duckdb")})
    code = run_dsa_report(config, period, out_path, marts, out, err)
    return code, out.getvalue(), err.getvalue()


def test_the_report_in_words(marts: Path) -> None:
    code, out, err = run(marts, "2026-H2")
    assert (code, err) == (0, "")
    # sections in report order, each total before its breakdowns (largest first); values right-aligned
    assert out == (
        "EU DSA transparency report 2026-H2 (2026-07-01 to 2026-12-31): not complete: the period has not ended, "
        "figures will grow\n"
        "Definitions: docs/dsa.md, 'The transparency report'.\n"
        "\n"
        "Notices (Art. 16)\n"
        "  1,234  Notices received\n"
        "      5    category: STATEMENT_CATEGORY_CYBER_VIOLENCE\n"
        "      2    category: STATEMENT_CATEGORY_SCAMS_AND_FRAUD\n"
        "\n"
        "Suspensions (Art. 23)\n"
        "      0  Account suspensions\n"
        "\n"
        "Complaints (Art. 20)\n"
        "      4  Complaints decided\n"
        # 51 h / 24 = 2.125, exactly representable: two decimals round half to even
        "   2.12  Median time to decide a complaint (days)\n"
        "\n"
        "Automated means (Art. 15(1)(e))\n"
        "  33.3%  Share of automated decisions reversed (accuracy indicator) "
        "(95% interval 6.1% to 79.2%; 1 of 3)\n"
    )


def test_the_csv_has_one_row_per_figure_in_report_order(marts: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.csv"
    code, out, _ = run(marts, "2026-H2", target)
    assert code == 0
    assert out.endswith(f"\n7 rows written to {target}\n")
    rows = list(csv.DictReader(target.open()))
    assert [(r["metric"], r["breakdown_value"], r["value"]) for r in rows] == [
        ("notices_received", "all", "1234"),
        ("notices_received", "STATEMENT_CATEGORY_CYBER_VIOLENCE", "5"),
        ("notices_received", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "2"),
        ("suspensions", "all", "0"),
        ("complaints_decided", "all", "4"),
        ("median_days_to_decide_complaint", "all", repr(51 / 24)),
        ("automated_decision_reversal_rate", "all", repr(1 / 3)),
    ]
    share = rows[-1]
    assert (share["numerator"], share["denominator"], share["ci_low"], share["ci_high"]) == (
        "1", "3", "0.0614903", "0.792345"
    )  # fmt: skip
    assert {(r["period"], r["period_start"], r["period_end"], r["is_complete"]) for r in rows} == {
        ("2026-H2", "2026-07-01", "2026-12-31", "false")
    }
    assert rows[0]["section"] == "Notices (Art. 16)" and rows[0]["label"] == "Notices received"
    assert rows[1]["numerator"] == "" and rows[1]["ci_low"] == ""


def test_a_period_without_rows_names_the_periods_there_are(marts: Path) -> None:
    code, out, err = run(marts, "2025-H1")
    assert (code, out) == (2, "")
    assert (
        err
        == "trustqa dsa-report: no transparency report rows for 2025-H1; the marts hold the periods 2026-07, 2026-H2\n"
    )


def test_missing_marts_and_a_missing_mart_are_refused(tmp_path: Path) -> None:
    code, _, err = run(tmp_path / "nothing.duckdb", "2026-H2")
    assert code == 2 and "no marts at" in err and "run `trustqa materialize` first" in err
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    code, _, err = run(empty, "2026-H2")
    assert (code, err) == (
        2,
        "trustqa dsa-report: no marts.fct_dsa_transparency_report; run `trustqa materialize` to build it\n",
    )


@pytest.mark.parametrize("label", ["2026-H1", "2026-H2", "2026-01", "2026-12"])
def test_period_labels(label: str) -> None:
    assert parse_period(label) == label


@pytest.mark.parametrize("label", ["2026-H3", "2026-13", "2026-00", "2026-1", "26-H1", "2026H2", ""])
def test_not_a_period(label: str) -> None:
    with pytest.raises(ValueError, match="is not a period"):
        parse_period(label)


def test_half_year_of() -> None:
    assert [half_year_of(dt.date(2026, m, d)) for m, d in ((1, 1), (6, 30), (7, 1), (12, 31))] == [
        "2026-H1", "2026-H1", "2026-H2", "2026-H2"
    ]  # fmt: skip


def test_the_cli_refuses_a_bad_period_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dsa-report", "--period", "2026-Q3"]) == 2
    assert capsys.readouterr().err == (
        "trustqa dsa-report: --period '2026-Q3' is not a period: YYYY-MM for a month or YYYY-H1 / YYYY-H2 "
        "for a half-year\n"
    )


def test_the_cli_prints_the_report(marts: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dsa-report", "--period", "2026-07", "--warehouse", str(marts)]) == 0
    assert capsys.readouterr().out.splitlines()[4] == "  7  Notices received"
