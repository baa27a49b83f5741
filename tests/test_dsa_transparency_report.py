"""``marts.fct_dsa_transparency_report`` on hand-made exports, every figure worked out by hand below.

docs/dsa.md "The transparency report": periods are calendar months and
half-years; notices and actions count in the period of their day, complaints
as received on their submission day and as decided on their decision day,
pending at a period's end when submitted by its last day and not decided by
then; the reversal share of automated decisions counts every reversal known
at the as-of day, even one after the period's end. The exports: reports
r1, r2 on 2026-06-30 (the first export day), everything else on 2026-08-05
(the as-of day).

Notices (reports):            r1 06-10 counterfeit, r2 06-20 other, r3 07-05 fraud, r4 07-06 shill_bidding
Actions (created, type, policy, detection / decided, reversal):
  a1 06-15 listing_removal  counterfeit     automated / automated     reversed 07-10 qa_correction (after June)
  a2 06-29 suspension       fraud           user_report / agent
  a3 06-30 warning          harassment      proactive_agent / agent
  a4 07-01 ban              fraud           automated / agent
  a5 07-03 suspension       shill_bidding   automated / automated     reversed 07-20 appeal_overturned
  a6 07-04 show_termination prohibited_item user_report / automated
  a7 08-02 listing_removal  off_platform_payment automated / automated
Complaints (appeals; submitted -> decided, outcome, level):
  p1 on a2 06-29 10:00 -> 07-02 10:00 (72 h) upheld, 1: pending at the end of June and of H1
  p2 on a5 07-05 00:00 -> 07-20 00:00 (360 h) overturned, 1
  p3 on a4 07-02 12:00 -> 07-03 00:00 (12 h) partially_overturned, 1
  p6 on a2 07-03 00:00 -> 07-04 06:00 (30 h) upheld, 2
  p5 on a6 08-01 00:00 -> still pending at the as-of day
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from scipy.stats import binomtest

from dagster_project.dsa.export_command import run_export
from dagster_project.dsa.statements import invalid_statements
from dagster_project.settings import Settings
from tests.dbt_runner import Warehouse
from tests.pipeline_runner import build_from_exports, write_rows_as_exports

pytestmark = pytest.mark.slow

AS_OF = "2026-08-05"
FIRST = "2026-06-30"


def report(report_id: str, reason: str, created_at: str, export_date: str = AS_OF) -> dict[str, object]:
    return {
        "_export_date": export_date,
        "report_id": report_id,
        "reporter_id": "u_reporter",
        "reported_user_id": "u_seller",
        "show_id": None,
        "reason": reason,
        "created_at": created_at,
        "updated_at": created_at,
    }


def action(
    action_id: str,
    created_at: str,
    action_type: str,
    policy: str,
    detection_source: str,
    decided_by: str,
    reversed_at: str | None = None,
    reversal_reason: str | None = None,
) -> dict[str, object]:
    return {
        "_export_date": AS_OF,
        "action_id": action_id,
        "user_id": "u_seller",
        "action_type": action_type,
        "policy": policy,
        "detection_source": detection_source,
        "decided_by": decided_by,
        "agent_id": None if decided_by == "automated" else "agent_1",
        "created_at": created_at,
        "reversed_at": reversed_at,
        "reversal_reason": reversal_reason,
        "updated_at": reversed_at or created_at,
    }


def appeal(
    appeal_id: str,
    action_id: str,
    submitted_at: str,
    decided_at: str | None,
    outcome: str | None,
    review_level: int = 1,
) -> dict[str, object]:
    return {
        "_export_date": AS_OF,
        "appeal_id": appeal_id,
        "action_id": action_id,
        "user_id": "u_seller",
        "submitted_at": submitted_at,
        "review_level": review_level,
        "assigned_agent_id": "agent_2",
        "decided_at": decided_at,
        "outcome": outcome,
        "updated_at": decided_at or submitted_at,
    }


RAW = {
    "reports": [
        report("r1", "counterfeit", "2026-06-10T08:00:00Z", export_date=FIRST),
        report("r2", "other", "2026-06-20T08:00:00Z", export_date=FIRST),
        report("r3", "fraud", "2026-07-05T08:00:00Z"),
        report("r4", "shill_bidding", "2026-07-06T23:59:59Z"),
    ],
    "enforcement_actions": [
        action(
            "a1",
            "2026-06-15T09:00:00Z",
            "listing_removal",
            "counterfeit",
            "automated",
            "automated",
            reversed_at="2026-07-10T09:00:00Z",
            reversal_reason="qa_correction",
        ),
        action("a2", "2026-06-29T09:00:00Z", "suspension", "fraud", "user_report", "agent"),
        action("a3", "2026-06-30T23:00:00Z", "warning", "harassment", "proactive_agent", "agent"),
        action("a4", "2026-07-01T00:00:00Z", "ban", "fraud", "automated", "agent"),
        action(
            "a5",
            "2026-07-03T09:00:00Z",
            "suspension",
            "shill_bidding",
            "automated",
            "automated",
            reversed_at="2026-07-20T00:00:00Z",
            reversal_reason="appeal_overturned",
        ),
        action("a6", "2026-07-04T09:00:00Z", "show_termination", "prohibited_item", "user_report", "automated"),
        action("a7", "2026-08-02T09:00:00Z", "listing_removal", "off_platform_payment", "automated", "automated"),
    ],
    "appeals": [
        appeal("p1", "a2", "2026-06-29T10:00:00Z", "2026-07-02T10:00:00Z", "upheld"),
        appeal("p2", "a5", "2026-07-05T00:00:00Z", "2026-07-20T00:00:00Z", "overturned"),
        appeal("p3", "a4", "2026-07-02T12:00:00Z", "2026-07-03T00:00:00Z", "partially_overturned"),
        appeal("p6", "a2", "2026-07-03T00:00:00Z", "2026-07-04T06:00:00Z", "upheld", review_level=2),
        appeal("p5", "a6", "2026-08-01T00:00:00Z", None, None),
    ],
}

IP = "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"
SCAMS = "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"
CYBER = "STATEMENT_CATEGORY_CYBER_VIOLENCE"
UNSAFE = "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS"
OTHER_TC = "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"
FULLY, PARTIALLY, NOT = (f"AUTOMATED_DECISION_{k}" for k in ("FULLY", "PARTIALLY", "NOT_AUTOMATED"))
TOTAL = ("total", "all")

# Periods: (period_type, period_start, period_end, is_complete, is_mature) at the as-of day 2026-08-05.
# Mature: 30 days after the end (June: 07-30 <= 08-05; July: 08-30 > 08-05).
PERIODS = {
    "2026-06": ("month", "2026-06-01", "2026-06-30", True, True),
    "2026-07": ("month", "2026-07-01", "2026-07-31", True, False),
    "2026-08": ("month", "2026-08-01", "2026-08-31", False, False),
    "2026-H1": ("half_year", "2026-01-01", "2026-06-30", True, True),
    "2026-H2": ("half_year", "2026-07-01", "2026-12-31", False, False),
}

# Every count row, by hand. H1 holds only June's events; H2 = July + August.
JUNE = {
    ("notices_received", *TOTAL): 2,  # r1, r2 (r1 is before the first export day: still June)
    ("notices_received", "category", IP): 1,  # r1 counterfeit
    ("notices_received", "category", "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE"): 1,  # r2 other
    ("actions_taken", *TOTAL): 3,  # a1, a2, a3
    ("actions_taken", "automated_decision", FULLY): 1,  # a1
    ("actions_taken", "automated_decision", NOT): 2,  # a2, a3
    ("own_initiative_actions", *TOTAL): 2,  # a1, a3
    ("own_initiative_actions", "restriction / category / detection",
     f"DECISION_VISIBILITY_CONTENT_REMOVED / {IP} / automated"): 1,  # a1
    ("own_initiative_actions", "restriction / category / detection",
     f"NO_RESTRICTION / {CYBER} / proactive_agent"): 1,  # a3, a warning
    ("actions_on_notices", *TOTAL): 1,  # a2
    ("actions_on_notices", "restriction / category", f"DECISION_ACCOUNT_SUSPENDED / {SCAMS}"): 1,
    ("suspensions", *TOTAL): 1,  # a2
    ("suspensions", "reason", "fraud"): 1,
    ("automated_decisions", *TOTAL): 1,  # a1
    ("automated_decisions_reversed", *TOTAL): 1,  # a1, reversed on 07-10, after June ended
    ("automated_decisions_reversed", "reversal_reason", "qa_correction"): 1,
    ("complaints_received", *TOTAL): 1,  # p1
    ("complaints_received", "review_level", "1"): 1,
    ("complaints_decided", *TOTAL): 0,
    ("complaints_upheld", *TOTAL): 0,
    ("complaints_reversed", *TOTAL): 0,
    ("complaints_pending_at_period_end", *TOTAL): 1,  # p1: submitted 06-29, decided 07-02
}  # fmt: skip
JULY = {
    ("notices_received", *TOTAL): 2,  # r3, r4
    ("notices_received", "category", SCAMS): 2,  # fraud and shill_bidding
    ("actions_taken", *TOTAL): 3,  # a4, a5, a6
    ("actions_taken", "automated_decision", FULLY): 2,  # a5, a6
    ("actions_taken", "automated_decision", PARTIALLY): 1,  # a4: an agent on an automated detection
    ("own_initiative_actions", *TOTAL): 2,  # a4, a5
    ("own_initiative_actions", "restriction / category / detection",
     f"DECISION_ACCOUNT_TERMINATED / {SCAMS} / automated"): 1,  # a4
    ("own_initiative_actions", "restriction / category / detection",
     f"DECISION_ACCOUNT_SUSPENDED / {SCAMS} / automated"): 1,  # a5
    ("actions_on_notices", *TOTAL): 1,  # a6
    ("actions_on_notices", "restriction / category", f"DECISION_VISIBILITY_CONTENT_DISABLED / {UNSAFE}"): 1,
    ("suspensions", *TOTAL): 1,  # a5
    ("suspensions", "reason", "shill_bidding"): 1,
    ("automated_decisions", *TOTAL): 2,  # a5, a6
    ("automated_decisions_reversed", *TOTAL): 1,  # a5
    ("automated_decisions_reversed", "reversal_reason", "appeal_overturned"): 1,
    ("complaints_received", *TOTAL): 3,  # p2, p3, p6
    ("complaints_received", "review_level", "1"): 2,  # p2, p3
    ("complaints_received", "review_level", "2"): 1,  # p6
    ("complaints_decided", *TOTAL): 4,  # p1 (received in June), p2, p3, p6
    ("complaints_decided", "review_level", "1"): 3,
    ("complaints_decided", "review_level", "2"): 1,
    ("complaints_upheld", *TOTAL): 2,  # p1, p6
    ("complaints_reversed", *TOTAL): 2,  # p2, p3
    ("complaints_reversed", "outcome", "overturned"): 1,
    ("complaints_reversed", "outcome", "partially_overturned"): 1,
    ("complaints_pending_at_period_end", *TOTAL): 0,  # everything submitted by 07-31 was decided by then
}  # fmt: skip
AUGUST = {
    ("notices_received", *TOTAL): 0,
    ("actions_taken", *TOTAL): 1,  # a7
    ("actions_taken", "automated_decision", FULLY): 1,
    ("own_initiative_actions", *TOTAL): 1,
    ("own_initiative_actions", "restriction / category / detection",
     f"DECISION_VISIBILITY_CONTENT_REMOVED / {OTHER_TC} / automated"): 1,
    ("actions_on_notices", *TOTAL): 0,
    ("suspensions", *TOTAL): 0,
    ("automated_decisions", *TOTAL): 1,  # a7
    ("automated_decisions_reversed", *TOTAL): 0,
    ("complaints_received", *TOTAL): 1,  # p5
    ("complaints_received", "review_level", "1"): 1,
    ("complaints_decided", *TOTAL): 0,
    ("complaints_upheld", *TOTAL): 0,
    ("complaints_reversed", *TOTAL): 0,
    ("complaints_pending_at_period_end", *TOTAL): 1,  # p5, pending at the as-of day
}  # fmt: skip


def _half_year(*months: dict) -> dict:
    """Counts of several months added up; pending is a state at the end, so the last month's."""
    added: dict = {}
    for month in months:
        for key, count in month.items():
            added[key] = added.get(key, 0) + count
    added[("complaints_pending_at_period_end", *TOTAL)] = months[-1][("complaints_pending_at_period_end", *TOTAL)]
    return added


