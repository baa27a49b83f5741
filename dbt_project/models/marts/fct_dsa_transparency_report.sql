-- The EU DSA transparency report (Art. 15, 24) per calendar month and
-- half-year, long form: one row per period x metric x breakdown, exactly as
-- docs/dsa.md "The transparency report" defines each figure. Current state
-- of every record: an action reversed or an appeal decided after its
-- period still counts for the period it belongs to (reversals: the period
-- of the action; decisions: the period of the decision), so a closed
-- period's reversal share keeps rising until it is mature (30 days).
-- Count metrics have a 'total' row for every period, zero included;
-- breakdown rows exist where the count is not zero.
-- `value` is the contract's column name (as in fct_metric_shifts_weekly):
-- noqa: disable=RF04

{%- set count_metrics = [
    'notices_received', 'actions_taken', 'own_initiative_actions', 'actions_on_notices',
    'complaints_received', 'complaints_decided', 'complaints_upheld', 'complaints_reversed',
    'complaints_pending_at_period_end', 'suspensions', 'automated_decisions', 'automated_decisions_reversed',
] %}

with

run_as_of as (
    select * from {{ ref('int_run_as_of') }}
),

calendar as (
    select * from {{ ref('dim_date') }}
),

reports as (
    select * from {{ ref('stg_marketplace__reports') }}
),

enforcement_actions as (
    select * from {{ ref('stg_marketplace__enforcement_actions') }}
),

appeals as (
    select * from {{ ref('stg_marketplace__appeals') }}
),

policy_categories as (
    select * from {{ ref('dsa_policy_categories') }}
),

action_restrictions as (
    select * from {{ ref('dsa_action_restrictions') }}
),

-- a user report is a notice; its category from the reason (seed)
notices as (
    select
        cast(reports.created_at as date) as day,
        coalesce(policy_categories.notice_category, 'UNMAPPED') as category
    from reports
    left join policy_categories
        on reports.reason = policy_categories.policy
),

-- every action (warnings too), classified as its statement of reasons is
actions as (
    select
        cast(enforcement_actions.created_at as date) as day,
        enforcement_actions.policy,
        enforcement_actions.detection_source,
        enforcement_actions.decided_by,
        enforcement_actions.action_type,
        enforcement_actions.reversal_reason,
        enforcement_actions.reversed_at is not null as is_reversed,
        case
            when action_restrictions.action_type is null then 'UNMAPPED'
            else
                coalesce(
                    action_restrictions.decision_visibility,
                    action_restrictions.decision_monetary,
                    action_restrictions.decision_provision,
                    action_restrictions.decision_account,
                    'NO_RESTRICTION'
                )
        end as restriction,
        coalesce(policy_categories.category, 'UNMAPPED') as category,
        {{ dsa_source_type('enforcement_actions.detection_source') }} as source_type,
        {{ dsa_automated_decision('enforcement_actions.detection_source', 'enforcement_actions.decided_by') }}
            as automated_decision
    from enforcement_actions
    left join action_restrictions
        on enforcement_actions.action_type = action_restrictions.action_type
    left join policy_categories
        on enforcement_actions.policy = policy_categories.policy
),

-- decided = a decision time and an outcome (as fct_appeal_outcomes_daily)
complaints as (
    select
        cast(appeals.submitted_at as date) as submitted_day,
        case when appeals.outcome is not null then cast(appeals.decided_at as date) end as decided_day,
        appeals.review_level,
        appeals.outcome,
        case
            when appeals.outcome is not null
                then {{ hours_between('appeals.submitted_at', 'appeals.decided_at') }}
        end as hours_to_decision
    from appeals
),

