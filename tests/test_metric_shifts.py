"""fct_metric_shifts_weekly and fct_metric_shift_drivers_weekly on hand-made exports, worked by hand.

docs/metrics.md "Quality shifts and their drivers". One export folder,
pushed once through the real loader and `dbt build`. The as-of day is
2026-11-09 (a Monday, the last export day): the complete weeks end on Sunday
2026-11-08. The week under test is W4 = 2026-11-02 .. 11-08; its baseline is
the four weeks of Mondays 10-05, 10-12, 10-19 and 10-26, pooled.

* QA (planted drop): agents a1, a2 (team t_red) and a3, a4 (t_blue) review
  ticket cases of two tickets, queue general, categories trading_cards and
  toys. Baseline: each agent, category and week, 3 reviews scoring 80, 90,
  100 (96 reviews). W4: each agent and category 9 reviews, 80/90/100 three
  times, except a1 and a2 in trading_cards: 50/60/70 three times, with
  resolution_correct false. Plus a calibration review in W4 (excluded) and a
  review on 11-09 (incomplete week: no row).
* CSAT (mix only, and the hand-worked two-proportion test): agents c1 (team
  t_csat) and c2 (t_small), one rating per ticket. Baseline: each week c1 5
  positive ratings, c2 5 ratings of which 3, 2, 3, 2 positive (c1 20/20, c2
  10/20). W4: c1 32/32, c2 4/8: the same rates, c1's share 0.5 -> 0.8.
* First-reply SLA (rate only): agents s1, s2 (t_sla), priority high (4 h).
  Baseline: each week 5 tickets each; s1 15/20 within, s2 10/20. W4: 20
  tickets each; s1 20/20, s2 10/20: the same shares, s1's rate 0.75 -> 1.
* Appeals and actions: a few, below the minimum n; actions of the week of
  09-28 are mature (Sunday 10-04 + 30 days <= 11-09), of 10-05 not.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from scipy.stats import false_discovery_control

from dagster_project.loading.export_files import export_days
from dagster_project.settings import DBT_PROJECT_DIR, snowflake_settings
from dagster_project.snowflake.raw_push import push_days
from dagster_project.snowflake.settings import SnowflakeSettings, connect
from tests.dbt_runner import Warehouse, run_dbt
from tests.export_builder import write_exports
from tests.pipeline_runner import build_from_exports
from tests.test_snowflake import (
    _rows_differ,
    _sort_key,
    _value,
    emulator,  # noqa: F401 (the fakesnow server fixture, started only when asked for)
)

pytestmark = pytest.mark.slow

D = dt.date
W4 = D(2026, 11, 2)
BASELINE_WEEKS = [D(2026, 10, 5), D(2026, 10, 12), D(2026, 10, 19), D(2026, 10, 26)]
EXPORT_DAY = "2026-11-08"
LATE_DAY = "2026-11-09"  # the as-of day
TOLERANCE = 1e-9

# tickets of the QA cases
TICKET_CARDS, TICKET_TOYS = 1001, 1002
CATEGORY_TICKET = {"trading_cards": TICKET_CARDS, "toys": TICKET_TOYS}


def ts(day: dt.date, hour: int = 12, minute: int = 0) -> str:
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00Z"


def agent(agent_id: str, team: str) -> dict[str, Any]:
    return {
        "agent_id": agent_id,
        "display_name": "Never In A Mart",
        "email": f"{agent_id}@example.com",
        "team": team,
        "site": "lisbon",
        "role": "agent",
        "hired_at": "2025-01-01T09:00:00Z",
        "active": True,
        "updated_at": "2026-01-01T00:00:00Z",
    }


def ticket(ticket_id: int, queue: str, category: str, created_at: str, **fields: Any) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "requester_user_id": "u9",
        "channel": "email",
        "queue": queue,
        "category": category,
        "priority": None,  # no SLA target: not an SLA unit unless said
        "status": "solved",
        "created_at": created_at,
        "updated_at": created_at,
        **fields,
    }


def qa_review(review_id: str, agent_id: str, category: str, reviewed_at: str, score: float, **fields: Any) -> dict:
    return {
        "review_id": review_id,
        "case_type": "ticket",
        "case_id": str(CATEGORY_TICKET[category]),
        "agent_id": agent_id,
        "reviewer_id": "qa_1",
        "reviewed_at": reviewed_at,
        "rubric_version": "v3",
        "sampling_method": "random",
        "policy_applied_correctly": True,
        "evidence_standard_met": True,
        "resolution_correct": True,
        "communication_score": 4,
        "critical_error": False,
        "overall_score": score,
        "updated_at": reviewed_at,
        **fields,
    }


def qa_rows() -> list[dict[str, Any]]:
    rows = []
    for week_number, week in enumerate(BASELINE_WEEKS):
        for agent_id in ("a1", "a2", "a3", "a4"):
            for category in ("trading_cards", "toys"):
                for i, score in enumerate((80.0, 90.0, 100.0)):
                    review_id = f"qb{week_number}_{agent_id}_{category}_{i}"
                    rows.append(qa_review(review_id, agent_id, category, ts(week + dt.timedelta(days=2), 10, i), score))
    for agent_id in ("a1", "a2", "a3", "a4"):
        for category in ("trading_cards", "toys"):
            planted = agent_id in ("a1", "a2") and category == "trading_cards"
            scores = (50.0, 60.0, 70.0) if planted else (80.0, 90.0, 100.0)
            for i in range(9):
                rows.append(
                    qa_review(
                        f"qc_{agent_id}_{category}_{i}",
                        agent_id,
                        category,
                        ts(W4 + dt.timedelta(days=i % 7), 11, i),
                        scores[i % 3],
                        resolution_correct=not planted,
                    )
                )
    # a calibration review (excluded) and one in the incomplete week of 11-09
    rows.append(
        qa_review(
            "q_calibration", "a3", "toys", ts(W4, 15), 0.0, sampling_method="calibration", calibration_session_id="c1"
        )
    )
    rows.append(qa_review("q_incomplete_week", "a1", "trading_cards", ts(D(2026, 11, 9), 10), 10.0))
    return rows


def csat_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Tickets (queue fraud, category coins, no priority) with one rating each."""
    tickets, ratings = [], []
    plan = []  # (day, agent, positive)
    for week_number, week in enumerate(BASELINE_WEEKS):
        c2_positive = 3 if week_number % 2 == 0 else 2
        for i in range(5):
            plan.append((week + dt.timedelta(days=1), "c1", True))
            plan.append((week + dt.timedelta(days=1), "c2", i < c2_positive))
    for i in range(32):
        plan.append((W4 + dt.timedelta(days=i % 7), "c1", True))
    for i in range(8):
        plan.append((W4 + dt.timedelta(days=i % 7), "c2", i < 4))
    for number, (day, agent_id, positive) in enumerate(plan):
        ticket_id = 2000 + number
        tickets.append(ticket(ticket_id, "fraud", "coins", ts(day, 8), assignee_agent_id=agent_id))
        ratings.append(
            {
                "rating_id": f"r{number}",
                "ticket_id": ticket_id,
                "score": 5 if positive else 2,
                "comment": None,
                "created_at": ts(day, 9),
                "updated_at": ts(day, 9),
            }
        )
    return tickets, ratings


