"""Mart-layer suites: one per mart (``docs/metrics.md`` defines each).

Every suite: the grain is unique (nulls form their own group, as in the
metric contract). Every rate lies in [0, 1] and its numerator never exceeds
its denominator; Wilson bounds bracket their rate. Marts that count
staging records reconcile with staging. The significance marts keep their
p-values and q-values probabilities with q never below p, and a shift's
driver contributions add up to its change. In a run over a partition
window, the incremental feature mart's suite validates only the rows its
latest build rewrote (``restrict_to_rewritten_rows``); the other marts are
rebuilt whole and validated whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import great_expectations.expectations as gxe

from expectations.staging import STAGING_SCHEMA
from expectations.suite import GateSuite, Lookup, Restricted, Window, between, no_rows, timestamp_literal

MARTS_SCHEMA = "marts"
BOUND_TOLERANCE = 1e-9
CONTRIBUTION_TOLERANCE = 1e-6  # sums of doubles; a QA score's change is in points


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
    adjusted_p_values: bool = False  # p_value and q_value in [0, 1], q_value >= p_value
    # (name, description, SQL selecting the offending rows from {batch})
    rules: tuple[tuple[str, str, str], ...] = ()
    # An incremental mart whose rows carry `_built_at`: a windowed run validates the rows its build
    # rewrote (the greatest `_built_at`), a rule of each row or grain within the rewritten rows.
    rewritten_rows_only: bool = False


RISK_RATES = (
    Rate("seller_cancel_rate_30d", "seller_cancelled_orders_30d", "sold_orders_placed_30d"),
    Rate("seller_refund_rate_30d", "refunded_sold_orders_30d", "sold_orders_placed_30d"),
    Rate("dispute_rate_90d", "disputed_sold_orders_90d", "sold_orders_placed_90d"),
    Rate("top_buyer_gmv_share_30d", "top_buyer_gmv_30d", "gmv_sold_30d"),
)

# fct_dsa_transparency_report's total figures and what they equal in the outcome marts:
# (metric, outcome mart, summed expression, condition on the mart's rows)
DSA_REPORT_TIE_DEFINITIONS = (
    ("actions_taken", "fct_enforcement_outcomes_daily", "outcomes.actions", "true"),
    ("own_initiative_actions", "fct_enforcement_outcomes_daily", "outcomes.actions",
     "coalesce(outcomes.detection_source, '') <> 'user_report'"),
    ("actions_on_notices", "fct_enforcement_outcomes_daily", "outcomes.actions",
     "outcomes.detection_source = 'user_report'"),
    ("suspensions", "fct_enforcement_outcomes_daily", "outcomes.actions", "outcomes.action_type = 'suspension'"),
    ("automated_decisions", "fct_enforcement_outcomes_daily", "outcomes.actions", "outcomes.decided_by = 'automated'"),
    ("automated_decisions_reversed", "fct_enforcement_outcomes_daily", "outcomes.reversed",
     "outcomes.decided_by = 'automated'"),
    ("complaints_decided", "fct_appeal_outcomes_daily", "outcomes.decided", "true"),
    ("complaints_upheld", "fct_appeal_outcomes_daily", "outcomes.upheld", "true"),
    ("complaints_reversed", "fct_appeal_outcomes_daily", "outcomes.overturned + outcomes.partially_overturned", "true"),
)  # fmt: skip


def _dsa_report_tie(metric: str, mart: str, summed: str, condition: str) -> str:
    """One period per row with the figure's expected total from an outcome mart."""
    return f"""
        select periods.period, '{metric}' as metric, coalesce(sum({summed}), 0) as expected
        from (select distinct period, period_start, period_end from {{batch}}) as periods
        left join {MARTS_SCHEMA}.{mart} as outcomes
            on outcomes.day between periods.period_start and periods.period_end and {condition}
        group by periods.period
    """


