"""fct_enforcement_outcomes_daily and fct_appeal_backlog_daily against hand-made exports.

One fixture: a small export folder (enforcement_actions, appeals, qa_reviews
over five export days, 2026-10-01 .. 2026-11-14) pushed through the real
loader and one ``dbt build`` of both marts. Every expected value below is
worked out by hand from the rows in this file (docs/metrics.md "Enforcement
outcomes" and "Appeal backlog").

As-of day = the last export day = 2026-11-14; first export day = 2026-10-01.
Cohorts: 2026-10-01 (44 days old: mature), 2026-10-15 (exactly 30 days:
as_of_day >= day + 30 holds with equality: mature), 2026-10-16 (29 days:
immature), 2026-11-10 (4 days: immature).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dbt_runner import Warehouse
from tests.export_builder import write_exports
from tests.pipeline_runner import build_from_exports

pytestmark = pytest.mark.slow

END_OF_DAY = "23:59:59.999999"


def action(
    action_id: str,
    policy: str,
    action_type: str,
    detection_source: str,
    decided_by: str,
    created_at: str,
    updated_at: str | None = None,
    reversed_at: str | None = None,
    reversal_reason: str | None = None,
) -> dict[str, object]:
    return {
        "action_id": action_id,
        "user_id": f"user_of_{action_id}",
        "action_type": action_type,
        "policy": policy,
        "detection_source": detection_source,
        "decided_by": decided_by,
        "agent_id": "agent_1" if decided_by == "agent" else None,
        "created_at": created_at,
        "reversed_at": reversed_at,
        "reversal_reason": reversal_reason,
        "updated_at": updated_at or created_at,
    }


def appeal(
    appeal_id: str,
    action_id: str,
    review_level: int,
    submitted_at: str,
    decided_at: str | None = None,
    outcome: str | None = None,
) -> dict[str, object]:
    return {
        "appeal_id": appeal_id,
        "action_id": action_id,
        "user_id": f"user_of_{action_id}",
        "submitted_at": submitted_at,
        "review_level": review_level,
        "assigned_agent_id": "agent_2",
        "decided_at": decided_at,
        "outcome": outcome,
        "updated_at": decided_at or submitted_at,
    }


def review(
    review_id: str,
    case_id: str,
    reviewed_at: str,
    policy_applied_correctly: bool | None,
    sampling_method: str = "random",
    case_type: str = "enforcement",
) -> dict[str, object]:
    return {
        "review_id": review_id,
        "case_type": case_type,
        "case_id": case_id,
        "agent_id": "agent_1",
        "reviewer_id": "reviewer_1",
        "reviewed_at": reviewed_at,
        "rubric_version": "v1",
        "sampling_method": sampling_method,
        "calibration_session_id": "cal_1" if sampling_method == "calibration" else None,
        "policy_applied_correctly": policy_applied_correctly,
        "critical_error": False,
        "overall_score": 90,
        "updated_at": reviewed_at,
    }


SUSPENSION_FRAUD = ("fraud", "suspension", "automated", "automated")

# table -> export day -> rows
EXPORTS: dict[str, dict[str, list[dict[str, object]]]] = {
    "enforcement_actions": {
        "2026-10-01": [
            # act_1: harassment in its first version; fraud (and reversed on
            # appeal) in the 2026-10-15 version: the current policy wins.
            action("act_1", "harassment", "suspension", "automated", "automated", "2026-10-01T08:00:00Z"),
            action("act_2", *SUSPENSION_FRAUD, "2026-10-01T09:00:00Z"),
            # act_3: not reversed, has a pending appeal (ap_2).
            action("act_3", *SUSPENSION_FRAUD, "2026-10-01T10:00:00Z"),
            # act_4: nothing happens to it (its own group; not audited -> null rate).
            action("act_4", "harassment", "ban", "user_report", "agent", "2026-10-01T11:00:00Z"),
        ],
        "2026-10-15": [
            # act_2: reversed by a QA correction (a version can only be exported
            # on or after the day of its updated_at).
            action(
                "act_2",
                *SUSPENSION_FRAUD,
                "2026-10-01T09:00:00Z",
                updated_at="2026-10-03T12:00:00Z",
                reversed_at="2026-10-03T12:00:00Z",
                reversal_reason="qa_correction",
            ),
            action(
                "act_1",
                *SUSPENSION_FRAUD,
                "2026-10-01T08:00:00Z",
                updated_at="2026-10-05T10:00:00Z",
                reversed_at="2026-10-05T10:00:00Z",
                reversal_reason="appeal_overturned",
            ),
            # act_5: cohort 2026-10-15, exactly 30 days before the as-of day.
            action("act_5", "counterfeit", "warning", "proactive_agent", "agent", "2026-10-15T23:00:00Z"),
        ],
        "2026-11-10": [
            # act_6: cohort 2026-10-16, 29 days before the as-of day.
            action("act_6", "counterfeit", "warning", "proactive_agent", "agent", "2026-10-16T00:30:00Z"),
            # act_7: cohort 2026-11-10, immature.
            action("act_7", "prohibited_item", "listing_removal", "automated", "automated", "2026-11-10T12:00:00Z"),
        ],
    },
    "appeals": {
        "2026-10-15": [
            # level 1, pending at the end of 10-02 (14 h old), 10-03 (38 h),
            # 10-04 (62 h > 48: past SLA); decided 10-05 10:00 -> not pending on 10-05.
            appeal("ap_1", "act_1", 1, "2026-10-02T09:00:00Z", "2026-10-05T10:00:00Z", "overturned"),
        ],
        "2026-11-10": [
            # level 2, pending at the end of 10-16 (14 h), 10-17 (38 h),
            # 10-18 (62 h), 10-19 (86 h > 72: past SLA); decided 10-20 10:00.
            appeal("ap_3", "act_5", 2, "2026-10-16T10:00:00Z", "2026-10-20T10:00:00Z", "upheld"),
            # level 1, decided at exactly the end of 11-10: decided_at > end of
            # 11-10 is false, so it is never pending.
            appeal("ap_4", "act_7", 1, "2026-11-10T13:00:00Z", f"2026-11-10T{END_OF_DAY}Z", "upheld"),
        ],
        "2026-11-12": [
            # level 1, still pending: age at the end of 11-11 = 0 h (submitted
            # exactly then), 11-12 = 24 h, 11-13 = exactly 48 h (not past: strictly
            # greater is required), 11-14 = 72 h (past SLA).
            appeal("ap_2", "act_3", 1, f"2026-11-11T{END_OF_DAY}Z"),
        ],
    },
    "qa_reviews": {
        "2026-10-15": [
            # act_1: one review, correct.
            review("rv_1a", "act_1", "2026-10-04T09:00:00Z", True),
            # act_2: two enforcement reviews; the latest (false) counts.
            review("rv_2a", "act_2", "2026-10-02T10:00:00Z", True),
            review("rv_2b", "act_2", "2026-10-03T11:00:00Z", False),
            # ... and a later calibration review (true) that is ignored.
            review("rv_2c", "act_2", "2026-10-04T10:00:00Z", True, sampling_method="calibration"),
            # act_3: a false review, then a later one with a null verdict (ignored).
            review("rv_3a", "act_3", "2026-10-05T10:00:00Z", False),
            review("rv_3b", "act_3", "2026-10-06T10:00:00Z", None),
            # act_4: a ticket review with the same case id is not an enforcement audit.
            review("rv_4a", "act_4", "2026-10-06T10:00:00Z", False, case_type="ticket"),
        ],
        "2026-11-14": [
            # act_7 only has a review with a null verdict: not audited.
            review("rv_7a", "act_7", "2026-11-13T10:00:00Z", None),
        ],
    },
}

# Wilson 95% (z = 1.96) for 2 wrong out of 3 audited, by hand:
#   p = 2/3 = 0.666667; z^2 = 3.8416; z^2/(2n) = 0.640267; 1 + z^2/n = 2.280533
#   centre = (0.666667 + 0.640267) / 2.280533 = 0.573082
#   half = 1.96 / 2.280533 * sqrt(p(1-p)/n + z^2/(4n^2))
#        = 0.859448 * sqrt(0.074074 + 0.106711) = 0.859448 * 0.425188 = 0.365427
#   low = 0.207655, high = 0.938510
WILSON_2_OF_3 = (0.207655, 0.938510)

ENFORCEMENT_EXPECTED: dict[tuple[str, str, str, str, str], dict[str, object]] = {
    # act_1 (reversed by appeal; appealed; audited correct), act_2 (reversed by
    # QA; latest audit wrong), act_3 (pending appeal; latest non-null audit wrong).
    ("2026-10-01", "fraud", "suspension", "automated", "automated"): {
        "actions": 3,
        "reversed": 2,
        "reversed_by_appeal": 1,
        "reversed_by_qa": 1,
        "wrongful_enforcement_rate": 2 / 3,
        "appealed": 2,
        "appeal_rate": 2 / 3,
        "proactive": 3,
        "proactive_rate": 1.0,
        "is_mature": True,
        "audited": 3,
        "audited_wrong": 2,
        "audited_error_rate": 2 / 3,
        "audited_error_rate_ci_low": WILSON_2_OF_3[0],
        "audited_error_rate_ci_high": WILSON_2_OF_3[1],
    },
    # act_4: zero denominators for the audit -> null rate and bounds; user_report is not proactive.
    ("2026-10-01", "harassment", "ban", "user_report", "agent"): {
        "actions": 1,
        "reversed": 0,
        "reversed_by_appeal": 0,
        "reversed_by_qa": 0,
        "wrongful_enforcement_rate": 0.0,
        "appealed": 0,
        "appeal_rate": 0.0,
        "proactive": 0,
        "proactive_rate": 0.0,
        "is_mature": True,
        "audited": 0,
        "audited_wrong": 0,
        "audited_error_rate": None,
        "audited_error_rate_ci_low": None,
        "audited_error_rate_ci_high": None,
    },
    # act_5: exactly 30 days before 2026-11-14 -> mature.
    ("2026-10-15", "counterfeit", "warning", "proactive_agent", "agent"): {
        "actions": 1,
        "reversed": 0,
        "reversed_by_appeal": 0,
        "reversed_by_qa": 0,
        "wrongful_enforcement_rate": 0.0,
        "appealed": 1,
        "appeal_rate": 1.0,
        "proactive": 1,
        "proactive_rate": 1.0,
        "is_mature": True,
        "audited": 0,
        "audited_wrong": 0,
        "audited_error_rate": None,
        "audited_error_rate_ci_low": None,
        "audited_error_rate_ci_high": None,
    },
    # act_6: 29 days -> immature.
    ("2026-10-16", "counterfeit", "warning", "proactive_agent", "agent"): {
        "actions": 1,
        "reversed": 0,
        "reversed_by_appeal": 0,
        "reversed_by_qa": 0,
        "wrongful_enforcement_rate": 0.0,
        "appealed": 0,
        "appeal_rate": 0.0,
        "proactive": 1,
        "proactive_rate": 1.0,
        "is_mature": False,
        "audited": 0,
        "audited_wrong": 0,
        "audited_error_rate": None,
        "audited_error_rate_ci_low": None,
        "audited_error_rate_ci_high": None,
    },
    # act_7: immature; appealed (decided appeal); its only review has a null verdict.
    ("2026-11-10", "prohibited_item", "listing_removal", "automated", "automated"): {
        "actions": 1,
        "reversed": 0,
        "reversed_by_appeal": 0,
        "reversed_by_qa": 0,
        "wrongful_enforcement_rate": 0.0,
        "appealed": 1,
        "appeal_rate": 1.0,
        "proactive": 1,
        "proactive_rate": 1.0,
        "is_mature": False,
        "audited": 0,
        "audited_wrong": 0,
        "audited_error_rate": None,
        "audited_error_rate_ci_low": None,
        "audited_error_rate_ci_high": None,
    },
}

ENFORCEMENT_COLUMNS = [
    "day",
    "policy",
    "action_type",
    "detection_source",
    "decided_by",
    "actions",
    "reversed",
    "reversed_by_appeal",
    "reversed_by_qa",
    "wrongful_enforcement_rate",
    "appealed",
    "appeal_rate",
    "proactive",
    "proactive_rate",
    "is_mature",
    "audited",
    "audited_wrong",
    "audited_error_rate",
    "audited_error_rate_ci_low",
    "audited_error_rate_ci_high",
]
RATE_COLUMNS = {
    "wrongful_enforcement_rate",
    "appeal_rate",
    "proactive_rate",
    "audited_error_rate",
    "audited_error_rate_ci_low",
    "audited_error_rate_ci_high",
}

# (day, level) -> (backlog, backlog_past_sla); every other day x level is (0, 0).
BACKLOG_NONZERO: dict[tuple[str, int], tuple[int, int]] = {
    ("2026-10-02", 1): (1, 0),
    ("2026-10-03", 1): (1, 0),
    ("2026-10-04", 1): (1, 1),
    ("2026-10-16", 2): (1, 0),
    ("2026-10-17", 2): (1, 0),
    ("2026-10-18", 2): (1, 0),
    ("2026-10-19", 2): (1, 1),
    ("2026-11-11", 1): (1, 0),
    ("2026-11-12", 1): (1, 0),
    ("2026-11-13", 1): (1, 0),
    ("2026-11-14", 1): (1, 1),
}
FIRST_DAY, AS_OF_DAY = dt.date(2026, 10, 1), dt.date(2026, 11, 14)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    root = tmp_path_factory.mktemp("enforcement_marts")
    exports = write_exports(root / "exports", EXPORTS)
    built = build_from_exports(
        Path(root / "work"),
        exports,
        dbt_args=["build", "--select", "+fct_enforcement_outcomes_daily", "+fct_appeal_backlog_daily"],
    )
    yield built
    built.close()


def enforcement_rows(warehouse: Warehouse) -> dict[tuple, dict[str, object]]:
    rows = warehouse.rows("select * from marts.fct_enforcement_outcomes_daily")
    return {
        (r["day"].isoformat(), r["policy"], r["action_type"], r["detection_source"], r["decided_by"]): r for r in rows
    }


def test_nothing_quarantined(warehouse: Warehouse) -> None:
    for table_name in EXPORTS:
        assert warehouse.scalar(f"select count(*) from quarantine.{table_name}") == 0, table_name


def test_enforcement_columns(warehouse: Warehouse) -> None:
    assert warehouse.columns("marts", "fct_enforcement_outcomes_daily") == ENFORCEMENT_COLUMNS


def test_enforcement_groups(warehouse: Warehouse) -> None:
    # No harassment/suspension group: act_1's superseded policy does not count.
    assert sorted(enforcement_rows(warehouse)) == sorted(ENFORCEMENT_EXPECTED)


@pytest.mark.parametrize("group", sorted(ENFORCEMENT_EXPECTED), ids=repr)
def test_enforcement_values(warehouse: Warehouse, group: tuple) -> None:
    row = enforcement_rows(warehouse)[group]
    for column, expected in ENFORCEMENT_EXPECTED[group].items():
        if expected is None:
            assert row[column] is None, column
        elif column in RATE_COLUMNS:
            tolerance = 1e-4 if column.endswith(("_ci_low", "_ci_high")) else 1e-9
            assert row[column] == pytest.approx(expected, abs=tolerance), column
        else:
            assert row[column] == expected, column
            assert type(row[column]) is type(expected), column


def test_as_of_day(warehouse: Warehouse) -> None:
    assert warehouse.rows("select first_export_day, as_of_day from intermediate.int_run_as_of") == [
        {"first_export_day": FIRST_DAY, "as_of_day": AS_OF_DAY}
    ]


def test_backlog_columns(warehouse: Warehouse) -> None:
    assert warehouse.columns("marts", "fct_appeal_backlog_daily") == [
        "day",
        "review_level",
        "backlog",
        "backlog_past_sla",
    ]


def test_backlog_every_day_both_levels(warehouse: Warehouse) -> None:
    rows = warehouse.rows("select day, review_level, backlog, backlog_past_sla from marts.fct_appeal_backlog_daily")
    days = [FIRST_DAY + dt.timedelta(days=i) for i in range((AS_OF_DAY - FIRST_DAY).days + 1)]
    assert len(days) == 45
    expected = {
        (d.isoformat(), level): BACKLOG_NONZERO.get((d.isoformat(), level), (0, 0)) for d in days for level in (1, 2)
    }
    actual = {(r["day"].isoformat(), r["review_level"]): (r["backlog"], r["backlog_past_sla"]) for r in rows}
    assert len(rows) == 90
    assert actual == expected


def test_backlog_boundaries(warehouse: Warehouse) -> None:
    def at(day: str, level: int) -> tuple[int, int]:
        row = warehouse.rows(
            "select backlog, backlog_past_sla from marts.fct_appeal_backlog_daily where day = ? and review_level = ?",
            [dt.date.fromisoformat(day), level],
        )[0]
        return row["backlog"], row["backlog_past_sla"]

    assert at("2026-10-01", 1) == (0, 0)  # a day with nothing pending still has its rows
    assert at("2026-10-01", 2) == (0, 0)
    assert at("2026-11-10", 1) == (0, 0)  # ap_4 decided at exactly 23:59:59.999999
    assert at("2026-11-13", 1) == (1, 0)  # ap_2 exactly 48 h old: not past SLA
    assert at("2026-11-14", 1) == (1, 1)  # ap_2 72 h old: past SLA