COUNTS = {
    "2026-06": JUNE,
    "2026-07": JULY,
    "2026-08": AUGUST,
    "2026-H1": JUNE,
    "2026-H2": _half_year(JULY, AUGUST),
}

# Median days to decide, from the decisions of the period: July [12, 30, 72, 360] h -> (30 + 72) / 2 = 51 h.
MEDIAN_DAYS = {"2026-06": None, "2026-07": 51 / 24, "2026-08": None, "2026-H1": None, "2026-H2": 51 / 24}

# Reversal share of automated decisions (reversed, decisions) and its 95% Wilson interval (z = 1.96):
# x/n -> (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n):
#   1/1: (1 / (1 + z^2), 1) = (0.2065432915, 1)
#   1/2: (1.4604 -+ 1.96 sqrt(0.125 + 0.2401)) / 2.9208 = (1.4604 -+ 1.1843007) / 2.9208
#   0/1: (0, z^2 / (1 + z^2)) = (0, 0.7934567085)
#   1/3: (1/3 + 0.6402667 -+ 1.96 sqrt(2/27 + 0.1067111)) / 2.2805333 = (0.9736 -+ 0.8333693) / 2.2805333
SHARES = {
    "2026-06": (1, 1, 0.2065432915, 1.0),  # a1, reversed after June ended
    "2026-07": (1, 2, 0.0945287, 0.9054713),  # a5 of a5, a6
    "2026-08": (0, 1, 0.0, 0.7934567085),  # a7
    "2026-H1": (1, 1, 0.2065432915, 1.0),
    "2026-H2": (1, 3, 0.0614903, 0.7923450),  # a5 of a5, a6, a7
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    root = tmp_path_factory.mktemp("dsa_report")
    built = build_from_exports(
        root / "work",
        write_rows_as_exports(root / "exports", RAW),
        dbt_args=[
            "build",
            "--select",
            "+fct_dsa_transparency_report +dsa_statements_of_reasons "
            "+fct_enforcement_outcomes_daily +fct_appeal_outcomes_daily",
        ],
    )
    yield built
    built.close()


@pytest.fixture(scope="module")
def report_rows(warehouse: Warehouse) -> dict[tuple[str, str, str, str], dict]:
    rows = warehouse.rows("select * from marts.fct_dsa_transparency_report")
    return {(r["period"], r["metric"], r["breakdown"], r["breakdown_value"]): r for r in rows}


def test_periods(warehouse: Warehouse) -> None:
    rows = warehouse.rows(
        "select distinct period, period_type, period_start, period_end, is_complete, is_mature "
        "from marts.fct_dsa_transparency_report"
    )
    found = {
        r["period"]: (
            r["period_type"],
            r["period_start"].isoformat(),
            r["period_end"].isoformat(),
            r["is_complete"],
            r["is_mature"],
        )
        for r in rows
    }
    assert found == PERIODS
    assert len(rows) == len(PERIODS)


@pytest.mark.parametrize("period", sorted(COUNTS))
def test_every_count_row_of_the_period(report_rows: dict, period: str) -> None:
    found = {
        (metric, breakdown, value): row["value"]
        for (p, metric, breakdown, value), row in report_rows.items()
        if p == period and row["unit"] == "count"
    }
    assert found == COUNTS[period]
    assert all(
        row["numerator"] is None and row["ci_low"] is None for row in report_rows.values() if row["unit"] == "count"
    )


@pytest.mark.parametrize("period", sorted(MEDIAN_DAYS))
def test_median_days_to_decide_a_complaint(report_rows: dict, period: str) -> None:
    row = report_rows[(period, "median_days_to_decide_complaint", *TOTAL)]
    assert row["unit"] == "days"
    assert row["value"] == (None if MEDIAN_DAYS[period] is None else pytest.approx(MEDIAN_DAYS[period], abs=1e-9))


@pytest.mark.parametrize("period", sorted(SHARES))
def test_reversal_share_of_automated_decisions_with_its_wilson_interval(report_rows: dict, period: str) -> None:
    reversed_, decisions, low, high = SHARES[period]
    row = report_rows[(period, "automated_decision_reversal_rate", *TOTAL)]
    assert (row["unit"], row["numerator"], row["denominator"]) == ("share", reversed_, decisions)
    assert row["value"] == pytest.approx(reversed_ / decisions, abs=1e-12)
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low, abs=1e-6), pytest.approx(high, abs=1e-6))
    # SciPy's Wilson interval uses z = 1.95996...; the mart's 1.96 differs in the fifth decimal at most
    scipy_interval = binomtest(reversed_, decisions).proportion_ci(method="wilson")
    assert (row["ci_low"], row["ci_high"]) == (
        pytest.approx(scipy_interval.low, abs=1e-4),
        pytest.approx(scipy_interval.high, abs=1e-4),
    )