def sla_rows() -> list[dict[str, Any]]:
    """Tickets of priority high (target 4 h), queue trust_safety, category sneakers, all replied."""
    plan = []  # (day, agent, within)
    s1_within, s2_within = (4, 4, 4, 3), (3, 2, 3, 2)
    for week_number, week in enumerate(BASELINE_WEEKS):
        for i in range(5):
            plan.append((week + dt.timedelta(days=3), "s1", i < s1_within[week_number]))
            plan.append((week + dt.timedelta(days=3), "s2", i < s2_within[week_number]))
    for i in range(20):
        plan.append((W4 + dt.timedelta(days=i % 7), "s1", True))
        plan.append((W4 + dt.timedelta(days=i % 7), "s2", i % 2 == 0))
    return [
        ticket(
            3000 + number,
            "trust_safety",
            "sneakers",
            ts(day, 8),
            priority="high",
            assignee_agent_id=agent_id,
            first_reply_at=ts(day, 9 if within else 13),  # 1 h or 5 h after creation
        )
        for number, (day, agent_id, within) in enumerate(plan)
    ]


def action(action_id: str, created_at: str, reversed_at: str | None = None) -> dict[str, Any]:
    return {
        "action_id": action_id,
        "user_id": "u1",
        "action_type": "warning",
        "policy": "fraud",
        "detection_source": "user_report",
        "decided_by": "agent",
        "agent_id": "e1",
        "created_at": created_at,
        "reversed_at": reversed_at,
        "reversal_reason": "appeal_overturned" if reversed_at else None,
        "updated_at": reversed_at or created_at,
    }


def appeal(appeal_id: str, decided_on: dt.date, outcome: str, agent_id: str) -> dict[str, Any]:
    return {
        "appeal_id": appeal_id,
        "action_id": "act_1",
        "user_id": "u1",
        "submitted_at": ts(decided_on, 8),
        "review_level": 1,
        "assigned_agent_id": agent_id,
        "decided_at": ts(decided_on, 10),
        "outcome": outcome,
        "updated_at": ts(decided_on, 10),
    }


