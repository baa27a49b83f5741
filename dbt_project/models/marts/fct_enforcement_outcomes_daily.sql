-- Enforcement outcomes per cohort day (UTC date of the action's created_at)
-- x policy x action_type x detection_source x decided_by, exactly as
-- docs/metrics.md "Enforcement outcomes" defines them. Current state
-- of each action; is_mature depends on the run's as-of day.

with

enforcement_actions as (
    select * from {{ ref('stg_marketplace__enforcement_actions') }}
),

appeals as (
    select * from {{ ref('stg_marketplace__appeals') }}
),

qa_reviews as (
    select * from {{ ref('stg_support__qa_reviews') }}
),

run_as_of as (
    select * from {{ ref('int_run_as_of') }}
),

-- actions with at least one appeal (any level, pending or decided)
appealed_actions as (
    select distinct action_id
    from appeals
    where action_id is not null
),

-- audit candidates: non-calibration enforcement reviews with a verdict on
-- the policy (a null sampling_method is not calibration)
enforcement_reviews as (
    select
        review_id,
        case_id as action_id,
        reviewed_at,
        updated_at,
        policy_applied_correctly,
        row_number() over (
            partition by case_id
            order by
                reviewed_at desc nulls last,
                updated_at desc nulls last,
                review_id desc
        ) as recency_rank
    from qa_reviews
    where
        case_type = 'enforcement'
        and coalesce(sampling_method, '') != 'calibration'
        and policy_applied_correctly is not null
        and case_id is not null
),

-- each action's latest such review
latest_audits as (
    select
        action_id,
        policy_applied_correctly
    from enforcement_reviews
    where recency_rank = 1
),

actions_flagged as (
    select
        cast(enforcement_actions.created_at as date) as day,
        enforcement_actions.policy,
        enforcement_actions.action_type,
        enforcement_actions.detection_source,
        enforcement_actions.decided_by,
        enforcement_actions.reversed_at is not null as is_reversed,
        (
            enforcement_actions.reversed_at is not null
            and enforcement_actions.reversal_reason = 'appeal_overturned'
        ) as is_reversed_by_appeal,
        (
            enforcement_actions.reversed_at is not null
            and enforcement_actions.reversal_reason = 'qa_correction'
        ) as is_reversed_by_qa,
        appealed_actions.action_id is not null as is_appealed,
        coalesce(enforcement_actions.detection_source in ('automated', 'proactive_agent'), false) as is_proactive,
        latest_audits.action_id is not null as is_audited,
        coalesce(latest_audits.policy_applied_correctly = false, false) as is_audited_wrong
    from enforcement_actions
    left join appealed_actions
        on enforcement_actions.action_id = appealed_actions.action_id
    left join latest_audits
        on enforcement_actions.action_id = latest_audits.action_id
),

daily as (
    select
        day,
        policy,
        action_type,
        detection_source,
        decided_by,
        count(*) as actions,
        count(case when is_reversed then 1 end) as reversed,
        count(case when is_reversed_by_appeal then 1 end) as reversed_by_appeal,
        count(case when is_reversed_by_qa then 1 end) as reversed_by_qa,
        count(case when is_appealed then 1 end) as appealed,
        count(case when is_proactive then 1 end) as proactive,
        count(case when is_audited then 1 end) as audited,
        count(case when is_audited_wrong then 1 end) as audited_wrong
    from actions_flagged
    group by
        day,
        policy,
        action_type,
        detection_source,
        decided_by
),

final as (
    select
        daily.day,
        daily.policy,
        daily.action_type,
        daily.detection_source,
        daily.decided_by,
        daily.actions,
        daily.reversed,
        daily.reversed_by_appeal,
        daily.reversed_by_qa,
        {{ safe_divide('daily.reversed', 'daily.actions') }} as wrongful_enforcement_rate,
        daily.appealed,
        {{ safe_divide('daily.appealed', 'daily.actions') }} as appeal_rate,
        daily.proactive,
        {{ safe_divide('daily.proactive', 'daily.actions') }} as proactive_rate,
        coalesce({{ dbt.datediff('daily.day', 'run_as_of.as_of_day', 'day') }} >= 30, false) as is_mature,
        daily.audited,
        daily.audited_wrong,
        {{ safe_divide('daily.audited_wrong', 'daily.audited') }} as audited_error_rate,
        -- trials as nullif(audited, 0): with no audit every term is null, and
        -- no engine evaluates a division by zero (Snowflake would raise)
        {{ wilson_low('daily.audited_wrong', 'nullif(daily.audited, 0)') }} as audited_error_rate_ci_low,
        {{ wilson_high('daily.audited_wrong', 'nullif(daily.audited, 0)') }} as audited_error_rate_ci_high
    from daily
    cross join run_as_of
)

select * from final