def test_totals_tie_to_the_enforcement_and_appeal_marts(warehouse: Warehouse, report_rows: dict) -> None:
    for period, (_, start, end, _, _) in PERIODS.items():
        enforcement = warehouse.rows(
            "select coalesce(sum(actions), 0) as actions, "
            "coalesce(sum(case when decided_by = 'automated' then actions end), 0) as automated, "
            "coalesce(sum(case when decided_by = 'automated' then reversed end), 0) as automated_reversed, "
            "coalesce(sum(case when action_type = 'suspension' then actions end), 0) as suspensions "
            "from marts.fct_enforcement_outcomes_daily where day between ? and ?",
            [start, end],
        )[0]
        appeals = warehouse.rows(
            "select coalesce(sum(decided), 0) as decided, coalesce(sum(upheld), 0) as upheld, "
            "coalesce(sum(overturned + partially_overturned), 0) as reversed "
            "from marts.fct_appeal_outcomes_daily where day between ? and ?",
            [start, end],
        )[0]

        def total(metric: str, period: str = period) -> float:
            return report_rows[(period, metric, *TOTAL)]["value"]

        assert total("actions_taken") == enforcement["actions"]
        assert total("own_initiative_actions") + total("actions_on_notices") == enforcement["actions"]
        assert total("automated_decisions") == enforcement["automated"]
        assert total("automated_decisions_reversed") == enforcement["automated_reversed"]
        assert total("suspensions") == enforcement["suspensions"]
        assert total("complaints_decided") == appeals["decided"]
        assert total("complaints_upheld") == appeals["upheld"]
        assert total("complaints_reversed") == appeals["reversed"]