def exports() -> dict[str, dict[str, list[dict[str, Any]]]]:
    csat_tickets, ratings = csat_rows()
    reviews = qa_rows()
    late = [r for r in reviews if r["review_id"] == "q_incomplete_week"]
    tickets = [
        ticket(TICKET_CARDS, "general", "trading_cards", "2026-10-01T08:00:00Z"),
        ticket(TICKET_TOYS, "general", "toys", "2026-10-01T08:00:00Z"),
        *csat_tickets,
        *sla_rows(),
    ]
    teams = {
        "a1": "t_red",
        "a2": "t_red",
        "a3": "t_blue",
        "a4": "t_blue",
        "c1": "t_csat",
        "c2": "t_small",
        "s1": "t_sla",
        "s2": "t_sla",
        "p1": "t_appeals",
        "p2": "t_appeals",
        "p3": "t_appeals",
        "e1": "t_enforcement",
    }
    return {
        "agents": {EXPORT_DAY: [agent(a, t) for a, t in teams.items()]},
        "tickets": {EXPORT_DAY: tickets},
        "satisfaction_ratings": {EXPORT_DAY: ratings},
        "qa_reviews": {EXPORT_DAY: [r for r in reviews if r not in late], LATE_DAY: late},
        "enforcement_actions": {
            EXPORT_DAY: [
                action("act_1", "2026-09-29T10:00:00Z", reversed_at="2026-10-20T10:00:00Z"),
                action("act_2", "2026-09-30T10:00:00Z"),
                action("act_3", "2026-10-01T10:00:00Z"),
                action("act_4", "2026-10-04T10:00:00Z"),
                action("act_5", "2026-10-06T10:00:00Z"),  # week of 10-05: not mature at 11-09
            ]
        },
        "appeals": {
            EXPORT_DAY: [
                # baseline: p1 upheld, p3 overturned; W4: p1 twice and p2 overturned (p2 and p3 on one side only)
                appeal("apl_1", D(2026, 10, 14), "upheld", "p1"),
                appeal("apl_2", D(2026, 10, 21), "overturned", "p3"),
                appeal("apl_3", D(2026, 11, 3), "partially_overturned", "p1"),
                appeal("apl_4", D(2026, 11, 4), "overturned", "p1"),
                appeal("apl_5", D(2026, 11, 5), "overturned", "p2"),
            ]
        },
    }


SHIFT_RELATIONS = [
    ("intermediate", "int_shift_units"),
    ("intermediate", "int_shift_rubric_units"),
    ("marts", "fct_metric_shifts_weekly"),
    ("marts", "fct_metric_shift_drivers_weekly"),
]


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_exports(tmp_path_factory.mktemp("metric_shifts_exports"), exports())


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, export_dir: Path) -> Iterator[Warehouse]:
    built = build_from_exports(
        tmp_path_factory.mktemp("metric_shifts") / "work",
        export_dir,
        dbt_args=[
            "build",
            "--select",
            "+fct_metric_shift_drivers_weekly",
            "+fct_qa_scores_daily",
            "+fct_ticket_sla_daily",
            "+fct_appeal_outcomes_daily",
            "+fct_enforcement_outcomes_daily",
        ],
    )
    yield built
    built.close()


ShiftKey = tuple[dt.date, str, str, str | None]


@pytest.fixture(scope="module")
def shifts(warehouse: Warehouse) -> dict[ShiftKey, dict[str, Any]]:
    rows = warehouse.rows("select * from marts.fct_metric_shifts_weekly")
    return {(r["week_start"], r["metric"], r["slice_dimension"], r["slice_value"]): r for r in rows}


@pytest.fixture(scope="module")
def drivers(warehouse: Warehouse) -> dict[ShiftKey, dict[str, dict[str | None, dict[str, Any]]]]:
    """{shift key: {driver_dimension: {driver_value: row}}}."""
    grouped: dict[ShiftKey, dict[str, dict[str | None, dict[str, Any]]]] = {}
    for r in warehouse.rows("select * from marts.fct_metric_shift_drivers_weekly"):
        key = (r["week_start"], r["metric"], r["slice_dimension"], r["slice_value"])
        grouped.setdefault(key, {}).setdefault(r["driver_dimension"], {})[r["driver_value"]] = r
    return grouped


def close(a: float | None, b: float) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=1e-12)


# --- the tests ------------------------------------------------------------------------------------------------


def test_a_mean_shift_is_welch_z_worked_by_hand(shifts: dict) -> None:
    """qa_score, category trading_cards: 75 against 90, Welch's z with sample variances."""
    row = shifts[(W4, "qa_score", "category", "trading_cards")]
    # W4: 50, 60, 70 six times each (a1, a2) and 80, 90, 100 six times each (a3, a4): 36 reviews, mean 75,
    # squared deviations 6 x (625 + 225 + 25 + 25 + 225 + 625) = 10500, s1^2 = 10500 / 35 = 300.
    # Baseline: 80, 90, 100 sixteen times each: 48 reviews, mean 90, 16 x (100 + 0 + 100) = 3200, s0^2 = 3200 / 47.
    z = (75 - 90) / math.sqrt(300 / 36 + (3200 / 47) / 48)
    assert round(z, 6) == -4.803408
    p = 1.5598767081326313e-06  # 2 * scipy.stats.norm.sf(4.80340788115347)
    assert (row["n"], row["baseline_n"], row["baseline_weeks"]) == (36, 48, 4)
    assert (row["value"], row["baseline_value"], row["abs_change"]) == (75.0, 90.0, -15.0)
    assert close(row["rel_change"], -15 / 90)
    assert close(row["value_sd"], math.sqrt(300)) and close(row["baseline_value_sd"], math.sqrt(3200 / 47))
    assert close(row["z"], z) and close(row["p_value"], p)
    assert row["metric_kind"] == "mean"
    assert row["is_signal"] is True


