"""fct_qa_reviews against a hand-made export folder, expected values worked out by hand.

docs/metrics.md "QA reviews (fct_qa_reviews)": one row per review (current
version) with its case's queue, category and policy, the reviewee's team and
site as of the review, and qa_score as fct_qa_scores_daily counts it. One
export folder, pushed once through the real loader and `dbt build`
(fct_qa_reviews and fct_qa_scores_daily with everything upstream).

Export days 2026-11-09 (Monday) .. 2026-11-11. The cases:

* user u1: shows shw_a (11-08 10:00, sneakers), shw_b (started exactly at
  act_1's created_at 11-10 12:00, comics), shw_c (11-10 13:00, toys, after
  the action) and an order as buyer (11-10 11:30, plants): latest show at or
  before the action = shw_b -> comics (a show beats a later order).
* user u2: a show after the action (ignored), orders o_u2_buy (buyer, 11-09
  10:00, electronics), o_u2_sell (seller, 11-10 09:00, video_games) and
  o_u2_late (buyer, 11-10 14:00, after): latest order = o_u2_sell ->
  video_games.
* user u3: two orders as buyer at the same instant (11-09 10:00:
  o_u3_buy electronics, o_u3_cat coins; the tie goes to the greater
  order_id), and a later one with a null category (skipped) -> coins.
* user u4: a show with a null category (skipped), nothing else -> other.
* act_404 is never exported: its enforcement review and the appeal apl_2
  of it have a null category and policy.
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

ACTED_AT = "2026-11-10T12:00:00Z"  # every exported action's created_at


def ticket(ticket_id: int, queue: str, category: str, updated_at: str, **fields: object) -> dict[str, object]:
    return {
        "ticket_id": ticket_id,
        "requester_user_id": "u9",
        "subject": "never reaches a mart",
        "description": "free text that never reaches a mart",
        "channel": "email",
        "queue": queue,
        "category": category,
        "priority": "normal",
        "status": "open",
        "created_at": "2026-11-09T08:00:00Z",
        "updated_at": updated_at,
        **fields,
    }


def action(action_id: str, user_id: str, policy: str) -> dict[str, object]:
    return {
        "action_id": action_id,
        "user_id": user_id,
        "action_type": "warning",
        "policy": policy,
        "detection_source": "user_report",
        "decided_by": "agent",
        "agent_id": "ag9",
        "created_at": ACTED_AT,
        "updated_at": ACTED_AT,
    }


def show(show_id: str, seller_id: str, category: str | None, started_at: str) -> dict[str, object]:
    return {
        "show_id": show_id,
        "seller_id": seller_id,
        "category": category,
        "title": "A show title that never reaches a mart",
        "started_at": started_at,
        "updated_at": started_at,
    }


def order(order_id: str, buyer_id: str, seller_id: str, category: str | None, placed_at: str) -> dict[str, object]:
    return {
        "order_id": order_id,
        "buyer_id": buyer_id,
        "seller_id": seller_id,
        "category": category,
        "amount_usd": "10.00",
        "placed_at": placed_at,
        "status": "placed",
        "payment_method": "card",
        "updated_at": placed_at,
    }


def review(
    review_id: str,
    case_type: str,
    case_id: str,
    agent_id: str,
    reviewed_at: str,
    critical_error: bool | None = False,
    overall_score: float | None = 80.0,
    sampling_method: str | None = "random",
    updated_at: str | None = None,
    **fields: object,
) -> dict[str, object]:
    return {
        "review_id": review_id,
        "case_type": case_type,
        "case_id": case_id,
        "agent_id": agent_id,
        "reviewer_id": "qa_1",
        "reviewed_at": reviewed_at,
        "rubric_version": "v3",
        "sampling_method": sampling_method,
        "calibration_session_id": "cal_1" if sampling_method == "calibration" else None,
        "policy_applied_correctly": True,
        "evidence_standard_met": True,
        "resolution_correct": True,
        "communication_score": 4 if case_type == "ticket" else None,
        "critical_error": critical_error,
        "overall_score": overall_score,
        "updated_at": updated_at or "2026-11-11T20:00:00Z",
        **fields,
    }


def agent(agent_id: str, team: str, site: str, updated_at: str) -> dict[str, object]:
    return {
        "agent_id": agent_id,
        "display_name": "Never In A Mart",
        "email": f"{agent_id}@example.com",
        "team": team,
        "site": site,
        "role": "agent",
        "hired_at": "2026-01-01T09:00:00Z",
        "active": True,
        "updated_at": updated_at,
    }


# q_e1 as first exported: a critical error; edited on 11-11 (no error, 95, reviewer qa_2)
Q_E1_V1 = review(
    "q_e1", "enforcement", "act_1", "ag2", "2026-11-09T12:00:00Z", True, 50.0, updated_at="2026-11-09T13:00:00Z"
)

EXPORTS: dict[str, dict[str, list[dict[str, object]]]] = {
    "agents": {
        # ag1: t_alpha / lisbon until 11-10 12:00, then t_beta / manila
        "2026-11-09": [agent("ag1", "t_alpha", "lisbon", "2026-11-09T00:00:00Z")],
        "2026-11-10": [agent("ag1", "t_beta", "manila", "2026-11-10T12:00:00Z")],
        # ag2: first exported after its review of 11-09 -> its earliest version
        "2026-11-11": [agent("ag2", "t_gamma", "austin", "2026-11-11T08:00:00Z")],
    },
    "tickets": {
        "2026-11-09": [ticket(101, "general", "toys", "2026-11-09T08:00:00Z")],
        "2026-11-10": [
            # t101 moved to fraud / coins after its review: current state counts
            ticket(101, "fraud", "coins", "2026-11-10T08:00:00Z"),
            ticket(102, "trust_safety", "sneakers", "2026-11-10T08:00:00Z", related_action_id="act_1"),
        ],
    },
    "enforcement_actions": {
        "2026-11-10": [
            action("act_1", "u1", "counterfeit"),
            action("act_2", "u2", "fraud"),
            action("act_3", "u3", "harassment"),
            action("act_4", "u4", "shill_bidding"),
        ],
    },
    "appeals": {
        "2026-11-11": [
            {
                "appeal_id": "apl_1",
                "action_id": "act_1",
                "user_id": "u1",
                "review_level": 1,
                "submitted_at": "2026-11-11T08:00:00Z",
                "updated_at": "2026-11-11T08:00:00Z",
            },
            {
                "appeal_id": "apl_2",
                "action_id": "act_404",
                "user_id": "u5",
                "review_level": 1,
                "submitted_at": "2026-11-11T08:00:00Z",
                "updated_at": "2026-11-11T08:00:00Z",
            },
        ],
    },
    "shows": {
        "2026-11-10": [
            show("shw_a", "u1", "sneakers", "2026-11-08T10:00:00Z"),
            show("shw_b", "u1", "comics", ACTED_AT),  # at the action: included
            show("shw_c", "u1", "toys", "2026-11-10T13:00:00Z"),  # after the action: ignored
            show("shw_d", "u2", "toys", "2026-11-10T15:00:00Z"),  # after the action: ignored
            show("shw_e", "u4", None, "2026-11-09T10:00:00Z"),  # no category: skipped
        ],
    },
    "orders": {
        "2026-11-10": [
            order("o_u1_buy", "u1", "s9", "plants", "2026-11-10T11:30:00Z"),
            order("o_u2_buy", "u2", "s9", "electronics", "2026-11-09T10:00:00Z"),
            order("o_u2_sell", "b9", "u2", "video_games", "2026-11-10T09:00:00Z"),
            order("o_u2_late", "u2", "s9", "coins", "2026-11-10T14:00:00Z"),
            order("o_u3_buy", "u3", "s9", "electronics", "2026-11-09T10:00:00Z"),
            order("o_u3_cat", "u3", "s9", "coins", "2026-11-09T10:00:00Z"),  # same instant, greater id: wins
            order("o_u3_nocat", "u3", "s9", None, "2026-11-10T10:00:00Z"),
        ],
    },
    "qa_reviews": {
        "2026-11-09": [Q_E1_V1],
        "2026-11-11": [
            {
                **Q_E1_V1,
                "critical_error": False,
                "overall_score": 95.0,
                "reviewer_id": "qa_2",
                "updated_at": "2026-11-11T09:00:00Z",
            },
            review("q_t1", "ticket", "101", "ag1", "2026-11-09T10:00:00Z", False, 80.0),
            review("q_t2", "ticket", "102", "ag1", "2026-11-10T15:00:00Z", True, 90.0, "targeted"),
            review("q_t3", "ticket", "999", "ag_unknown", "2026-11-11T09:00:00Z", None, 70.0),
            review("q_e2", "enforcement", "act_2", "ag1", "2026-11-10T09:00:00Z", False, 60.0),
            # Sunday 11-08 23:00 UTC, written with a +02:00 offset
            review("q_e3", "enforcement", "act_3", "ag1", "2026-11-09T01:00:00+02:00", False, 40.0),
            review("q_e4", "enforcement", "act_4", "ag1", "2026-11-11T10:00:00Z", False, 30.0, None),
            review("q_e5", "enforcement", "act_404", "ag1", "2026-11-11T11:00:00Z", False, 20.0),
            review("q_a1", "appeal", "apl_1", "ag2", "2026-11-11T12:00:00Z", False, 100.0),
            review("q_a2", "appeal", "apl_2", "ag2", "2026-11-11T13:00:00Z", True, None),
            review("q_a3", "appeal", "apl_999", "ag2", "2026-11-11T14:00:00Z", False, None, "stratified"),
            review("q_c1", "enforcement", "act_1", "ag2", "2026-11-11T15:00:00Z", True, 60.0, "calibration"),
        ],
    },
}

D = dt.date
MON = D(2026, 11, 9)  # the ISO week of 11-09 .. 11-15

EXPECTED = {
    # review_id: (queue, category, category_source, policy, action_id)
    "q_t1": ("fraud", "coins", "ticket", None, None),  # the ticket's current queue / category; no related action
    "q_t2": ("trust_safety", "sneakers", "ticket", "counterfeit", "act_1"),  # related action's policy
    "q_t3": (None, None, None, None, None),  # ticket never exported
    "q_e1": ("enforcement", "comics", "show", "counterfeit", "act_1"),  # shw_b at the action, not the later shw_c
    "q_e2": ("enforcement", "video_games", "order", "fraud", "act_2"),  # later show ignored; latest order, as seller
    "q_e3": ("enforcement", "coins", "order", "harassment", "act_3"),  # tie -> greater id; null category skipped
    "q_e4": ("enforcement", "other", "none", "shill_bidding", "act_4"),  # only a null-category show
    "q_e5": ("enforcement", None, None, None, "act_404"),  # unknown action
    "q_a1": ("appeals", "comics", "show", "counterfeit", "act_1"),  # the appealed action's policy, its user's category
    "q_a2": ("appeals", None, None, None, "act_404"),  # appeal of an unknown action
    "q_a3": ("appeals", None, None, None, None),  # unknown appeal
    "q_c1": ("enforcement", "comics", "show", "counterfeit", "act_1"),
}

EXPECTED_REVIEWS = {
    # review_id: (review_day, review_week, agent_team, agent_site, is_calibration, overall_score, qa_score)
    "q_t1": (D(2026, 11, 9), MON, "t_alpha", "lisbon", False, 80.0, 80.0),
    "q_t2": (D(2026, 11, 10), MON, "t_beta", "manila", False, 90.0, 0.0),  # after ag1's move; auto-fail
    "q_t3": (D(2026, 11, 11), MON, None, None, False, 70.0, 70.0),  # unknown agent; null critical = no error
    "q_e1": (D(2026, 11, 9), MON, "t_gamma", "austin", False, 95.0, 95.0),  # edited: latest version; ag2's earliest
    "q_e2": (D(2026, 11, 10), MON, "t_alpha", "lisbon", False, 60.0, 60.0),  # before ag1's move (11-10 12:00)
    "q_e3": (D(2026, 11, 8), D(2026, 11, 2), "t_alpha", "lisbon", False, 40.0, 40.0),  # Sunday: previous week
    "q_e4": (D(2026, 11, 11), MON, "t_beta", "manila", False, 30.0, 30.0),  # null sampling method: not calibration
    "q_e5": (D(2026, 11, 11), MON, "t_beta", "manila", False, 20.0, 20.0),
    "q_a1": (D(2026, 11, 11), MON, "t_gamma", "austin", False, 100.0, 100.0),
    "q_a2": (D(2026, 11, 11), MON, "t_gamma", "austin", False, None, 0.0),  # critical: 0 even without a score
    "q_a3": (D(2026, 11, 11), MON, "t_gamma", "austin", False, None, None),
    "q_c1": (D(2026, 11, 11), MON, "t_gamma", "austin", True, 60.0, 0.0),
}

INTERFACE = [
    "review_id",
    "reviewed_at",
    "review_day",
    "review_week",
    "case_type",
    "case_id",
    "queue",
    "category",
    "policy",
    "agent_id",
    "agent_team",
    "agent_site",
    "reviewer_id",
    "sampling_method",
    "calibration_session_id",
    "is_calibration",
    "rubric_version",
    "policy_applied_correctly",
    "evidence_standard_met",
    "resolution_correct",
    "communication_score",
    "critical_error",
    "overall_score",
    "qa_score",
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    root = tmp_path_factory.mktemp("qa_reviews")
    exports = write_exports(root / "exports", EXPORTS)
    built = build_from_exports(
        Path(root / "work"),
        exports,
        dbt_args=["build", "--select", "+fct_qa_reviews", "+fct_qa_scores_daily"],
    )
    yield built
    built.close()


@pytest.fixture(scope="module")
def reviews(warehouse: Warehouse) -> dict[str, dict[str, object]]:
    return {r["review_id"]: r for r in warehouse.rows("select * from marts.fct_qa_reviews")}


def test_one_row_per_review_latest_version(reviews: dict[str, dict[str, object]]) -> None:
    assert sorted(reviews) == sorted(EXPECTED)
    edited = reviews["q_e1"]
    assert (edited["critical_error"], edited["overall_score"], edited["reviewer_id"]) == (False, 95.0, "qa_2")
    assert edited["updated_at"] == dt.datetime(2026, 11, 11, 9, 0)


@pytest.mark.parametrize("review_id", sorted(EXPECTED))
def test_case_queue_category_and_policy(reviews: dict[str, dict[str, object]], review_id: str) -> None:
    row = reviews[review_id]
    assert (row["queue"], row["category"], row["category_source"], row["policy"], row["action_id"]) == (
        EXPECTED[review_id]
    )


@pytest.mark.parametrize("review_id", sorted(EXPECTED_REVIEWS))
def test_days_team_site_and_score(reviews: dict[str, dict[str, object]], review_id: str) -> None:
    row = reviews[review_id]
    columns = ("review_day", "review_week", "agent_team", "agent_site", "is_calibration", "overall_score", "qa_score")
    assert tuple(row[c] for c in columns) == EXPECTED_REVIEWS[review_id]


def test_review_day_is_the_utc_date(reviews: dict[str, dict[str, object]]) -> None:
    # 2026-11-09T01:00:00+02:00 is 2026-11-08 23:00 UTC, a Sunday
    assert reviews["q_e3"]["reviewed_at"] == dt.datetime(2026, 11, 8, 23, 0)
    assert reviews["q_e3"]["review_week"].isoweekday() == 1


def test_qa_score_is_what_the_daily_mart_counts(warehouse: Warehouse) -> None:
    """iqs and reviews of fct_qa_scores_daily, recomputed from qa_score of the non-calibration rows."""
    recomputed = warehouse.rows(
        "select review_day as day, agent_id, case_type, count(*) as reviews, avg(qa_score) as iqs,"
        " count(case when critical_error then 1 end) as critical_errors"
        " from marts.fct_qa_reviews where not is_calibration group by 1, 2, 3"
    )
    daily = warehouse.rows(
        "select day, agent_id, case_type, reviews, iqs, critical_errors from marts.fct_qa_scores_daily"
    )

    def keyed(rows: list[dict[str, object]]) -> dict[tuple, tuple]:
        return {(r["day"], r["agent_id"], r["case_type"]): (r["reviews"], r["iqs"], r["critical_errors"]) for r in rows}

    assert keyed(recomputed) == keyed(daily)
    # ag2's appeals on 11-11: q_a1 100, q_a2 critical 0, q_a3 no score -> (100 + 0) / 2 = 50
    assert keyed(daily)[(D(2026, 11, 11), "ag2", "appeal")] == (3, 50.0, 1)


def test_interface_columns_first_and_documented(warehouse: Warehouse) -> None:
    columns = warehouse.columns("marts", "fct_qa_reviews")
    assert columns[: len(INTERFACE)] == INTERFACE
    models = yaml.safe_load((DBT_PROJECT_DIR / "models" / "marts" / "_marts__qa_reviews.yml").read_text())["models"]
    model = next(m for m in models if m["name"] == "fct_qa_reviews")
    assert model.get("description")
    assert [c["name"] for c in model["columns"]] == columns
    assert all(c.get("description") for c in model["columns"])


def test_column_types(warehouse: Warehouse) -> None:
    types = {
        r["column_name"]: r["data_type"]
        for r in warehouse.rows(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'marts' and table_name = 'fct_qa_reviews'"
        )
    }
    assert (types["review_day"], types["review_week"]) == ("DATE", "DATE")
    assert (types["is_calibration"], types["critical_error"]) == ("BOOLEAN", "BOOLEAN")
    assert (types["overall_score"], types["qa_score"]) == ("DOUBLE", "DOUBLE")


def test_no_pii(warehouse: Warehouse) -> None:
    pii = {"display_name", "email", "email_hash", "subject", "description", "title", "comment"}
    assert not pii & set(warehouse.columns("marts", "fct_qa_reviews"))