DSA_REPORT_TIES = f"""
    select report.period, report.metric, report.value, ties.expected
    from {{batch}} as report
    inner join ({" union all ".join(_dsa_report_tie(*tie) for tie in DSA_REPORT_TIE_DEFINITIONS)}) as ties
        on report.period = ties.period and report.metric = ties.metric
    where report.breakdown = 'total' and report.value <> ties.expected
"""

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
    Mart(
        "fct_qa_reviews",
        ("review_id",),
        reconciliations=(
            (
                "reviews reconcile with staging",
                "count(*)",
                f"select count(*) as staging_total from {STAGING_SCHEMA}.stg_support__qa_reviews",
            ),
        ),
    ),
    Mart(
        "fct_metric_shifts_weekly",
        ("week_start", "metric", "slice_dimension", "slice_value"),
        adjusted_p_values=True,
        rules=(
            (
                "a signal is tested",
                "is_signal only with a q_value (no signal without a test)",
                "select week_start, metric, slice_dimension, slice_value from {batch} where is_signal and q_value is null",
            ),
        ),
    ),
    Mart(
        "fct_metric_shift_drivers_weekly",
        ("week_start", "metric", "slice_dimension", "slice_value", "driver_dimension", "driver_value"),
        adjusted_p_values=True,
        rules=(
            (
                "contributions add up to the shift's change",
                "per shift and driver dimension (not rubric_item), the sum of contribution = the shift's abs_change",
                f"""
                select drivers.week_start, drivers.metric, drivers.slice_dimension, drivers.slice_value,
                       drivers.driver_dimension, drivers.total, shifts.abs_change
                from (
                    select week_start, metric, slice_dimension, slice_value, driver_dimension,
                           sum(contribution) as total
                    from {{batch}}
                    where driver_dimension <> 'rubric_item'
                    group by week_start, metric, slice_dimension, slice_value, driver_dimension
                ) as drivers
                inner join {MARTS_SCHEMA}.fct_metric_shifts_weekly as shifts
                    on drivers.week_start = shifts.week_start
                    and drivers.metric = shifts.metric
                    and drivers.slice_dimension = shifts.slice_dimension
                    and drivers.slice_value is not distinct from shifts.slice_value
                where abs(drivers.total - shifts.abs_change) > {CONTRIBUTION_TOLERANCE}
                """,
            ),
        ),
    ),
    Mart(
        "fct_volume_spikes_daily",
        ("day", "stream", "key"),
        adjusted_p_values=True,
        rules=(
            (
                "a spike is tested",
                "is_spike only with a q_value (no spike without a test)",
                "select day, stream, key from {batch} where is_spike and q_value is null",
            ),
        ),
    ),
    Mart("dim_qa_cases", ("case_type", "case_id"), subsets=(("design_reviews", "reviews"),)),
    Mart(
        "fct_qa_sampling_plan",
        ("week_start", "stratum"),
        subsets=(("n_required", "ceil(population_n)"),),
        rules=(
            (
                "p_hat is a probability",
                "0 <= p_hat <= 1",
                "select week_start, stratum from {batch} where p_hat < 0 or p_hat > 1 or p_hat is null",
            ),
        ),
    ),
    Mart(
        "fct_qa_estimates_weekly",
        ("week_start", "metric"),
        subsets=(("design_n", "naive_n"), ("strata_covered", "strata")),
        rules=(
            (
                "the interval brackets the weighted estimate",
                "weighted_ci_low <= weighted_value <= weighted_ci_high",
                f"""
                select week_start, metric from {{batch}}
                where weighted_value is not null
                  and not (weighted_ci_low <= weighted_value + {BOUND_TOLERANCE}
                           and weighted_value <= weighted_ci_high + {BOUND_TOLERANCE})
                """,
            ),
        ),
    ),
    Mart(
        "dsa_statements_of_reasons",
        ("puid",),
        reconciliations=(
            (
                "statements reconcile with the restricting actions in staging",
                "count(*)",
                f"select count(*) as staging_total from {STAGING_SCHEMA}.stg_marketplace__enforcement_actions "
                "where action_type <> 'warning'",
            ),
        ),
    ),
    Mart(
        "fct_dsa_transparency_report",
        ("period", "metric", "breakdown", "breakdown_value"),
        rules=(
            (
                "the report's totals tie to the outcome marts",
                "each period's total of every figure that the enforcement or appeal outcome marts also count "
                "equals their sum over the period's days",
                DSA_REPORT_TIES,
            ),
            (
                "the reversal share is a probability its Wilson interval brackets",
                "0 <= ci_low <= value = numerator / denominator <= ci_high <= 1 on share rows",
                f"""
                select period, metric from {{batch}}
                where unit = 'share' and denominator > 0
                  and not (ci_low >= -{BOUND_TOLERANCE} and ci_low <= value + {BOUND_TOLERANCE}
                           and value <= ci_high + {BOUND_TOLERANCE} and ci_high <= 1 + {BOUND_TOLERANCE}
                           and abs(value - cast(numerator as double) / denominator) <= {BOUND_TOLERANCE})
                """,
            ),
        ),
    ),
    Mart("fct_user_risk_features_daily", ("as_of_day", "user_id"), RISK_RATES, rewritten_rows_only=True),
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


def _adjusted_p_values() -> list[gxe.Expectation]:
    return [
        between("p_value", 0, 1),
        between("q_value", 0, 1),
        no_rows(
            "q_value never below p_value",
            "q_value is null exactly when p_value is, and q_value >= p_value",
            f"""
            select * from {{batch}}
            where (p_value is null) <> (q_value is null) or q_value < p_value - {BOUND_TOLERANCE}
            """,
        ),
    ]


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
    if mart.adjusted_p_values:
        expectations += _adjusted_p_values()
    expectations += [no_rows(*rule) for rule in mart.rules]
    return expectations


def restrict_to_rewritten_rows(mart: Mart, suite: GateSuite, window: Window, lookup: Lookup) -> Restricted | None:
    """The rows the mart's latest build wrote (its greatest `_built_at`); None: the whole table.

    ``window`` is not needed: the build stamped what it rewrote (for the
    feature mart, whole days: a grain (as_of_day, user_id) duplicate or a rate
    out of bounds always lies in a rewritten day, the others were validated
    when they were written). Rules across rows of several builds
    (reconciliations with staging) are never restricted.
    """
    if mart.reconciliations:
        return None
    row = lookup(f"select max(_built_at) from {suite.name}")
    if not row or row[0] is None:
        return None
    built = timestamp_literal(row[0])
    return Restricted(
        f"select * from {suite.name} where _built_at = {built}",
        f"rows written by the build of {row[0]}",
        _build(mart),
    )


def _suite(mart: Mart) -> GateSuite:
    restrict = partial(restrict_to_rewritten_rows, mart) if mart.rewritten_rows_only else None
    return GateSuite("marts", MARTS_SCHEMA, mart.name, mart.grain, lambda: _build(mart), restrict)


SUITES = [_suite(m) for m in MARTS]