def test_a_rate_shift_is_the_pooled_two_proportion_z_worked_by_hand(shifts: dict) -> None:
    """csat_pct, all: 36/40 against 30/40."""
    row = shifts[(W4, "csat_pct", "all", "all")]
    pooled = (36 + 30) / (40 + 40)  # 0.825
    z = (36 / 40 - 30 / 40) / math.sqrt(pooled * (1 - pooled) * (1 / 40 + 1 / 40))  # 0.15 / 0.0849632...
    assert round(z, 6) == 1.765470
    p = 0.0774848651326447  # 2 * scipy.stats.norm.sf(1.765469659009499)
    assert (row["n"], row["value_sum"], row["baseline_n"], row["baseline_value_sum"]) == (40, 36.0, 40, 30.0)
    assert (row["value"], row["baseline_value"]) == (0.9, 0.75)
    assert close(row["z"], z) and close(row["p_value"], p)
    assert row["metric_kind"] == "rate" and row["value_sd"] is None
    assert row["is_signal"] is False  # q = p (the only test of the week's csat_pct): not below 0.05


def test_below_the_minimum_n_there_is_no_test(shifts: dict) -> None:
    """CSAT by team: t_csat has 20 baseline ratings, t_small 20 and 8: below 30, so no z, p or q."""
    for team, n, baseline_n in (("t_csat", 32, 20), ("t_small", 8, 20)):
        row = shifts[(W4, "csat_pct", "team", team)]
        assert (row["n"], row["baseline_n"]) == (n, baseline_n)
        assert row["abs_change"] is not None
        assert (row["z"], row["p_value"], row["q_value"], row["is_signal"]) == (None, None, None, False)
    # appeals: 3 decided in W4, 2 in the baseline
    appeals = shifts[(W4, "appeal_overturn_rate", "all", "all")]
    assert (appeals["n"], appeals["value"], appeals["baseline_n"], appeals["baseline_value"]) == (3, 1.0, 2, 0.5)
    assert (appeals["abs_change"], appeals["rel_change"]) == (0.5, 1.0)
    assert (appeals["p_value"], appeals["is_signal"]) == (None, False)


def test_benjamini_hochberg_over_the_week_and_metric(shifts: dict) -> None:
    """The 8 qa_score tests of W4, adjusted by hand."""
    tested = {k[2:]: r for k, r in shifts.items() if k[:2] == (W4, "qa_score") and r["p_value"] is not None}
    assert set(tested) == {
        ("all", "all"),
        ("queue", "general"),
        ("case_type", "ticket"),
        ("policy", None),  # ticket cases without a related action: one slice of their own
        ("category", "trading_cards"),
        ("category", "toys"),
        ("team", "t_red"),
        ("team", "t_blue"),
    }
    p_cards = 1.5598767081326313e-06  # trading_cards and t_red: the same 36 and 48 scores
    p_all = 0.00018268360352986297  # 2 * norm.sf(3.7418320363886766): 72 reviews at 82.5 against 96 at 90
    # sorted: p_cards (ranks 1, 2), p_all (ranks 3..6), 1.0 (toys and t_blue, no change: ranks 7, 8); m = 8
    # q(1) = q(2) = min(8 p_cards / 1, 8 p_cards / 2, 8 p_all / 6, ...) = 4 p_cards
    # q(3..6) = 8 p_all / 6;  q(7) = q(8) = min(8 / 7, 8 / 8) = 1
    expected_q = {
        ("category", "trading_cards"): 4 * p_cards,
        ("team", "t_red"): 4 * p_cards,
        ("all", "all"): 8 * p_all / 6,
        ("queue", "general"): 8 * p_all / 6,
        ("case_type", "ticket"): 8 * p_all / 6,
        ("policy", None): 8 * p_all / 6,
        ("category", "toys"): 1.0,
        ("team", "t_blue"): 1.0,
    }
    for key, q in expected_q.items():
        assert close(tested[key]["q_value"], q), key
    assert close(tested[("all", "all")]["p_value"], p_all)
    assert {k for k, r in tested.items() if r["is_signal"]} == {
        ("category", "trading_cards"),
        ("team", "t_red"),
        ("all", "all"),
        ("queue", "general"),
        ("case_type", "ticket"),
        ("policy", None),
    }


