-- Appeal outcomes per day (UTC date of decided_at) x review_level x policy,
-- exactly as docs/metrics.md "Appeal outcomes" defines them.

with

appeals as (
    select * from {{ ref('stg_marketplace__appeals') }}
),

enforcement_actions as (
    select * from {{ ref('stg_marketplace__enforcement_actions') }}
),

appeal_sla_targets as (
    select * from {{ ref('appeal_sla_targets') }}
),

-- current state of each appeal; decided ones only
decided_appeals as (
    select
        appeal_id,
        action_id,
        review_level,
        submitted_at,
        decided_at,
        outcome
    from appeals
    where
        decided_at is not null
        and outcome is not null
),

-- policy = the appealed action's current policy; null when the action is
-- unknown (left join: nothing is dropped)
appeals_with_policy as (
    select
        decided_appeals.appeal_id,
        decided_appeals.review_level,
        decided_appeals.submitted_at,
        decided_appeals.decided_at,
        decided_appeals.outcome,
        enforcement_actions.policy
    from decided_appeals
    left join enforcement_actions
        on decided_appeals.action_id = enforcement_actions.action_id
),

-- fractional hours to decision and the level's SLA target
appeals_timed as (
    select
        appeals_with_policy.appeal_id,
        cast(appeals_with_policy.decided_at as date) as day,
        appeals_with_policy.review_level,
        appeals_with_policy.policy,
        appeals_with_policy.outcome,
        {{ hours_between('appeals_with_policy.submitted_at', 'appeals_with_policy.decided_at') }}
            as hours_to_decision,
        appeal_sla_targets.target_hours
    from appeals_with_policy
    left join appeal_sla_targets
        on appeals_with_policy.review_level = appeal_sla_targets.review_level
),

daily as (
    select
        day,
        review_level,
        policy,
        count(*) as decided,
        count(case when outcome = 'upheld' then 1 end) as upheld,
        count(case when outcome = 'overturned' then 1 end) as overturned,
        count(case when outcome = 'partially_overturned' then 1 end) as partially_overturned,
        {{ percentile_continuous('hours_to_decision', 0.5) }} as median_hours_to_decision,
        {{ percentile_continuous('hours_to_decision', 0.9) }} as p90_hours_to_decision,
        count(case when hours_to_decision <= target_hours then 1 end) as within_sla
    from appeals_timed
    group by
        day,
        review_level,
        policy
),

final as (
    select
        day,
        review_level,
        policy,
        decided,
        upheld,
        overturned,
        partially_overturned,
        {{ safe_divide('overturned + partially_overturned', 'decided') }} as appeal_overturn_rate,
        {{ safe_divide('overturned', 'decided') }} as full_overturn_rate,
        cast(median_hours_to_decision as double) as median_hours_to_decision,
        cast(p90_hours_to_decision as double) as p90_hours_to_decision,
        within_sla,
        {{ safe_divide('within_sla', 'decided') }} as sla_attainment
    from daily
)

select * from final
