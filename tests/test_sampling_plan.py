"""fct_qa_sampling_plan, fct_qa_estimates_weekly and dim_qa_cases on hand-made exports, worked by hand.

docs/metrics.md "QA sampling plan". One export folder, pushed once through
the real loader and `dbt build` with small thresholds (vars below). Export
days 2026-10-26 (the agents, the first export day) and 2026-11-14 (a
Saturday, the as-of day): the basis of the strata is the 20 days
10-26 .. 11-14; the current week is that of 11-15, W3 = 11-09.

Cases (W1 = week of 10-26, W2 = week of 11-02):

* tickets, queue fraud, category coins: 10 solved in W1, 10 in W2
  -> 20 x 7 / 20 = 7 a week >= split 6: stratum ticket/fraud/coins;
* tickets, queue fraud, category toys: 4 solved in W2 -> 1.4 a week; base
  fraud 8.4 >= min 3, toys below the split: stratum ticket/fraud;
* tickets, queue general, category coins: 2 solved in W2 -> base general
  0.7 < 3: ticket/other;
* actions, policy fraud: 3 in W1, 3 in W2 -> 2.1 < 3: enforcement/other;
* an open ticket (no solved_at): in no week.

Reviews (policy adherence):

* ticket/fraud/coins: W1 5 random reviews of 5 cases, 4 adherent; W2 3
  random reviews, all adherent, plus 1 targeted (not adherent) and 1
  calibration review (not adherent, never counted);
* ticket/fraud: W2 2 random reviews, 1 adherent;
* enforcement/other: W1 1 random review, adherent;
* a reviewed W2 coins case is `reviews > 0` in dim_qa_cases.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.dbt_runner import Warehouse
from tests.export_builder import write_exports
from tests.pipeline_runner import build_from_exports
from tests.test_metric_shifts import agent, ts

pytestmark = pytest.mark.slow

D = dt.date
W1, W2, W3 = D(2026, 10, 26), D(2026, 11, 2), D(2026, 11, 9)
FIRST_DAY, AS_OF_DAY = "2026-10-26", "2026-11-14"
Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)
VARS = {
    "qa_stratum_min_weekly_cases": 3,
    "qa_stratum_split_weekly_cases": 6,
    "qa_plan_p_hat_min_reviews": 4,
    "qa_plan_weekly_capacity": 20,
    "qa_plan_min_reviews_per_stratum": 2,
}


def ticket(ticket_id: int, queue: str, category: str, solved_on: dt.date | None) -> dict[str, Any]:
    created = ts(solved_on or W2, 8)
    return {
        "ticket_id": ticket_id,
        "requester_user_id": "u9",
        "channel": "email",
        "queue": queue,
        "category": category,
        "priority": "normal",
        "status": "solved" if solved_on else "open",
        "assignee_agent_id": "a1",
        "created_at": created,
        "first_reply_at": created,
        "solved_at": ts(solved_on, 10) if solved_on else None,
        "updated_at": ts(solved_on or W2, 10),
    }


def action(action_id: str, day: dt.date) -> dict[str, Any]:
    return {
        "action_id": action_id,
        "user_id": "u1",
        "action_type": "warning",
        "policy": "fraud",
        "detection_source": "user_report",
        "decided_by": "agent",
        "agent_id": "a1",
        "created_at": ts(day, 9),
        "updated_at": ts(day, 9),
    }


def review(review_id: str, case_type: str, case_id: str | int, day: dt.date, adherent: bool, method: str) -> dict:
    return {
        "review_id": review_id,
        "case_type": case_type,
        "case_id": str(case_id),
        "agent_id": "a1",
        "reviewer_id": "qa_1",
        "reviewed_at": ts(day + dt.timedelta(days=1), 15),
        "rubric_version": "v3",
        "sampling_method": method,
        "calibration_session_id": "cal_1" if method == "calibration" else None,
        "policy_applied_correctly": adherent,
        "evidence_standard_met": True,
        "resolution_correct": True,
        "communication_score": 4,
        "critical_error": False,
        "overall_score": 90.0 if adherent else 60.0,
        "updated_at": ts(day + dt.timedelta(days=1), 15),
    }


def exports() -> dict[str, dict[str, list[dict[str, Any]]]]:
    coins_w1 = [ticket(100 + i, "fraud", "coins", W1 + dt.timedelta(days=i % 7)) for i in range(10)]
    coins_w2 = [ticket(200 + i, "fraud", "coins", W2 + dt.timedelta(days=i % 7)) for i in range(10)]
    toys_w2 = [ticket(300 + i, "fraud", "toys", W2 + dt.timedelta(days=i)) for i in range(4)]
    general_w2 = [ticket(400 + i, "general", "coins", W2 + dt.timedelta(days=i)) for i in range(2)]
    open_ticket = ticket(500, "fraud", "coins", None)
    actions = [action(f"act_{i}", (W1 if i < 3 else W2) + dt.timedelta(days=i % 3)) for i in range(6)]
    reviews = [review(f"r1_{i}", "ticket", 100 + i, W1 + dt.timedelta(days=i), i != 0, "random") for i in range(5)]
    reviews += [review(f"r2_{i}", "ticket", 200 + i, W2 + dt.timedelta(days=i), True, "random") for i in range(3)]
    reviews += [
        review("r2_targeted", "ticket", 205, W2 + dt.timedelta(days=5), False, "targeted"),
        review("r2_calibration", "ticket", 206, W2 + dt.timedelta(days=6), False, "calibration"),
        review("r2_toys_a", "ticket", 300, W2, True, "random"),
        review("r2_toys_b", "ticket", 301, W2 + dt.timedelta(days=1), False, "random"),
        review("r1_action", "enforcement", "act_0", W1, True, "random"),
    ]
    return {
        "agents": {FIRST_DAY: [agent("a1", "t_one")]},
        "tickets": {AS_OF_DAY: [*coins_w1, *coins_w2, *toys_w2, *general_w2, open_ticket]},
        "enforcement_actions": {AS_OF_DAY: actions},
        "qa_reviews": {AS_OF_DAY: reviews},
    }


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_exports(tmp_path_factory.mktemp("sampling_exports"), exports())


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, export_dir: Path) -> Iterator[Warehouse]:
    built = build_from_exports(
        tmp_path_factory.mktemp("sampling") / "work",
        export_dir,
        dbt_args=[
            "build",
            "--select",
            "+fct_qa_sampling_plan",
            "+fct_qa_estimates_weekly",
            "--vars",
            yaml.safe_dump(VARS, default_flow_style=True).strip(),
        ],
    )
    yield built
    built.close()


@pytest.fixture(scope="module")
def plan(warehouse: Warehouse) -> dict[tuple[dt.date, str], dict[str, Any]]:
    return {(r["week_start"], r["stratum"]): r for r in warehouse.rows("select * from marts.fct_qa_sampling_plan")}


def sample_size(p: float, population: float, margin: float = 0.05) -> int:
    n0 = Z95 * Z95 * p * (1 - p) / margin**2
    return math.ceil(n0 / (1 + (n0 - 1) / population))


def wilson_half(p: float, n: int) -> float:
    return Z95 / (1 + Z95 * Z95 / n) * math.sqrt(p * (1 - p) / n + Z95 * Z95 / (4 * n * n))


def test_strata_split_a_large_category_and_merge_small_bases(warehouse: Warehouse) -> None:
    strata = {
        (r["case_type"], r["base_value"], r["category"]): (r["stratum"], r["weekly_cases"])
        for r in warehouse.rows("select * from intermediate.int_qa_strata")
    }
    assert strata == {
        ("ticket", "fraud", "coins"): ("ticket/fraud/coins", pytest.approx(7.0)),  # 20 cases x 7 / 20 days
        ("ticket", "fraud", "toys"): ("ticket/fraud", pytest.approx(1.4)),
        ("ticket", "general", "coins"): ("ticket/other", pytest.approx(0.7)),
        ("enforcement", "fraud", "other"): ("enforcement/other", pytest.approx(2.1)),  # no show or order: 'other'
    }


def test_cases_know_their_week_stratum_and_reviews(warehouse: Warehouse) -> None:
    cases = {(r["case_type"], r["case_id"]): r for r in warehouse.rows("select * from marts.dim_qa_cases")}
    assert len(cases) == 10 + 10 + 4 + 2 + 1 + 6
    assert cases[("ticket", "500")]["week_start"] is None  # open: in no week
    assert cases[("ticket", "205")]["reviews"] == 1 and cases[("ticket", "205")]["design_reviews"] == 0
    assert cases[("ticket", "200")]["reviews"] == 1 and cases[("ticket", "200")]["design_reviews"] == 1
    assert cases[("enforcement", "act_4")]["week_start"] == W2


def test_a_complete_week_needs_the_textbook_sample_size(plan: dict) -> None:
    coins = plan[(W2, "ticket/fraud/coins")]
    # p_hat from W1's 5 random reviews (>= 4): 4 / 5; N = 10: n0 = z^2 0.16 / 0.0025 = 245.9, n = 9.65 -> 10
    assert (coins["population_n"], coins["p_hat_reviews"]) == (10, 5)
    assert coins["p_hat"] == pytest.approx(0.8)
    assert coins["n_required"] == sample_size(0.8, 10) == 10
    # the targeted and the calibration review are not part of the sample
    assert coins["n_reviewed"] == 3 and coins["is_short"]
    assert coins["coverage"] == pytest.approx(0.3)
    assert coins["achieved_margin"] == pytest.approx(wilson_half(0.8, 3))
    assert not coins["is_current_week"]
    # ticket/fraud has no reviews before W2: p_hat 0.5; N = 4 -> n0 = 384.1, n = 384.1 / 96.8 = 3.97 -> 4
    toys = plan[(W2, "ticket/fraud")]
    assert (toys["p_hat"], toys["p_hat_reviews"], toys["n_required"], toys["n_reviewed"]) == (0.5, 0, 4, 2)


def test_the_current_week_plans_on_the_trailing_average(plan: dict) -> None:
    coins = plan[(W3, "ticket/fraud/coins")]
    assert coins["is_current_week"]
    # (10 + 10) / 2 weeks; p_hat over W1 and W2: 7 adherent of 8 -> n0 = z^2 0.109375 / 0.0025 = 168.1 -> 9.49 -> 10
    assert coins["population_n"] == pytest.approx(10.0)
    assert coins["p_hat"] == pytest.approx(7 / 8)
    assert coins["n_required"] == sample_size(7 / 8, 10) == 10
    assert coins["n_reviewed"] == 0 and coins["achieved_margin"] is None
    # every stratum has a current-week row; ticket/other's average: (0 + 2) / 2
    assert plan[(W3, "ticket/other")]["population_n"] == pytest.approx(1.0)
    assert {s for w, s in plan if w == W3} == {
        "ticket/fraud/coins",
        "ticket/fraud",
        "ticket/other",
        "enforcement/other",
    }


def test_neyman_allocation_of_the_capacity(plan: dict) -> None:
    # W2, capacity 20, N_h S_h: coins 10 x sqrt(0.8 x 0.2) = 4, fraud 4 x 0.5 = 2, other 2 x 0.5 = 1,
    # enforcement/other 3 x 0.5 = 1.5 (W1's one review < 4: p 0.5); sum 8.5. Raw 9.41, 4.71, 2.35, 3.53:
    # floors 9 + 4 + 2 + 3 = 18, the 2 left go to the largest remainders (fraud .71, enforcement .53):
    # 9, 5, 2, 4; each at most its population (rounded up): fraud 4, enforcement 3; at least 2.
    allocated = {s: plan[(W2, s)]["n_allocated"] for w, s in plan if w == W2}
    assert allocated == {"ticket/fraud/coins": 9, "ticket/fraud": 4, "ticket/other": 2, "enforcement/other": 3}
    coins = plan[(W2, "ticket/fraud/coins")]
    assert coins["allocated_margin"] == pytest.approx(wilson_half(0.8, 9))
    # the company-wide margin: z sqrt(sum W_h^2 p q / n_h (1 - n_h / N_h)) with N = 19
    variance = (10 / 19) ** 2 * 0.16 / 9 * (1 - 9 / 10)  # fraud, other and enforcement are censused (n = N)
    assert coins["allocated_overall_margin"] == pytest.approx(Z95 * math.sqrt(variance))


def test_the_design_weighted_estimate_leaves_targeted_reviews_out(warehouse: Warehouse) -> None:
    rows = {(r["week_start"], r["metric"]): r for r in warehouse.rows("select * from marts.fct_qa_estimates_weekly")}
    week = rows[(W2, "policy_adherence_rate")]
    # naive: every non-calibration review of W2's cases: coins 3 random + 1 targeted, toys 2 -> 4 of 6 adherent
    assert (week["naive_n"], week["design_n"]) == (6, 5)
    assert week["naive_value"] == pytest.approx(4 / 6)
    # weighted over the covered strata (>= 2 design reviews): coins N 10, mean 1, s^2 0; fraud N 4, mean 0.5,
    # s^2 0.5 -> (10 x 1 + 4 x 0.5) / 14; variance (4/14)^2 (1 - 2/4) 0.5 / 2
    assert week["weighted_value"] == pytest.approx(12 / 14)
    se = math.sqrt((4 / 14) ** 2 * (1 - 2 / 4) * 0.5 / 2)
    assert week["weighted_se"] == pytest.approx(se)
    assert week["weighted_ci_low"] == pytest.approx(12 / 14 - Z95 * se)
    assert week["weighted_ci_high"] == pytest.approx(1.0)  # 0.857 + 0.198, clipped to a rate's 1
    assert (week["strata"], week["strata_covered"], week["population_n"]) == (4, 2, 19)
    assert week["covered_population_share"] == pytest.approx(14 / 19)
    assert week["naive_minus_weighted"] == pytest.approx(4 / 6 - 12 / 14)