def test_the_untouched_category_has_no_signal(shifts: dict, drivers: dict) -> None:
    toys = shifts[(W4, "qa_score", "category", "toys")]
    assert (toys["n"], toys["value"], toys["baseline_n"], toys["baseline_value"]) == (36, 90.0, 48, 90.0)
    assert (toys["abs_change"], toys["rel_change"], toys["z"]) == (0.0, 0.0, 0.0)
    assert close(toys["p_value"], 1.0) and toys["is_signal"] is False
    assert not any(r["is_signal"] for k, r in shifts.items() if k[2:] in {("category", "toys"), ("team", "t_blue")})
    agents = drivers[(W4, "qa_score", "category", "toys")]["agent"]
    assert {a: r["contribution"] for a, r in agents.items()} == {"a1": 0.0, "a2": 0.0, "a3": 0.0, "a4": 0.0}
    assert {r["contribution_share"] for r in agents.values()} == {None}  # no change to share


def test_the_planted_drop_is_flagged_and_attributed_to_its_two_agents(shifts: dict, drivers: dict) -> None:
    key = (W4, "qa_score", "category", "trading_cards")
    assert shifts[key]["is_signal"] is True
    agents = drivers[key]["agent"]
    # shares 12/48 = 9/36 = 0.25 on both sides: no mix; a1 and a2 90 -> 60: rate (60 - 90) x 0.5 / 2 = -7.5
    leading = sorted(agents.values(), key=lambda r: r["rank"])
    assert [(r["driver_value"], r["rank"]) for r in leading] == [("a1", 1), ("a2", 2), ("a3", 3), ("a4", 4)]
    for name in ("a1", "a2"):
        row = agents[name]
        assert (row["base_n"], row["cur_n"], row["base_share"], row["cur_share"]) == (12, 9, 0.25, 0.25)
        assert (row["base_value"], row["cur_value"]) == (90.0, 60.0)
        assert (row["mix_effect"], row["rate_effect"], row["contribution"]) == (0.0, -7.5, -7.5)
        assert row["contribution_share"] == 0.5
    assert agents["a3"]["contribution"] == agents["a4"]["contribution"] == 0.0
    teams = drivers[key]["team"]
    assert (teams["t_red"]["contribution_share"], teams["t_blue"]["contribution"]) == (1.0, 0.0)
    assert "category" not in drivers[key]  # a category slice is not decomposed by category
    # slice all: the whole drop sits in trading_cards (7.5 of 7.5 points) and with a1 and a2 (3.75 each)
    everything = drivers[(W4, "qa_score", "all", "all")]
    assert everything["category"]["trading_cards"]["contribution"] == -7.5
    assert everything["category"]["toys"]["contribution"] == 0.0
    assert [everything["agent"][a]["rank"] for a in ("a1", "a2")] == [1, 2]
    assert everything["agent"]["a1"]["contribution"] == -3.75
    # the rubric item that moved: resolution_correct 48/48 -> 18/36 in trading_cards, with its own test
    rubric = drivers[key]["rubric_item"]
    item = rubric["resolution_correct"]
    assert (item["base_n"], item["cur_n"], item["base_value"], item["cur_value"]) == (48, 36, 1.0, 0.5)
    pooled = (18 + 48) / (36 + 48)
    z = (0.5 - 1.0) / math.sqrt(pooled * (1 - pooled) * (1 / 36 + 1 / 48))
    assert close(item["z"], z) and close(item["p_value"], 3.2613507965899835e-08)  # 2 * norm.sf(5.52679423766206)
    assert item["contribution"] is None and item["rank"] is None
    # an item passed by every review on both sides has no variation: no test
    assert (rubric["evidence_standard_met"]["base_value"], rubric["evidence_standard_met"]["z"]) == (1.0, None)
    assert set(rubric) == {
        "policy_applied_correctly",
        "evidence_standard_met",
        "resolution_correct",
        "communication_score",
        "critical_error",
    }
    # a decomposition row carries no test (the rubric items' q-values: test_rubric_q_values_...)
    decomposed = [row for name, rows in drivers[key].items() if name != "rubric_item" for row in rows.values()]
    assert decomposed and all(row["p_value"] is None and row["q_value"] is None for row in decomposed)


def test_a_mix_only_change_is_all_mix(shifts: dict, drivers: dict) -> None:
    """csat_pct: c1 1.0 and c2 0.5 before and after; c1's share 0.5 -> 0.8."""
    agents = drivers[(W4, "csat_pct", "all", "all")]["agent"]
    c1, c2 = agents["c1"], agents["c2"]
    assert (c1["base_share"], c1["cur_share"], c1["base_value"], c1["cur_value"]) == (0.5, 0.8, 1.0, 1.0)
    assert (c2["base_share"], c2["cur_share"], c2["base_value"], c2["cur_value"]) == (0.5, 0.2, 0.5, 0.5)
    # the slice's level (0.9 + 0.75) / 2 = 0.825; mix: (0.8 - 0.5)((1 + 1) / 2 - 0.825) = 0.0525 (the
    # better agent gained work) and (0.2 - 0.5)((0.5 + 0.5) / 2 - 0.825) = 0.0975 (the weaker one lost it)
    assert (c1["rate_effect"], c2["rate_effect"]) == (0.0, 0.0)
    assert close(c1["mix_effect"], 0.0525) and close(c2["mix_effect"], 0.0975)
    assert close(c1["contribution"] + c2["contribution"], shifts[(W4, "csat_pct", "all", "all")]["abs_change"])
    assert close(c1["contribution_share"], 0.35) and close(c2["contribution_share"], 0.65)
    assert (c2["rank"], c1["rank"]) == (1, 2)
    # the textbook split, (w1 - w0)(r1 + r0) / 2 per member, has the same total: 0.3 - 0.15
    assert close(sum((r["cur_share"] - r["base_share"]) * r["cur_value"] for r in (c1, c2)), 0.15)


