"""fct_appeal_outcomes_daily against a hand-made fixture, expected values worked out by hand.

docs/metrics.md "Appeal outcomes": grain day (UTC date of decided_at) x review_level
x policy; current state of each appeal; decided appeals only; policy = the
appealed action's current policy (null when the action is unknown).
Percentiles are continuous: for sorted values x0..x(n-1), percentile p sits at
position h = (n - 1) * p and equals x[floor h] + (h - floor h) * (x[floor h + 1] - x[floor h]).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import yaml

from dagster_project.settings import DBT_PROJECT_DIR
from tests.dbt_runner import Warehouse
from tests.pipeline_runner import build_from_exports, write_rows_as_exports

pytestmark = pytest.mark.slow

SECOND_IN_HOURS = 1 / 3600


def action(export_date: str, action_id: str, policy: str, updated_at: str) -> dict[str, object]:
    return {
        "_export_date": export_date,
        "action_id": action_id,
        "user_id": f"user_of_{action_id}",
        "action_type": "suspension",
        "policy": policy,
        "detection_source": "automated",
        "decided_by": "automated",
        "created_at": "2026-11-01T09:00:00Z",
        "updated_at": updated_at,
    }


def appeal(
    export_date: str,
    appeal_id: str,
    action_id: str,
    submitted_at: str,
    decided_at: str | None,
    outcome: str | None,
    review_level: int = 1,
    updated_at: str | None = None,
) -> dict[str, object]:
    return {
        "_export_date": export_date,
        "appeal_id": appeal_id,
        "action_id": action_id,
        "user_id": f"user_of_{action_id}",
        "submitted_at": submitted_at,
        "review_level": review_level,
        "assigned_agent_id": "agent_1",
        "decided_at": decided_at,
        "outcome": outcome,
        "updated_at": updated_at or decided_at or submitted_at,
    }


RAW = {
    "enforcement_actions": [
        action("2026-11-01", "act_fraud", "fraud", "2026-11-01T09:00:00Z"),
        # act_changed: harassment at first, counterfeit in a later version:
        # the current policy (counterfeit) is the one that counts.
        action("2026-11-01", "act_changed", "harassment", "2026-11-01T09:00:00Z"),
        action("2026-11-05", "act_changed", "counterfeit", "2026-11-05T10:00:00Z"),
        # act_missing / act_missing_2 are never exported: their appeals get a null policy.
    ],
    "appeals": [
        # -- group A: 2026-11-10, level 1, fraud -----------------------------
        # ap_01: 08:00 -> 10:00 = 2 h, upheld
        appeal("2026-11-10", "ap_01", "act_fraud", "2026-11-10T08:00:00Z", "2026-11-10T10:00:00Z", "upheld"),
        # ap_02: 11-09 14:00 -> 11-10 00:00 = 10 h, overturned
        appeal("2026-11-10", "ap_02", "act_fraud", "2026-11-09T14:00:00Z", "2026-11-10T00:00:00Z", "overturned"),
        # ap_03: 11-09 09:30+05:30 (= 04:00Z) -> 11-10 05:00-05:00 (= 10:00Z) = 30 h, partially overturned
        appeal(
            "2026-11-10",
            "ap_03",
            "act_fraud",
            "2026-11-09T09:30:00+05:30",
            "2026-11-10T05:00:00-05:00",
            "partially_overturned",
        ),
        # ap_04: 11-08 12:00 -> 11-10 14:00 = 50 h (> 48: outside SLA), upheld
        appeal("2026-11-10", "ap_04", "act_fraud", "2026-11-08T12:00:00Z", "2026-11-10T14:00:00Z", "upheld"),
        # -- group B: 2026-11-10, level 1, counterfeit (act_changed's current policy)
        # ap_05: 11-08 09:00 -> 11-10 09:00 = exactly 48 h: within SLA (inclusive), overturned
        appeal("2026-11-10", "ap_05", "act_changed", "2026-11-08T09:00:00Z", "2026-11-10T09:00:00Z", "overturned"),
        # ap_06: 48 h + 1 s: outside SLA, upheld
        appeal("2026-11-10", "ap_06", "act_changed", "2026-11-08T09:00:00Z", "2026-11-10T09:00:01Z", "upheld"),
        # ap_07: three versions. Pending in the 11-09 file; decided upheld at
        # 11-09 22:00 in the 11-10 file; the decision edited to overturned at
        # 11-10 08:00 in the 11-11 file. Only the current version counts:
        # 11-09 20:00 -> 11-10 08:00 = 12 h, overturned, day 11-10; nothing
        # lands on 11-09.
        appeal("2026-11-09", "ap_07", "act_changed", "2026-11-09T20:00:00Z", None, None),
        appeal(
            "2026-11-10",
            "ap_07",
            "act_changed",
            "2026-11-09T20:00:00Z",
            "2026-11-09T22:00:00Z",
            "upheld",
            updated_at="2026-11-09T22:00:00Z",
        ),
        appeal(
            "2026-11-11",
            "ap_07",
            "act_changed",
            "2026-11-09T20:00:00Z",
            "2026-11-10T08:00:00Z",
            "overturned",
            updated_at="2026-11-11T07:00:00Z",
        ),
        # -- group C: 2026-11-10, level 2, fraud (target 72 h) ----------------
        # ap_08: 11-07 10:00 -> 11-10 10:00 = 72 h: within the level-2 target
        # (it would be outside the level-1 target of 48 h), upheld
        appeal(
            "2026-11-10", "ap_08", "act_fraud", "2026-11-07T10:00:00Z", "2026-11-10T10:00:00Z", "upheld", review_level=2
        ),
        # ap_09: 11-07 12:00 -> 11-10 18:00 = 78 h: outside, overturned
        appeal(
            "2026-11-10",
            "ap_09",
            "act_fraud",
            "2026-11-07T12:00:00Z",
            "2026-11-10T18:00:00Z",
            "overturned",
            review_level=2,
        ),
        # -- group D: 2026-11-11, level 1, unknown action (policy null) -------
        # ap_10: 11-11 00:00 -> 06:30 = 6.5 h, partially overturned
        appeal(
            "2026-11-11", "ap_10", "act_missing", "2026-11-11T00:00:00Z", "2026-11-11T06:30:00Z", "partially_overturned"
        ),
        # ap_11: 11-10 23:00-02:00 (= 11-11 01:00Z) -> 11-12 01:15+02:00 (= 11-11 23:15Z)
        # = 22.25 h, upheld; decided on 11-11 in UTC although 11-12 locally
        appeal(
            "2026-11-12", "ap_11", "act_missing_2", "2026-11-10T23:00:00-02:00", "2026-11-12T01:15:00+02:00", "upheld"
        ),
        # ap_12: 11-11 02:30Z -> 11-10 23:30-05:00 (= 11-11 04:30Z) = 2 h, upheld;
        # decided on 11-10 locally, 11-11 in UTC
        appeal("2026-11-11", "ap_12", "act_missing", "2026-11-11T02:30:00Z", "2026-11-10T23:30:00-05:00", "upheld"),
        # -- group E: 2026-11-12, level 1, fraud: decided before submitted ----
        # ap_13: 11-12 10:00 -> 07:00 = -3 h, upheld. Kept (a quality-gate
        # matter): counts as decided and, -3 <= 48, as within SLA.
        appeal(
            "2026-11-12",
            "ap_13",
            "act_fraud",
            "2026-11-12T10:00:00Z",
            "2026-11-12T07:00:00Z",
            "upheld",
            updated_at="2026-11-12T10:00:00Z",
        ),
        # -- excluded ------------------------------------------------------
        # ap_14: pending (decided_at and outcome null)
        appeal("2026-11-10", "ap_14", "act_fraud", "2026-11-10T01:00:00Z", None, None),
        # ap_15: decided_at without an outcome
        appeal("2026-11-10", "ap_15", "act_fraud", "2026-11-10T01:00:00Z", "2026-11-10T05:00:00Z", None),
        # ap_16: an outcome without decided_at
        appeal(
            "2026-11-10",
            "ap_16",
            "act_fraud",
            "2026-11-10T01:00:00Z",
            None,
            "upheld",
            updated_at="2026-11-10T06:00:00Z",
        ),
    ],
}

# Expected rows, worked out by hand from the comments above.
EXPECTED = {
    # Group A. hours sorted [2, 10, 30, 50]; n = 4.
    #   median: h = 3 * 0.5 = 1.5 -> 10 + 0.5 * (30 - 10) = 20
    #   p90:    h = 3 * 0.9 = 2.7 -> 30 + 0.7 * (50 - 30) = 44
    #   within SLA (<= 48): 2, 10, 30 -> 3 of 4
    ("2026-11-10", 1, "fraud"): dict(
        decided=4,
        upheld=2,
        overturned=1,
        partially_overturned=1,
        appeal_overturn_rate=(1 + 1) / 4,  # 0.5
        full_overturn_rate=1 / 4,  # 0.25
        median_hours_to_decision=20.0,
        p90_hours_to_decision=44.0,
        within_sla=3,
        sla_attainment=3 / 4,
    ),
    # Group B. hours sorted [12, 48, 48 + 1/3600]; n = 3.
    #   median: h = 2 * 0.5 = 1 -> 48
    #   p90:    h = 2 * 0.9 = 1.8 -> 48 + 0.8 * (1/3600) = 48.000222...
    #   within SLA: 12 and 48 (inclusive); 48 h 1 s is not -> 2 of 3
    #   upheld: ap_06; overturned: ap_05, ap_07 (its current outcome)
    ("2026-11-10", 1, "counterfeit"): dict(
        decided=3,
        upheld=1,
        overturned=2,
        partially_overturned=0,
        appeal_overturn_rate=(2 + 0) / 3,
        full_overturn_rate=2 / 3,
        median_hours_to_decision=48.0,
        p90_hours_to_decision=48 + 0.8 * SECOND_IN_HOURS,
        within_sla=2,
        sla_attainment=2 / 3,
    ),
    # Group C (level 2, target 72 h). hours sorted [72, 78]; n = 2.
    #   median: h = 0.5 -> 72 + 0.5 * 6 = 75
    #   p90:    h = 0.9 -> 72 + 0.9 * 6 = 77.4
    #   within SLA: 72 (inclusive) -> 1 of 2
    ("2026-11-10", 2, "fraud"): dict(
        decided=2,
        upheld=1,
        overturned=1,
        partially_overturned=0,
        appeal_overturn_rate=1 / 2,
        full_overturn_rate=1 / 2,
        median_hours_to_decision=75.0,
        p90_hours_to_decision=77.4,
        within_sla=1,
        sla_attainment=1 / 2,
    ),
    # Group D (policy null). hours sorted [2, 6.5, 22.25]; n = 3.
    #   median: h = 1 -> 6.5
    #   p90:    h = 1.8 -> 6.5 + 0.8 * (22.25 - 6.5) = 6.5 + 12.6 = 19.1
    #   within SLA: all 3; full overturn rate 0 / 3 = 0.0 (not null: decided > 0)
    ("2026-11-11", 1, None): dict(
        decided=3,
        upheld=2,
        overturned=0,
        partially_overturned=1,
        appeal_overturn_rate=(0 + 1) / 3,
        full_overturn_rate=0.0,
        median_hours_to_decision=6.5,
        p90_hours_to_decision=19.1,
        within_sla=3,
        sla_attainment=1.0,
    ),
    # Group E. hours [-3]: median = p90 = -3; -3 <= 48 -> within SLA.
    ("2026-11-12", 1, "fraud"): dict(
        decided=1,
        upheld=1,
        overturned=0,
        partially_overturned=0,
        appeal_overturn_rate=0.0,
        full_overturn_rate=0.0,
        median_hours_to_decision=-3.0,
        p90_hours_to_decision=-3.0,
        within_sla=1,
        sla_attainment=1.0,
    ),
}

COLUMNS = [
    "day",
    "review_level",
    "policy",
    "decided",
    "upheld",
    "overturned",
    "partially_overturned",
    "appeal_overturn_rate",
    "full_overturn_rate",
    "median_hours_to_decision",
    "p90_hours_to_decision",
    "within_sla",
    "sla_attainment",
]
RATE_COLUMNS = {
    "appeal_overturn_rate",
    "full_overturn_rate",
    "median_hours_to_decision",
    "p90_hours_to_decision",
    "sla_attainment",
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    root = tmp_path_factory.mktemp("appeal_outcomes")
    built = build_from_exports(
        root / "work",
        write_rows_as_exports(root / "exports", RAW),
        dbt_args=["build", "--select", "+fct_appeal_outcomes_daily"],
        extra_env={"TZ": "Asia/Kolkata"},  # the session time zone must not matter
    )
    yield built
    built.close()


@pytest.fixture(scope="module")
def mart(warehouse: Warehouse) -> dict[tuple[str, int, str | None], dict[str, object]]:
    rows = warehouse.rows("select * from marts.fct_appeal_outcomes_daily")
    return {(r["day"].isoformat(), r["review_level"], r["policy"]): r for r in rows}


def test_columns_in_contract_order(warehouse: Warehouse) -> None:
    assert warehouse.columns("marts", "fct_appeal_outcomes_daily") == COLUMNS


def test_one_row_per_group(mart: dict) -> None:
    # No 2026-11-09 row (ap_07's superseded decision), no harassment row
    # (act_changed's superseded policy), nothing for the excluded appeals.
    assert sorted(mart, key=repr) == sorted(EXPECTED, key=repr)


@pytest.mark.parametrize("group", sorted(EXPECTED, key=repr), ids=repr)
def test_group_values(mart: dict, group: tuple[str, int, str | None]) -> None:
    row = mart[group]
    for column, expected in EXPECTED[group].items():
        if column in RATE_COLUMNS:
            assert row[column] == pytest.approx(expected, abs=1e-9), column
        else:
            assert row[column] == expected, column
            assert isinstance(row[column], int), column


def test_counts_add_up(mart: dict) -> None:
    for row in mart.values():
        assert row["decided"] == row["upheld"] + row["overturned"] + row["partially_overturned"]


def test_totals(mart: dict) -> None:
    # 13 decided appeals (ap_01..ap_13); ap_14, ap_15, ap_16 excluded.
    assert sum(r["decided"] for r in mart.values()) == 13
    # within SLA: A 3 + B 2 + C 1 + D 3 + E 1 = 10
    assert sum(r["within_sla"] for r in mart.values()) == 10


def test_sla_boundary_is_inclusive_to_the_second(warehouse: Warehouse) -> None:
    # ap_05 (exactly 48 h) is within, ap_06 (48 h + 1 s) is not: the
    # counterfeit group's within_sla of 2 is ap_05 + ap_07 (12 h).
    row = warehouse.rows("select within_sla, decided from marts.fct_appeal_outcomes_daily where policy = 'counterfeit'")
    assert row == [{"within_sla": 2, "decided": 3}]


def test_seed_targets(warehouse: Warehouse) -> None:
    rows = warehouse.rows("select review_level, target_hours from reference.appeal_sla_targets order by 1")
    assert rows == [{"review_level": 1, "target_hours": 48}, {"review_level": 2, "target_hours": 72}]


def test_mart_documented_column_by_column() -> None:
    models = yaml.safe_load((DBT_PROJECT_DIR / "models" / "marts" / "_marts__models.yml").read_text())["models"]
    model = next(m for m in models if m["name"] == "fct_appeal_outcomes_daily")
    assert [c["name"] for c in model["columns"]] == COLUMNS
    assert all(c.get("description") for c in model["columns"])


def test_day_is_a_date(mart: dict) -> None:
    assert all(type(r["day"]) is dt.date for r in mart.values())


def test_fixture_loaded_through_the_loader_without_quarantine(warehouse: Warehouse) -> None:
    assert warehouse.scalar("select count(*) from raw.appeals") == len(RAW["appeals"])
    assert warehouse.scalar("select count(*) from raw.enforcement_actions") == len(RAW["enforcement_actions"])
    for table in ("appeals", "enforcement_actions"):
        assert warehouse.scalar(f"select count(*) from quarantine.{table}") == 0