def test_the_gate_passes_and_catches_a_figure_that_does_not_tie(warehouse: Warehouse, tmp_path: Path) -> None:
    from dagster_project.gates.validate import validate_duckdb
    from expectations import suites_of

    suite = [s for s in suites_of("marts") if s.name == "marts.fct_dsa_transparency_report"]
    intact = tmp_path / "intact.duckdb"  # a copy: the fixture's connection stays open on its file
    shutil.copy(warehouse.path, intact)
    (passed,) = validate_duckdb(intact, suite)
    assert all(e.success for e in passed.expectations), passed

    broken = tmp_path / "broken.duckdb"
    shutil.copy(warehouse.path, broken)
    with duckdb.connect(str(broken)) as con:
        con.execute(
            "update marts.fct_dsa_transparency_report set value = value + 1 "
            "where period = '2026-07' and metric = 'complaints_upheld' and breakdown = 'total'"
        )
    (failed,) = validate_duckdb(broken, suite)
    failing = {e.gate: e for e in failed.expectations if not e.success}
    assert set(failing) == {"the report's totals tie to the outcome marts"}
    assert [
        (r["period"], r["metric"]) for r in failing["the report's totals tie to the outcome marts"].sample_rows
    ] == [("2026-07", "complaints_upheld")]


def test_the_statements_of_the_fixture_export_schema_valid(warehouse: Warehouse, tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "sor.jsonl"
    config = Settings.from_env({"TRUSTQA_DUCKDB_PATH": str(tmp_path / "unused.duckdb")})
    code = run_export(config, dt.date(2026, 6, 1), dt.date(2026, 8, 31), target, warehouse.path, out, err)
    assert code == 0, err.getvalue()
    statements = [json.loads(line) for line in target.read_text().splitlines()]
    # every action but the warning a3 restricts: a1, a2, a4, a5, a6, a7
    assert [s["puid"] for s in statements] == ["a1", "a2", "a4", "a5", "a6", "a7"]
    assert invalid_statements(statements) == []