def test_a_rate_only_change_is_all_rate(shifts: dict, drivers: dict) -> None:
    """first_reply_sla_attainment: shares 0.5 and 0.5 on both sides; s1 0.75 -> 1.0, s2 0.5 -> 0.5."""
    row = shifts[(W4, "first_reply_sla_attainment", "all", "all")]
    assert (row["n"], row["value"], row["baseline_n"], row["baseline_value"]) == (40, 0.75, 40, 0.625)
    agents = drivers[(W4, "first_reply_sla_attainment", "all", "all")]["agent"]
    s1, s2 = agents["s1"], agents["s2"]
    assert (s1["mix_effect"], s2["mix_effect"], s2["rate_effect"]) == (0.0, 0.0, 0.0)
    assert s1["rate_effect"] == s1["contribution"] == 0.125  # (1.0 - 0.75)(0.5 + 0.5) / 2
    assert s1["contribution_share"] == 1.0 and s1["rank"] == 1
    pooled = 55 / 80
    z = 0.125 / math.sqrt(pooled * (1 - pooled) * (1 / 40 + 1 / 40))
    assert close(row["z"], z) and close(row["p_value"], 0.22779999398822914)  # 2 * norm.sf(1.2060453783110545)


def test_contributions_add_up_to_the_change(shifts: dict, drivers: dict) -> None:
    """For every decomposed shift and driver dimension: sum of contributions = abs_change; shares sum to 1."""
    checked = 0
    for key, dimensions in drivers.items():
        shift = shifts[key]
        for dimension, members in dimensions.items():
            if dimension == "rubric_item":
                continue
            rows = members.values()
            assert close(sum(r["contribution"] for r in rows), shift["abs_change"]), (key, dimension)
            assert close(sum(r["mix_effect"] + r["rate_effect"] for r in rows), shift["abs_change"])
            # the level moves mix between members, not the dimension's total: the textbook total
            textbook_mix = sum(
                (r["cur_share"] - r["base_share"])
                * (
                    (r["cur_value"] if r["cur_n"] else r["base_value"])
                    + (r["base_value"] if r["base_n"] else r["cur_value"])
                )
                / 2
                for r in rows
            )
            assert close(sum(r["mix_effect"] for r in rows), textbook_mix)
            assert close(sum(r["base_share"] for r in rows), 1.0) and close(sum(r["cur_share"] for r in rows), 1.0)
            assert sum(r["cur_n"] for r in rows) == shift["n"] and sum(r["base_n"] for r in rows) == shift["baseline_n"]
            # value is the share-weighted mean of the members' values
            assert close(sum(r["cur_share"] * r["cur_value"] for r in rows if r["cur_n"]), shift["value"])
            assert sorted(r["rank"] for r in rows) == list(range(1, len(rows) + 1))
            checked += 1
    assert checked > 40


def test_a_member_on_one_side_only_keeps_the_identity(shifts: dict, drivers: dict) -> None:
    """appeal_overturn_rate, W4: p2 decides only in W4, p3 only in the baseline."""
    agents = drivers[(W4, "appeal_overturn_rate", "all", "all")]["agent"]
    p1, p2, p3 = agents["p1"], agents["p2"], agents["p3"]
    # slice level (1.0 + 0.5) / 2 = 0.75
    # p1: w 1/2 -> 2/3, r 0 -> 1: mix (2/3 - 1/2)((1 + 0) / 2 - 0.75) = -1/24, rate (1 - 0)(2/3 + 1/2) / 2 = 7/12
    assert (p1["base_n"], p1["cur_n"], p1["base_value"], p1["cur_value"]) == (1, 2, 0.0, 1.0)
    assert close(p1["mix_effect"], -1 / 24) and close(p1["rate_effect"], 7 / 12)
    # p2 only in W4: its missing baseline value is taken as its W4 value, so all mix: w1 (r1 - 0.75) = 1/12
    assert (p2["base_n"], p2["base_share"], p2["base_value"], p2["cur_value"]) == (0, 0.0, None, 1.0)
    assert p2["rate_effect"] == 0.0 and close(p2["mix_effect"], 1 / 12)
    # p3 only in the baseline: -w0 (r0 - 0.75) = -1/8
    assert (p3["cur_n"], p3["cur_share"], p3["cur_value"], p3["base_value"]) == (0, 0.0, None, 1.0)
    assert p3["rate_effect"] == 0.0 and close(p3["contribution"], -1 / 8)
    total = p1["contribution"] + p2["contribution"] + p3["contribution"]
    assert close(total, shifts[(W4, "appeal_overturn_rate", "all", "all")]["abs_change"])  # 13/24 + 2/24 - 3/24
    assert [r["driver_value"] for r in sorted(agents.values(), key=lambda r: r["rank"])] == ["p1", "p3", "p2"]


