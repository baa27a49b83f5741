"""Support-quality marts against a hand-made export folder, expected values worked out by hand.

docs/metrics.md "Support quality": fct_csat_daily, fct_qa_scores_daily,
fct_ticket_sla_daily, fct_ticket_response_daily, plus dim_agents and dim_date.
One export folder, pushed once through the real loader and `dbt build`.

Export days: agents on 2026-11-07 (a Saturday), then 2026-11-09 (Monday) ..
2026-11-11 (Wednesday). The as-of day is 2026-11-11, so the as-of time is
2026-11-11 23:59:59.999999 UTC.

Continuous percentiles: for sorted values x0..x(n-1), percentile p sits at
h = (n - 1) * p and equals x[floor h] + (h - floor h) * (x[floor h + 1] - x[floor h]).

Wilson 95% interval (z = 1.96, z^2 = 3.8416) of x successes in n trials:
    p = x / n, d = 1 + z^2 / n
    centre = (p + z^2 / (2n)) / d, half = (z / d) * sqrt(p (1 - p) / n + z^2 / (4 n^2))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from dagster_project.settings import DBT_PROJECT_DIR
from tests.dbt_runner import Warehouse
from tests.export_builder import write_exports
from tests.pipeline_runner import build_from_exports

pytestmark = pytest.mark.slow

WILSON_TOLERANCE = 1e-4


def ticket(ticket_id: int, **fields: object) -> dict[str, object]:
    return {
        "ticket_id": ticket_id,
        "requester_user_id": f"user_{ticket_id}",
        "subject": "never reaches a mart",
        "channel": "email",
        "category": "coins",
        "status": "solved" if fields.get("solved_at") else "open",
        **fields,
    }


def rating(rating_id: str, ticket_id: int, score: int | None, created_at: str) -> dict[str, object]:
    return {
        "rating_id": rating_id,
        "ticket_id": ticket_id,
        "score": score,
        "comment": "free text",
        "created_at": created_at,
        "updated_at": created_at,
    }


def review(
    review_id: str,
    agent_id: str,
    case_type: str,
    reviewed_at: str,
    sampling_method: str,
    critical_error: bool | None,
    overall_score: float,
    policy: bool | None,
) -> dict[str, object]:
    return {
        "review_id": review_id,
        "case_type": case_type,
        "case_id": f"case_{review_id}",
        "agent_id": agent_id,
        "reviewer_id": "qa_1",
        "reviewed_at": reviewed_at,
        "rubric_version": "v3",
        "sampling_method": sampling_method,
        "calibration_session_id": "cal_1" if sampling_method == "calibration" else None,
        "policy_applied_correctly": policy,
        "critical_error": critical_error,
        "overall_score": overall_score,
        "updated_at": reviewed_at,
    }


# t1 as first exported: assigned to ag1 in queue fraud until 11-10 09:00.
T1_V1 = ticket(
    1,
    queue="fraud",
    priority="high",
    assignee_agent_id="ag1",
    created_at="2026-11-09T08:00:00Z",
    first_reply_at="2026-11-09T12:00:00Z",  # exactly 4 h
    solved_at="2026-11-09T15:00:00Z",
    updated_at="2026-11-09T15:00:00Z",
)

EXPORTS: dict[str, dict[str, list[dict[str, object]]]] = {
    "tickets": {
        "2026-11-09": [
            T1_V1,
            # t2: high, replied 4 h + 1 s after creation (outside); two ratings
            ticket(
                2,
                queue="general",
                priority="high",
                assignee_agent_id="ag2",
                created_at="2026-11-09T08:00:00Z",
                first_reply_at="2026-11-09T12:00:01Z",
                solved_at="2026-11-09T20:00:00Z",
                updated_at="2026-11-09T20:00:00Z",
            ),
            # t3: high, never replied; deadline 11-09 14:00 < as-of time: due, not within
            ticket(
                3,
                queue="general",
                priority="high",
                assignee_agent_id="ag2",
                created_at="2026-11-09T10:00:00Z",
                updated_at="2026-11-09T10:00:00Z",
            ),
            # t5: null priority (no target), replied after 30 min
            ticket(
                5,
                queue="general",
                priority=None,
                assignee_agent_id="ag2",
                created_at="2026-11-09T09:00:00Z",
                first_reply_at="2026-11-09T09:30:00Z",
                updated_at="2026-11-09T09:30:00Z",
            ),
            # t9: high, replied after 30 min (within), solved, never rated
            ticket(
                9,
                queue="general",
                priority="high",
                assignee_agent_id="ag2",
                created_at="2026-11-09T06:00:00Z",
                first_reply_at="2026-11-09T06:30:00Z",
                solved_at="2026-11-09T07:00:00Z",
                updated_at="2026-11-09T07:00:00Z",
            ),
        ],
        "2026-11-10": [
            # t1 reassigned to ag2 / queue general at 11-10 09:00, after its rating
            {**T1_V1, "assignee_agent_id": "ag2", "queue": "general", "updated_at": "2026-11-10T09:00:00Z"},
            # t6: low, replied after 60 min; its only rating has no score
            ticket(
                6,
                queue="fraud",
                category="toys",
                priority="low",
                assignee_agent_id="ag3",
                created_at="2026-11-10T09:00:00Z",
                first_reply_at="2026-11-10T10:00:00Z",
                solved_at="2026-11-10T11:00:00Z",
                updated_at="2026-11-10T11:00:00Z",
            ),
            # t10: low, replied after 10 min, rated 3
            ticket(
                10,
                queue="fraud",
                category="toys",
                priority="low",
                assignee_agent_id="ag3",
                created_at="2026-11-10T08:00:00Z",
                first_reply_at="2026-11-10T08:10:00Z",
                solved_at="2026-11-10T09:30:00Z",
                updated_at="2026-11-10T09:30:00Z",
            ),
        ],
        "2026-11-11": [
            # t7: first exported (updated_at 11-11 08:00) after its rating of 11-10 10:00
            ticket(
                7,
                queue="fraud",
                category="toys",
                priority="normal",
                assignee_agent_id="ag3",
                created_at="2026-11-10T07:00:00Z",
                first_reply_at="2026-11-10T07:30:00Z",
                solved_at="2026-11-10T09:00:00Z",
                updated_at="2026-11-11T08:00:00Z",
            ),
            # t4: normal, created 11-11 22:00, unreplied: deadline 11-12 22:00 is
            # after the as-of time, so not yet due
            ticket(
                4,
                queue="general",
                priority="normal",
                assignee_agent_id=None,
                created_at="2026-11-11T22:00:00Z",
                updated_at="2026-11-11T22:00:00Z",
            ),
        ],
    },
    "satisfaction_ratings": {
        "2026-11-09": [
            rating("r1", 1, 5, "2026-11-09T18:00:00Z"),  # t1 then with ag1 / fraud
            rating("r2a", 2, 5, "2026-11-09T21:00:00Z"),  # t2's earlier rating: superseded
        ],
        "2026-11-10": [
            rating("r2b", 2, 2, "2026-11-10T08:00:00Z"),  # t2's latest rating: counts
            rating("r6", 6, None, "2026-11-10T12:00:00Z"),  # no score: not counted
            rating("r7", 7, 4, "2026-11-10T10:00:00Z"),
            rating("r10", 10, 3, "2026-11-10T11:00:00Z"),
            rating("r99", 99, 3, "2026-11-10T14:00:00Z"),  # ticket never exported
        ],
    },
    "qa_reviews": {
        "2026-11-10": [
            review("q1", "ag1", "ticket", "2026-11-10T09:00:00Z", "random", True, 90, False),  # auto-fail: 0
            review("q2", "ag1", "ticket", "2026-11-10T10:00:00Z", "random", False, 80, True),
            review("q3", "ag1", "ticket", "2026-11-10T11:00:00Z", "stratified", None, 70, True),  # null = no error
            review("q4", "ag1", "ticket", "2026-11-10T12:00:00Z", "calibration", True, 10, False),  # excluded
            review("q5", "ag1", "ticket", "2026-11-10T13:00:00Z", "targeted", False, 100, None),
        ],
        "2026-11-11": [
            review("q6", "ag2", "enforcement", "2026-11-11T08:00:00Z", "random", False, 60, None),
        ],
    },
    "agents": {
        "2026-11-07": [
            {
                "agent_id": "ag1",
                "display_name": "Ada",
                "email": "ada@example.com",
                "team": "t1",
                "site": "berlin",
                "role": "agent",
                "hired_at": "2026-01-01T09:00:00Z",
                "active": True,
                "updated_at": "2026-11-07T09:00:00Z",
            },
        ],
        "2026-11-10": [
            {
                "agent_id": "ag1",
                "display_name": "Ada",
                "email": "ada@example.com",
                "team": "t2",
                "site": "berlin",
                "role": "lead",
                "hired_at": "2026-01-01T09:00:00Z",
                "active": True,
                "updated_at": "2026-11-10T09:00:00Z",
            },
            {
                "agent_id": "ag2",
                "display_name": "Bo",
                "email": "bo@example.com",
                "team": "t1",
                "site": "austin",
                "role": "agent",
                "hired_at": "2025-11-11T23:30:00-05:00",
                "active": False,
                "updated_at": "2026-11-10T09:00:00Z",
            },
            {
                "agent_id": "ag3",
                "team": "t1",
                "site": "austin",
                "role": "specialist",
                "hired_at": None,
                "active": True,
                "updated_at": "2026-11-10T09:00:00Z",
            },
        ],
    },
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    root = tmp_path_factory.mktemp("support_marts")
    exports = write_exports(root / "exports", EXPORTS)
    built = build_from_exports(
        Path(root / "work"),
        exports,
        dbt_args=[
            "build",
            "--select",
            "+fct_csat_daily",
            "+fct_qa_scores_daily",
            "+fct_ticket_sla_daily",
            "+fct_ticket_response_daily",
            "+dim_agents",
            "+dim_date",
        ],
    )
    yield built
    built.close()


def keyed(warehouse: Warehouse, relation: str, grain: list[str]) -> dict[tuple, dict[str, object]]:
    rows = warehouse.rows(f"select * from marts.{relation}")
    return {tuple(r[c].isoformat() if isinstance(r[c], dt.date) else r[c] for c in grain): r for r in rows}


def assert_row(row: dict[str, object], expected: dict[str, object]) -> None:
    for column, value in expected.items():
        if isinstance(value, float):
            assert row[column] == pytest.approx(value, abs=1e-9), column
        else:
            assert row[column] == value, column


# -- CSAT -------------------------------------------------------------------

CSAT_EXPECTED = {
    # r1 (11-09 18:00, score 5): t1's version valid then is v1 [11-09 15:00, 11-10 09:00):
    # ag1 / fraud, not the later ag2 / general.
    ("2026-11-09", "ag1", "fraud", "coins"): dict(ratings=1, positive_ratings=1, csat_pct=1.0, csat_mean=5.0),
    # r2b (score 2) is t2's latest rating; r2a (11-09, score 5) is not counted,
    # so there is no (2026-11-09, ag2, ...) row. 0 positive of 1 -> 0.0 (not null).
    ("2026-11-10", "ag2", "general", "coins"): dict(ratings=1, positive_ratings=0, csat_pct=0.0, csat_mean=2.0),
    # r7 (score 4): t7 first exported after the rating -> its earliest version (ag3 / fraud / toys);
    # r10 (score 3): t10 with ag3. positive 1 of 2 -> 0.5; mean (4 + 3) / 2 = 3.5.
    # r6 has no score: not counted.
    ("2026-11-10", "ag3", "fraud", "toys"): dict(ratings=2, positive_ratings=1, csat_pct=0.5, csat_mean=3.5),
    # r99: ticket never exported: null agent, queue and category, kept as its own group.
    ("2026-11-10", None, None, None): dict(ratings=1, positive_ratings=0, csat_pct=0.0, csat_mean=3.0),
}


def test_csat_rows(warehouse: Warehouse) -> None:
    mart = keyed(warehouse, "fct_csat_daily", ["day", "agent_id", "queue", "category"])
    assert sorted(mart, key=repr) == sorted(CSAT_EXPECTED, key=repr)
    for key, expected in CSAT_EXPECTED.items():
        assert_row(mart[key], expected)


def test_csat_counts_each_ticket_once(warehouse: Warehouse) -> None:
    # 7 ratings exported: r6 has no score, r2a is superseded by r2b -> 5 counted.
    assert warehouse.scalar("select sum(ratings) from marts.fct_csat_daily") == 5


# -- QA scores ----------------------------------------------------------------

QA_EXPECTED = {
    # q4 (calibration) excluded -> q1, q2, q3, q5.
    # review scores: q1 critical -> 0 (not 90), q2 80, q3 70 (null critical = false), q5 100
    # iqs = (0 + 80 + 70 + 100) / 4 = 62.5
    # critical errors 1 of 4 -> 0.25. Wilson(1, 4): p = 0.25, d = 1 + 3.8416/4 = 1.9604,
    #   centre = (0.25 + 3.8416/8) / 1.9604 = 0.7302 / 1.9604 = 0.372475
    #   half = (1.96 / 1.9604) * sqrt(0.25 * 0.75 / 4 + 3.8416/64) = 0.999796 * sqrt(0.1069) = 0.326889
    #   -> [0.045586, 0.699364]
    # policy: q1 false, q2 true, q3 true, q5 null -> 2 of 3 = 0.666...
    #   Wilson(2, 3): p = 2/3, d = 1 + 3.8416/3 = 2.280533,
    #   centre = (0.666667 + 3.8416/6) / 2.280533 = 1.306933 / 2.280533 = 0.573082
    #   half = (1.96 / 2.280533) * sqrt((2/3)(1/3)/3 + 3.8416/36) = 0.859447 * sqrt(0.180785) = 0.365427
    #   -> [0.207655, 0.938510]
    ("2026-11-10", "ag1", "ticket"): dict(
        reviews=4,
        iqs=62.5,
        critical_errors=1,
        critical_error_rate=0.25,
        policy_reviews=3,
        policy_adherent=2,
        policy_adherence_rate=2 / 3,
    ),
    # q6: no critical error -> 0 of 1 = 0.0; policy null -> policy_reviews 0, rate and bounds null.
    #   Wilson(0, 1): p = 0, d = 4.8416, centre = (3.8416/2) / 4.8416 = 0.396728,
    #   half = (1.96 / 4.8416) * sqrt(3.8416/4) = 0.404825 * 0.98 = 0.396728 -> [0, 0.793457]
    ("2026-11-11", "ag2", "enforcement"): dict(
        reviews=1,
        iqs=60.0,
        critical_errors=0,
        critical_error_rate=0.0,
        policy_reviews=0,
        policy_adherent=0,
        policy_adherence_rate=None,
        policy_adherence_rate_ci_low=None,
        policy_adherence_rate_ci_high=None,
    ),
}
WILSON_EXPECTED = {
    ("2026-11-10", "ag1", "ticket"): dict(
        critical_error_rate_ci_low=0.0456,
        critical_error_rate_ci_high=0.6994,
        policy_adherence_rate_ci_low=0.2077,
        policy_adherence_rate_ci_high=0.9385,
    ),
    ("2026-11-11", "ag2", "enforcement"): dict(
        critical_error_rate_ci_low=0.0,
        critical_error_rate_ci_high=0.7935,
    ),
}


def test_qa_scores_rows(warehouse: Warehouse) -> None:
    mart = keyed(warehouse, "fct_qa_scores_daily", ["day", "agent_id", "case_type"])
    assert sorted(mart, key=repr) == sorted(QA_EXPECTED, key=repr)
    for key, expected in QA_EXPECTED.items():
        assert_row(mart[key], expected)


def test_qa_wilson_bounds(warehouse: Warehouse) -> None:
    mart = keyed(warehouse, "fct_qa_scores_daily", ["day", "agent_id", "case_type"])
    for key, expected in WILSON_EXPECTED.items():
        for column, value in expected.items():
            assert mart[key][column] == pytest.approx(value, abs=WILSON_TOLERANCE), (key, column)


# -- Ticket SLA -----------------------------------------------------------------

SLA_EXPECTED = {
    # Current state: t1 is now in queue general. Group: t1, t2, t3, t9 (all high, target 4 h).
    #   t1 4 h exactly -> within; t2 4 h + 1 s -> outside; t9 30 min -> within;
    #   t3 unreplied, deadline 11-09 14:00 < as-of -> due, not within.
    #   replied 3, within 2, due 3 + 1 = 4 -> attainment 2 / 4 = 0.5
    #   minutes sorted [30, 240, 240 + 1/60]: median h = 1 -> 240
    ("2026-11-09", "general", "high"): dict(
        tickets=4,
        replied=3,
        replied_within_sla=2,
        sla_due=4,
        first_reply_sla_attainment=0.5,
        median_first_reply_minutes=240.0,
    ),
    # t5: null priority -> no target: replied but never due or within; attainment null (0 due).
    ("2026-11-09", "general", None): dict(
        tickets=1,
        replied=1,
        replied_within_sla=0,
        sla_due=0,
        first_reply_sla_attainment=None,
        median_first_reply_minutes=30.0,
    ),
    # t6 60 min, t10 10 min, target 48 h: both within. median of [10, 60] = 35.
    ("2026-11-10", "fraud", "low"): dict(
        tickets=2,
        replied=2,
        replied_within_sla=2,
        sla_due=2,
        first_reply_sla_attainment=1.0,
        median_first_reply_minutes=35.0,
    ),
    # t7: 30 min, target 24 h: within.
    ("2026-11-10", "fraud", "normal"): dict(
        tickets=1,
        replied=1,
        replied_within_sla=1,
        sla_due=1,
        first_reply_sla_attainment=1.0,
        median_first_reply_minutes=30.0,
    ),
    # t4: unreplied, deadline 11-12 22:00 after the as-of time 11-11 23:59:59.999999:
    # not yet due -> zero denominator -> null attainment; no reply -> null median.
    ("2026-11-11", "general", "normal"): dict(
        tickets=1,
        replied=0,
        replied_within_sla=0,
        sla_due=0,
        first_reply_sla_attainment=None,
        median_first_reply_minutes=None,
    ),
}


def test_ticket_sla_rows(warehouse: Warehouse) -> None:
    mart = keyed(warehouse, "fct_ticket_sla_daily", ["day", "queue", "priority"])
    assert sorted(mart, key=repr) == sorted(SLA_EXPECTED, key=repr)
    for key, expected in SLA_EXPECTED.items():
        assert_row(mart[key], expected)


def test_ticket_sla_seed(warehouse: Warehouse) -> None:
    rows = warehouse.rows("select priority, target_hours from reference.ticket_sla_targets order by target_hours")
    assert rows == [
        {"priority": "urgent", "target_hours": 1},
        {"priority": "high", "target_hours": 4},
        {"priority": "normal", "target_hours": 24},
        {"priority": "low", "target_hours": 48},
    ]


# -- Response rate --------------------------------------------------------------

RESPONSE_EXPECTED = {
    # solved 11-09, general, high: t1 (rated r1), t2 (rated r2a, r2b), t9 (no rating) -> 2 / 3
    ("2026-11-09", "general", "high"): dict(solved_tickets=3, rated_tickets=2, response_rate=2 / 3),
    # t6 (only rating unscored: not rated), t10 (rated) -> 1 / 2
    ("2026-11-10", "fraud", "low"): dict(solved_tickets=2, rated_tickets=1, response_rate=0.5),
    # t7 rated -> 1 / 1
    ("2026-11-10", "fraud", "normal"): dict(solved_tickets=1, rated_tickets=1, response_rate=1.0),
}


def test_ticket_response_rows(warehouse: Warehouse) -> None:
    mart = keyed(warehouse, "fct_ticket_response_daily", ["day", "queue", "priority"])
    assert sorted(mart, key=repr) == sorted(RESPONSE_EXPECTED, key=repr)
    for key, expected in RESPONSE_EXPECTED.items():
        assert_row(mart[key], expected)


# -- Dimensions -----------------------------------------------------------------


def test_dim_agents(warehouse: Warehouse) -> None:
    assert warehouse.columns("marts", "dim_agents") == [
        "agent_id",
        "team",
        "site",
        "role",
        "active",
        "hired_at",
        "tenure_days",
    ]
    agents = {r["agent_id"]: r for r in warehouse.rows("select * from marts.dim_agents")}
    assert sorted(agents) == ["ag1", "ag2", "ag3"]
    # ag1: current version (team t2, lead). Tenure 2026-01-01 -> 2026-11-11:
    # day of year 315 - 1 = 314.
    assert_row(agents["ag1"], dict(team="t2", role="lead", active=True, tenure_days=314))
    # ag2: hired 2025-11-11 23:30-05:00 = 2025-11-12 04:30 UTC; 2025-11-12 -> 2026-11-11 = 365 - 1 = 364.
    assert agents["ag2"]["hired_at"] == dt.datetime(2025, 11, 12, 4, 30)
    assert_row(agents["ag2"], dict(active=False, tenure_days=364))
    # ag3: no hire date -> null tenure.
    assert agents["ag3"]["tenure_days"] is None


def test_dim_date(warehouse: Warehouse) -> None:
    rows = warehouse.rows(
        "select day, week_start, day_of_week, is_weekend, month_start from marts.dim_date order by day"
    )
    # first export day 2026-11-07 (Saturday, agents) .. as-of day 2026-11-11 (Wednesday)
    d = dt.date
    assert [(r["day"], r["week_start"], r["day_of_week"], r["is_weekend"]) for r in rows] == [
        (d(2026, 11, 7), d(2026, 11, 2), 6, True),
        (d(2026, 11, 8), d(2026, 11, 2), 7, True),
        (d(2026, 11, 9), d(2026, 11, 9), 1, False),
        (d(2026, 11, 10), d(2026, 11, 9), 2, False),
        (d(2026, 11, 11), d(2026, 11, 9), 3, False),
    ]
    assert {r["month_start"] for r in rows} == {d(2026, 11, 1)}


# -- Documentation and PII ------------------------------------------------------

SUPPORT_MODELS = [
    "fct_csat_daily",
    "fct_qa_scores_daily",
    "fct_ticket_sla_daily",
    "fct_ticket_response_daily",
    "dim_agents",
    "dim_date",
]


@pytest.mark.parametrize("model_name", SUPPORT_MODELS)
def test_documented_column_by_column(warehouse: Warehouse, model_name: str) -> None:
    models = yaml.safe_load((DBT_PROJECT_DIR / "models" / "marts" / "_marts__support.yml").read_text())["models"]
    model = next(m for m in models if m["name"] == model_name)
    assert model.get("description")
    assert [c["name"] for c in model["columns"]] == warehouse.columns("marts", model_name)
    assert all(c.get("description") for c in model["columns"])


def test_no_pii_in_support_marts(warehouse: Warehouse) -> None:
    pii = {"display_name", "email", "email_hash", "subject", "description", "comment"}
    for model_name in SUPPORT_MODELS:
        assert not pii & set(warehouse.columns("marts", model_name)), model_name