-- one row per event and figure it counts in: (day, metric, breakdown, breakdown_value)
facts as (
    select
        notices.day,
        'notices_received' as metric,
        'total' as breakdown,
        'all' as breakdown_value
    from notices
    union all
    select
        notices.day,
        'notices_received' as metric,
        'category' as breakdown,
        notices.category as breakdown_value
    from notices
    union all
    select
        actions.day,
        'actions_taken' as metric,
        'total' as breakdown,
        'all' as breakdown_value
    from actions
    union all
    select
        actions.day,
        'actions_taken' as metric,
        'automated_decision' as breakdown,
        actions.automated_decision as breakdown_value
    from actions
    union all
    select
        actions.day,
        'own_initiative_actions' as metric,
        'total' as breakdown,
        'all' as breakdown_value
    from actions
    where actions.source_type = 'SOURCE_VOLUNTARY'
    union all
    select
        actions.day,
        'own_initiative_actions' as metric,
        'restriction / category / detection' as breakdown,
        actions.restriction || ' / ' || actions.category || ' / ' || actions.detection_source as breakdown_value
    from actions
    where actions.source_type = 'SOURCE_VOLUNTARY'
    union all
    select
        actions.day,
        'actions_on_notices' as metric,
        'total' as breakdown,
        'all' as breakdown_value
    from actions
    where actions.source_type = 'SOURCE_ARTICLE_16'
    union all
    select
        actions.day,
        'actions_on_notices' as metric,
        'restriction / category' as breakdown,
        actions.restriction || ' / ' || actions.category as breakdown_value
    from actions
    where actions.source_type = 'SOURCE_ARTICLE_16'
    union all
    select
        actions.day,
        'suspensions' as metric,
        'total' as breakdown,
        'all' as breakdown_value
    from actions
    where actions.action_type = 'suspension'
    union all
    select
        actions.day,
        'suspensions' as metric,
        'reason' as breakdown,
        actions.policy as breakdown_value
    from actions
    where actions.action_type = 'suspension'
    union all
    select
        actions.day,
        'automated_decisions' as metric,
        'total' as breakdown,
        'all' as breakdown_value
    from actions
    where actions.decided_by = 'automated'
    union all
    select
        actions.day,
        'automated_decisions_reversed' as metric,
        'total' as breakdown,
        'all' as breakdown_value
    from actions
    where actions.decided_by = 'automated' and actions.is_reversed
    union all
    select
        actions.day,
        'automated_decisions_reversed' as metric,
        'reversal_reason' as breakdown,
        actions.reversal_reason as breakdown_value
    from actions
    where actions.decided_by = 'automated' and actions.is_reversed
    union all
    select
        complaints.submitted_day as day,
        'complaints_received' as metric,
        'total' as breakdown,
        'all' as breakdown_value
    from complaints
    union all
    select
        complaints.submitted_day as day,
        'complaints_received' as metric,
        'review_level' as breakdown,
        cast(complaints.review_level as varchar) as breakdown_value
    from complaints
    union all
    select
        complaints.decided_day as day,
        'complaints_decided' as metric,
        'total' as breakdown,
        'all' as breakdown_value
    from complaints
    where complaints.decided_day is not null
    union all
    select
        complaints.decided_day as day,
        'complaints_decided' as metric,
        'review_level' as breakdown,
        cast(complaints.review_level as varchar) as breakdown_value
    from complaints
    where complaints.decided_day is not null
    union all
    select
        complaints.decided_day as day,
        'complaints_upheld' as metric,
        'total' as breakdown,
        'all' as breakdown_value
    from complaints
    where complaints.decided_day is not null and complaints.outcome = 'upheld'
    union all
    select
        complaints.decided_day as day,
        'complaints_reversed' as metric,
        'total' as breakdown,
        'all' as breakdown_value
    from complaints
    where complaints.decided_day is not null and complaints.outcome in ('overturned', 'partially_overturned')
    union all
    select
        complaints.decided_day as day,
        'complaints_reversed' as metric,
        'outcome' as breakdown,
        complaints.outcome as breakdown_value
    from complaints
    where complaints.decided_day is not null and complaints.outcome in ('overturned', 'partially_overturned')
),

-- the facts counted per day first: every later join is on days, not events
daily_facts as (
    select
        facts.day,
        facts.metric,
        facts.breakdown,
        facts.breakdown_value,
        count(*) as events
    from facts
    where facts.day is not null
    group by
        facts.day,
        facts.metric,
        facts.breakdown,
        facts.breakdown_value
),

-- every day of the calendar and every day an event happened (the first
-- export may carry history from before its day)
period_days as (
    select calendar.day from calendar
    union
    select daily_facts.day from daily_facts
),

-- calendar months and half-years that hold at least one of those days
period_bounds as (
    select distinct
        'month' as period_type,
        cast({{ dbt.date_trunc('month', 'period_days.day') }} as date) as period_start,
        1 as period_months
    from period_days
    union all
    select distinct
        'half_year' as period_type,
        cast(
            case
                when extract(month from period_days.day) <= 6 then {{ dbt.date_trunc('year', 'period_days.day') }}
                else {{ dbt.dateadd('month', 6, dbt.date_trunc('year', 'period_days.day')) }}
            end as date
        ) as period_start,
        6 as period_months
    from period_days
),

periods as (
    select
        period_bounds.period_type,
        cast(extract(year from period_bounds.period_start) as varchar)
        || case
            when period_bounds.period_type = 'month'
                then '-' || lpad(cast(extract(month from period_bounds.period_start) as varchar), 2, '0')
            when extract(month from period_bounds.period_start) = 1 then '-H1'
            else '-H2'
        end as period,
        period_bounds.period_start,
        cast(
            case
                when period_bounds.period_months = 1
                    then {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'period_bounds.period_start')) }}
                else {{ dbt.dateadd('day', -1, dbt.dateadd('month', 6, 'period_bounds.period_start')) }}
            end as date
        ) as period_end
    from period_bounds
),

-- each day with the month and the half-year it belongs to
day_periods as (
    select
        period_days.day,
        periods.period
    from period_days
    inner join periods
        on period_days.day between periods.period_start and periods.period_end
),