def test_the_all_slice_is_the_daily_marts_metric_over_the_week(warehouse: Warehouse, shifts: dict) -> None:
    """n and value of every (week, metric) equal the daily mart's numerator and denominator summed over the week."""
    daily = {
        "qa_score": ("fct_qa_scores_daily", "sum(reviews)", "sum(iqs * reviews)"),  # every review has a score
        "policy_adherence_rate": ("fct_qa_scores_daily", "sum(policy_reviews)", "sum(policy_adherent)"),
        "critical_error_rate": ("fct_qa_scores_daily", "sum(reviews)", "sum(critical_errors)"),
        "csat_pct": ("fct_csat_daily", "sum(ratings)", "sum(positive_ratings)"),
        "first_reply_sla_attainment": ("fct_ticket_sla_daily", "sum(sla_due)", "sum(replied_within_sla)"),
        "appeal_overturn_rate": ("fct_appeal_outcomes_daily", "sum(decided)", "sum(overturned + partially_overturned)"),
        "wrongful_enforcement_rate": ("fct_enforcement_outcomes_daily", "sum(actions)", "sum(reversed)"),
    }
    for metric, (mart, denominator, numerator) in daily.items():
        weeks = {k[0]: r for k, r in shifts.items() if k[1] == metric and k[2] == "all"}
        assert weeks, metric
        for week, row in weeks.items():
            n, total = warehouse.con.execute(
                f"select {denominator}, {numerator} from marts.{mart} where day between ? and ?",
                [week, week + dt.timedelta(days=6)],
            ).fetchone()
            assert row["n"] == n, (metric, week)
            assert close(row["value"], total / n), (metric, week)


def test_only_complete_and_mature_weeks(warehouse: Warehouse, shifts: dict) -> None:
    weeks = {k[0] for k in shifts}
    assert max(weeks) == W4  # the review of 11-09 is in fct_qa_reviews but its week is not complete
    assert warehouse.scalar("select count(*) from marts.fct_qa_reviews where review_week = date '2026-11-09'") == 1
    # actions: the cohort week of 09-28 is mature (10-04 + 30 days <= 11-09), the week of 10-05 is not
    enforcement = {k[0] for k in shifts if k[1] == "wrongful_enforcement_rate"}
    assert enforcement == {D(2026, 9, 28)}
    row = shifts[(D(2026, 9, 28), "wrongful_enforcement_rate", "all", "all")]
    assert (row["n"], row["value"], row["baseline_n"], row["baseline_value"]) == (4, 0.25, 0, None)
    # the calibration review of W4 is not a unit: 72 scored reviews, not 73
    assert shifts[(W4, "qa_score", "all", "all")]["n"] == 72


def test_baseline_weeks_counts_the_weeks_with_units(shifts: dict) -> None:
    assert shifts[(W4, "qa_score", "all", "all")]["baseline_weeks"] == 4
    assert shifts[(BASELINE_WEEKS[1], "qa_score", "all", "all")]["baseline_weeks"] == 1
    first = shifts[(BASELINE_WEEKS[0], "qa_score", "all", "all")]
    assert (first["baseline_weeks"], first["baseline_n"], first["baseline_value"], first["z"]) == (0, 0, None, None)
    # the appeals of W4: decisions in two of the four baseline weeks (10-14 and 10-21)
    assert shifts[(W4, "appeal_overturn_rate", "all", "all")]["baseline_weeks"] == 2


def test_slices_and_drivers_follow_the_metric(shifts: dict, drivers: dict) -> None:
    by_metric: dict[str, set[str]] = {}
    for _week, metric, dimension, _ in shifts:
        by_metric.setdefault(metric, set()).add(dimension)
    assert by_metric["qa_score"] == {"all", "category", "queue", "case_type", "team", "policy"}
    assert by_metric["csat_pct"] == {"all", "category", "queue", "team"}
    assert by_metric["first_reply_sla_attainment"] == {"all", "category", "queue", "team", "priority"}
    assert by_metric["appeal_overturn_rate"] == {"all", "team", "policy", "review_level"}
    assert by_metric["wrongful_enforcement_rate"] == {"all", "team", "policy", "detection_source"}
    assert set(drivers[(W4, "qa_score", "all", "all")]) == {
        "agent",
        "team",
        "queue",
        "category",
        "case_type",
        "rubric_item",
    }
    assert set(drivers[(W4, "csat_pct", "all", "all")]) == {"agent", "team", "queue", "category"}
    assert set(drivers[(W4, "appeal_overturn_rate", "all", "all")]) == {"agent", "team", "policy", "review_level"}


