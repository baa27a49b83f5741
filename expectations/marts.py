"""Mart-layer suites: one per mart (``docs/metrics.md`` defines each).

Every suite: the grain is unique (nulls form their own group, as in the
metric contract). Every rate lies in [0, 1] and its numerator never exceeds
its denominator; Wilson bounds bracket their rate. Marts that count
staging records reconcile with staging.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import great_expectations.expectations as gxe

from expectations.staging import STAGING_SCHEMA
from expectations.suite import GateSuite, between, no_rows

MARTS_SCHEMA = "marts"
BOUND_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Rate:
    column: str
    numerator: str  # SQL expression
    denominator: str


@dataclass(frozen=True)
class Mart:
    name: str
    grain: tuple[str, ...]
    rates: tuple[Rate, ...] = ()
    wilson: tuple[str, ...] = ()  # rates with <rate>_ci_low / <rate>_ci_high
    # (name, mart total SQL, staging SQL selecting one value `staging_total`)
    reconciliations: tuple[tuple[str, str, str], ...] = field(default=())
    subsets: tuple[tuple[str, str], ...] = ()  # (part, whole) counts: part <= whole


RISK_RATES = (
    Rate("seller_cancel_rate_30d", "seller_cancelled_orders_30d", "sold_orders_placed_30d"),
    Rate("seller_refund_rate_30d", "refunded_sold_orders_30d", "sold_orders_placed_30d"),
    Rate("dispute_rate_90d", "disputed_sold_orders_90d", "sold_orders_placed_90d"),
    Rate("top_buyer_gmv_share_30d", "top_buyer_gmv_30d", "gmv_sold_30d"),
)

MARTS = (
    Mart(
        "fct_csat_daily", ("day", "agent_id", "queue", "category"), (Rate("csat_pct", "positive_ratings", "ratings"),)
    ),
    Mart(
        "fct_qa_scores_daily",
        ("day", "agent_id", "case_type"),
        (
            Rate("critical_error_rate", "critical_errors", "reviews"),
            Rate("policy_adherence_rate", "policy_adherent", "policy_reviews"),
        ),
        ("critical_error_rate", "policy_adherence_rate"),
    ),
    Mart(
        "fct_ticket_sla_daily",
        ("day", "queue", "priority"),
        (Rate("first_reply_sla_attainment", "replied_within_sla", "sla_due"),),
    ),
    Mart(
        "fct_ticket_response_daily",
        ("day", "queue", "priority"),
        (Rate("response_rate", "rated_tickets", "solved_tickets"),),
    ),
    Mart(
        "fct_calibration_agreement",
        ("calibration_session_id", "rubric_item"),
        (Rate("pct_agreement", "agreeing_pairs", "ordered_pairs"),),
    ),
    Mart(
        "fct_reviewer_calibration",
        ("calibration_session_id", "reviewer_id"),
        (Rate("consensus_agreement_rate", "values_matching_consensus", "values_with_consensus"),),
    ),
    Mart(
        "fct_enforcement_outcomes_daily",
        ("day", "policy", "action_type", "detection_source", "decided_by"),
        (
            Rate("wrongful_enforcement_rate", "reversed", "actions"),
            Rate("appeal_rate", "appealed", "actions"),
            Rate("proactive_rate", "proactive", "actions"),
            Rate("audited_error_rate", "audited_wrong", "audited"),
        ),
        ("audited_error_rate",),
        (
            (
                "actions reconcile with staging",
                "sum(actions)",
                f"select count(*) as staging_total from {STAGING_SCHEMA}.stg_marketplace__enforcement_actions",
            ),
        ),
    ),
    Mart(
        "fct_appeal_outcomes_daily",
        ("day", "review_level", "policy"),
        (
            Rate("appeal_overturn_rate", "overturned + partially_overturned", "decided"),
            Rate("full_overturn_rate", "overturned", "decided"),
            Rate("sla_attainment", "within_sla", "decided"),
        ),
        (),
        (
            (
                "decided reconcile with staging",
                "sum(decided)",
                f"select count(*) as staging_total from {STAGING_SCHEMA}.stg_marketplace__appeals "
                "where decided_at is not null and outcome is not null",
            ),
        ),
    ),
    Mart("fct_appeal_backlog_daily", ("day", "review_level"), subsets=(("backlog_past_sla", "backlog"),)),
    Mart("fct_user_risk_features_daily", ("as_of_day", "user_id"), RISK_RATES),
    Mart("dim_user_risk_current", ("user_id",), RISK_RATES),
    Mart("dim_agents", ("agent_id",)),
    Mart("dim_date", ("day",)),
)


def _grain_unique(mart: Mart) -> gxe.Expectation:
    grain = ", ".join(mart.grain)
    return no_rows(
        "grain unique",
        f"one row per ({grain}); a null is its own group",
        f"select {grain}, count(*) as copies from {{batch}} group by {grain} having count(*) > 1",
    )


def _part_within_whole(name: str, part: str, whole: str) -> gxe.Expectation:
    return no_rows(name, f"{part} <= {whole}", f"select * from {{batch}} where ({part}) > ({whole})")


def _wilson_brackets(rate: str) -> gxe.Expectation:
    low, high, eps = f"{rate}_ci_low", f"{rate}_ci_high", BOUND_TOLERANCE
    return no_rows(
        f"{rate}: Wilson bounds bracket the rate",
        f"0 <= {low} <= {rate} <= {high} <= 1",
        f"""
        select * from {{batch}}
        where {rate} is not null
          and not ({low} >= -{eps} and {low} <= {rate} + {eps} and {rate} <= {high} + {eps} and {high} <= 1 + {eps})
        """,
    )


def _reconciles(name: str, mart_total: str, staging_count: str) -> gxe.Expectation:
    return no_rows(
        name,
        f"{mart_total} over the mart equals ({staging_count})",
        f"""
        select mart_total, staging_total
        from (select coalesce({mart_total}, 0) as mart_total from {{batch}}) as mart
        cross join ({staging_count}) as staging
        where mart_total <> staging_total
        """,
    )


def _build(mart: Mart) -> list[gxe.Expectation]:
    expectations = [_grain_unique(mart)]
    for rate in mart.rates:
        expectations.append(between(rate.column, 0, 1))
        expectations.append(
            _part_within_whole(f"{rate.column}: numerator <= denominator", rate.numerator, rate.denominator)
        )
    expectations += [_part_within_whole(f"{part} <= {whole}", part, whole) for part, whole in mart.subsets]
    expectations += [_wilson_brackets(rate) for rate in mart.wilson]
    expectations += [_reconciles(*r) for r in mart.reconciliations]
    return expectations


def _suite(mart: Mart) -> GateSuite:
    return GateSuite("marts", MARTS_SCHEMA, mart.name, mart.grain, lambda: _build(mart))


SUITES = [_suite(m) for m in MARTS]