fact_counts as (
    select
        day_periods.period,
        daily_facts.metric,
        daily_facts.breakdown,
        daily_facts.breakdown_value,
        cast(sum(daily_facts.events) as bigint) as events
    from daily_facts
    inner join day_periods
        on daily_facts.day = day_periods.day
    group by
        day_periods.period,
        daily_facts.metric,
        daily_facts.breakdown,
        daily_facts.breakdown_value
),

complaint_days as (
    select
        complaints.submitted_day,
        complaints.decided_day,
        count(*) as complaints
    from complaints
    group by
        complaints.submitted_day,
        complaints.decided_day
),

-- submitted by the period's last day and not decided by then
pending_counts as (
    select
        periods.period,
        'complaints_pending_at_period_end' as metric,
        'total' as breakdown,
        'all' as breakdown_value,
        cast(sum(complaint_days.complaints) as bigint) as events
    from complaint_days
    inner join periods
        on complaint_days.submitted_day <= periods.period_end
    where complaint_days.decided_day is null or complaint_days.decided_day > periods.period_end
    group by periods.period
),

counts as (
    select * from fact_counts
    union all
    select * from pending_counts
),

count_metrics as (
    {% for metric in count_metrics -%}
    select '{{ metric }}' as metric
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

count_rows as (
    select
        periods.period,
        count_metrics.metric,
        'total' as breakdown,
        'all' as breakdown_value,
        'count' as unit,
        cast(coalesce(counts.events, 0) as double) as value,
        cast(null as bigint) as numerator,
        cast(null as bigint) as denominator,
        cast(null as double) as ci_low,
        cast(null as double) as ci_high
    from periods
    cross join count_metrics
    left join counts
        on
            periods.period = counts.period
            and count_metrics.metric = counts.metric
            and counts.breakdown = 'total'
    union all
    select
        counts.period,
        counts.metric,
        counts.breakdown,
        coalesce(counts.breakdown_value, 'UNKNOWN') as breakdown_value,
        'count' as unit,
        cast(counts.events as double) as value,
        cast(null as bigint) as numerator,
        cast(null as bigint) as denominator,
        cast(null as double) as ci_low,
        cast(null as double) as ci_high
    from counts
    where counts.breakdown != 'total'
),

decision_times as (
    select
        day_periods.period,
        {{ percentile_continuous('complaints.hours_to_decision', 0.5) }} as median_hours
    from complaints
    inner join day_periods
        on complaints.decided_day = day_periods.day
    group by day_periods.period
),

median_rows as (
    select
        periods.period,
        'median_days_to_decide_complaint' as metric,
        'total' as breakdown,
        'all' as breakdown_value,
        'days' as unit,
        cast(decision_times.median_hours as double) / 24.0 as value,
        cast(null as bigint) as numerator,
        cast(null as bigint) as denominator,
        cast(null as double) as ci_low,
        cast(null as double) as ci_high
    from periods
    left join decision_times
        on periods.period = decision_times.period
),

-- the share's numerator and denominator are the totals of the two automated
-- count metrics (count_rows has a total for every period, zero included)
automated_counts as (
    select
        count_rows.period,
        cast(sum(case when count_rows.metric = 'automated_decisions' then count_rows.value end) as bigint)
            as decisions,
        cast(sum(case when count_rows.metric = 'automated_decisions_reversed' then count_rows.value end) as bigint)
            as reversed
    from count_rows
    where
        count_rows.breakdown = 'total'
        and count_rows.metric in ('automated_decisions', 'automated_decisions_reversed')
    group by count_rows.period
),

share_rows as (
    select
        automated_counts.period,
        'automated_decision_reversal_rate' as metric,
        'total' as breakdown,
        'all' as breakdown_value,
        'share' as unit,
        cast({{ safe_divide('automated_counts.reversed', 'automated_counts.decisions') }} as double) as value,
        cast(automated_counts.reversed as bigint) as numerator,
        cast(automated_counts.decisions as bigint) as denominator,
        cast({{ wilson_low('automated_counts.reversed', 'nullif(automated_counts.decisions, 0)') }} as double)
            as ci_low,
        cast({{ wilson_high('automated_counts.reversed', 'nullif(automated_counts.decisions, 0)') }} as double)
            as ci_high
    from automated_counts
),

report_rows as (
    select * from count_rows
    union all
    select * from median_rows
    union all
    select * from share_rows
),

final as (
    select
        periods.period_type,
        periods.period,
        periods.period_start,
        periods.period_end,
        periods.period_end <= run_as_of.as_of_day as is_complete,
        {{ dbt.datediff('periods.period_end', 'run_as_of.as_of_day', 'day') }} >= 30 as is_mature,
        report_rows.metric,
        report_rows.breakdown,
        report_rows.breakdown_value,
        report_rows.unit,
        report_rows.value,
        report_rows.numerator,
        report_rows.denominator,
        report_rows.ci_low,
        report_rows.ci_high
    from report_rows
    inner join periods
        on report_rows.period = periods.period
    cross join run_as_of
)

select * from final