def test_columns_are_documented_in_order(warehouse: Warehouse) -> None:
    spec = yaml.safe_load((DBT_PROJECT_DIR / "models" / "marts" / "_marts__shifts.yml").read_text(encoding="utf-8"))
    models = {m["name"]: m for m in spec["models"]}
    for mart in ("fct_metric_shifts_weekly", "fct_metric_shift_drivers_weekly"):
        columns = warehouse.columns("marts", mart)
        assert [c["name"] for c in models[mart]["columns"]] == columns
        assert all(c.get("description") for c in models[mart]["columns"]) and models[mart].get("description")
    assert warehouse.columns("marts", "fct_metric_shifts_weekly")[:4] == [
        "week_start",
        "metric",
        "slice_dimension",
        "slice_value",
    ]


def test_sample_variance_helper_agrees_with_python() -> None:
    """The hand numbers above, recomputed from the listed scores (guards the arithmetic in the comments)."""
    current = [50, 60, 70] * 6 + [80, 90, 100] * 6
    baseline = [80, 90, 100] * 16
    assert (statistics.mean(current), statistics.variance(current)) == (75, 300)
    assert math.isclose(statistics.variance(baseline), 3200 / 47)


@pytest.fixture(scope="module")
def snowflake_shifts(
    emulator: dict[str, str],  # noqa: F811
    export_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> SnowflakeSettings:
    """The same exports pushed to the fakesnow emulator and built by dbt on the snowflake target."""
    work = tmp_path_factory.mktemp("metric_shifts_snowflake")
    settings = snowflake_settings()
    push_days(export_dir, export_days(export_dir), work / "scratch.duckdb", settings)
    run_dbt(["build", "--select", "+fct_metric_shift_drivers_weekly"], work, work / "unused.duckdb", emulator)
    return settings


def test_the_same_rows_on_snowflake(snowflake_shifts: SnowflakeSettings, warehouse: Warehouse) -> None:
    """Every row of the shift models equals DuckDB's (floats to 1e-9 relative), z, p and q included.

    tests/test_snowflake.py compares the marts of the bundled sample, whose two weeks give no test; these
    exports give tests, signals and every kind of driver row.
    """
    cursor = connect(snowflake_shifts).cursor()
    cursor.execute(f"use database {snowflake_shifts.database}")
    compared = {}
    for schema, relation in SHIFT_RELATIONS:
        select = ", ".join(warehouse.columns(schema, relation))
        expected = sorted(
            (
                tuple(_value(v) for v in r)
                for r in warehouse.con.execute(f"select {select} from {schema}.{relation}").fetchall()
            ),
            key=_sort_key,
        )
        cursor.execute(f"select {select} from {schema}.{relation}")
        actual = sorted((tuple(_value(v) for v in r) for r in cursor.fetchall()), key=_sort_key)
        assert len(actual) == len(expected), relation
        differing = [(a, e) for a, e in zip(actual, expected, strict=True) if _rows_differ(a, e)]
        assert differing == [], (relation, differing[:3])
        compared[relation] = len(expected)
    assert compared["fct_metric_shift_drivers_weekly"] > 1000
    cursor.execute("select count(*) from marts.fct_metric_shifts_weekly where is_signal")
    assert cursor.fetchone()[0] == 6  # the six qa_score slices of W4 (test_benjamini_hochberg_over_the_week_and_metric)


def test_rubric_q_values_are_benjamini_hochberg_within_each_shift(sample_warehouse) -> None:
    """On the bundled sample: the rubric items tested for one shift (week, metric, slice) are adjusted
    together; each q-value equals scipy's Benjamini-Hochberg of the group's p-values."""
    assert sample_warehouse.first_run.returncode == 0, sample_warehouse.first_run.stderr[-2000:]
    with duckdb.connect(str(sample_warehouse.path), read_only=True) as con:
        rows = con.execute(
            "select week_start, metric, slice_dimension, slice_value, p_value, q_value "
            "from marts.fct_metric_shift_drivers_weekly where driver_dimension = 'rubric_item' and p_value is not null"
        ).fetchall()
    groups: dict[tuple, list[tuple[float, float]]] = {}
    for *group, p, q in rows:
        groups.setdefault(tuple(group), []).append((p, q))
    several = [tests for tests in groups.values() if len(tests) > 1]
    assert several, "the sample has shifts with several tested rubric items"
    for tests in groups.values():
        expected = false_discovery_control([p for p, _ in tests], method="bh")
        assert all(close(q, e) for (_, q), e in zip(tests, expected, strict=True)), tests
