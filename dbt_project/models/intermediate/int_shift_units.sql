-- The units of the weekly quality-shift metrics, per complete ISO week
-- (docs/metrics.md "Quality shifts and their drivers"): one row per metric x
-- week_start x every dimension a shift is sliced or decomposed by, with the
-- number of units, the sum of their values and the sum of their squares.
-- A unit is what the metric's daily mart counts, exactly as it counts it:
--
-- * qa_score: a non-calibration review with a score (value: qa_score, the
--   auto-fail score of fct_qa_scores_daily's iqs); policy_adherence_rate: a
--   non-calibration review with policy_applied_correctly not null (value 1
--   when true); critical_error_rate: a non-calibration review (value 1 when
--   critical_error is true). From fct_qa_reviews; team as of reviewed_at.
-- * csat_pct: a counted rating (fct_csat_daily: ratings, positive_ratings).
-- * first_reply_sla_attainment: an SLA-due ticket (value 1 when replied
--   within its target), int_ticket_first_reply_sla (fct_ticket_sla_daily's rule).
-- * appeal_overturn_rate: a decided appeal (value 1 when overturned or
--   partially overturned), fct_appeal_outcomes_daily's rule.
-- * wrongful_enforcement_rate: an action of the cohort (value 1 when
--   reversed), fct_enforcement_outcomes_daily's rule.
--
-- The week is the ISO week (Monday, UTC) of the day the daily mart counts the
-- unit on. Only complete weeks: the week's Sunday is on or before the run's
-- as-of day (int_run_as_of); for wrongful_enforcement_rate the whole cohort
-- week must also be mature, its Sunday at least 30 days before the as-of day
-- (fct_enforcement_outcomes_daily.is_mature). The agent of a non-QA unit
-- (rating's and ticket's assignee, appeal's assigned agent, action's agent)
-- gets the team of the agent version valid at the end of the unit's day,
-- else the agent's earliest valid version (unknown agent: null team).
--
-- policy is a column name of the daily marts; sqlfluff takes it for a keyword.
-- noqa: disable=RF04

with

qa_reviews as (
    select * from {{ ref('fct_qa_reviews') }}
),

csat_daily as (
    select * from {{ ref('fct_csat_daily') }}
),

ticket_first_reply_sla as (
    select * from {{ ref('int_ticket_first_reply_sla') }}
),

appeals as (
    select * from {{ ref('stg_marketplace__appeals') }}
),

enforcement_actions as (
    select * from {{ ref('stg_marketplace__enforcement_actions') }}
),

agents_history as (
    select * from {{ ref('int_agents_history') }}
),

run_as_of as (
    select * from {{ ref('int_run_as_of') }}
),

-- fct_qa_scores_daily's reviews: calibration reviews excluded
audit_reviews as (
    select
        review_day as day,
        agent_id,
        agent_team as team,
        queue,
        category,
        case_type,
        policy,
        qa_score,
        policy_applied_correctly,
        coalesce(critical_error, false) as has_critical_error
    from qa_reviews
    where not is_calibration
),

qa_units as (
    select
        'qa_score' as metric,
        day,
        agent_id,
        team,
        queue,
        category,
        case_type,
        policy,
        cast(qa_score as double) as unit_value
    from audit_reviews
    where qa_score is not null

    union all

    select
        'policy_adherence_rate' as metric,
        day,
        agent_id,
        team,
        queue,
        category,
        case_type,
        policy,
        cast(case when policy_applied_correctly then 1 else 0 end as double) as unit_value
    from audit_reviews
    where policy_applied_correctly is not null

    union all

    select
        'critical_error_rate' as metric,
        day,
        agent_id,
        team,
        queue,
        category,
        case_type,
        policy,
        cast(case when has_critical_error then 1 else 0 end as double) as unit_value
    from audit_reviews
),

qa_cells as (
    select
        metric,
        day,
        agent_id,
        team,
        queue,
        category,
        case_type,
        policy,
        cast(null as varchar) as priority,
        cast(null as varchar) as review_level,
        cast(null as varchar) as detection_source,
        cast(count(*) as bigint) as units,
        sum(unit_value) as value_sum,
        sum(unit_value * unit_value) as value_sq_sum
    from qa_units
    group by
        metric,
        day,
        agent_id,
        team,
        queue,
        category,
        case_type,
        policy
),

-- fct_ticket_sla_daily's SLA-due tickets (int_ticket_first_reply_sla)
sla_units as (
    select
        day,
        agent_id,
        queue,
        category,
        priority,
        cast(case when is_replied_within_sla then 1 else 0 end as double) as unit_value
    from ticket_first_reply_sla
    where is_sla_due
),

-- fct_appeal_outcomes_daily's decided appeals, with the appealed action's
-- current policy (null when the action is unknown)
appeal_units as (
    select
        cast(appeals.decided_at as date) as day,
        appeals.assigned_agent_id as agent_id,
        enforcement_actions.policy,
        cast(appeals.review_level as varchar) as review_level,
        cast(
            case when appeals.outcome in ('overturned', 'partially_overturned') then 1 else 0 end as double
        ) as unit_value
    from appeals
    left join enforcement_actions
        on appeals.action_id = enforcement_actions.action_id
    where
        appeals.decided_at is not null
        and appeals.outcome is not null
),

-- the units whose agent's team is looked up below
other_cells as (
    select
        'csat_pct' as metric,
        day,
        agent_id,
        queue,
        category,
        cast(null as varchar) as policy,
        cast(null as varchar) as priority,
        cast(null as varchar) as review_level,
        cast(null as varchar) as detection_source,
        cast(ratings as bigint) as units,
        cast(positive_ratings as double) as value_sum,
        cast(positive_ratings as double) as value_sq_sum
    from csat_daily

    union all

    select
        'first_reply_sla_attainment' as metric,
        day,
        agent_id,
        queue,
        category,
        cast(null as varchar) as policy,
        priority,
        cast(null as varchar) as review_level,
        cast(null as varchar) as detection_source,
        cast(count(*) as bigint) as units,
        sum(unit_value) as value_sum,
        sum(unit_value) as value_sq_sum
    from sla_units
    group by
        day,
        agent_id,
        queue,
        category,
        priority

    union all

    select
        'appeal_overturn_rate' as metric,
        day,
        agent_id,
        cast(null as varchar) as queue,
        cast(null as varchar) as category,
        policy,
        cast(null as varchar) as priority,
        review_level,
        cast(null as varchar) as detection_source,
        cast(count(*) as bigint) as units,
        sum(unit_value) as value_sum,
        sum(unit_value) as value_sq_sum
    from appeal_units
    group by
        day,
        agent_id,
        policy,
        review_level

    union all

    -- fct_enforcement_outcomes_daily: every action of the cohort, reversed
    -- for any reason
    select
        'wrongful_enforcement_rate' as metric,
        cast(created_at as date) as day,
        agent_id,
        cast(null as varchar) as queue,
        cast(null as varchar) as category,
        policy,
        cast(null as varchar) as priority,
        cast(null as varchar) as review_level,
        detection_source,
        cast(count(*) as bigint) as units,
        sum(cast(case when reversed_at is not null then 1 else 0 end as double)) as value_sum,
        sum(cast(case when reversed_at is not null then 1 else 0 end as double)) as value_sq_sum
    from enforcement_actions
    group by
        cast(created_at as date),
        agent_id,
        policy,
        detection_source
),

-- agent versions that are valid at some instant
valid_agent_versions as (
    select
        agent_id,
        version_number,
        valid_from,
        valid_to,
        team
    from agents_history
    where valid_to is null or valid_to > valid_from
),

agent_days as (
    select distinct
        agent_id,
        day
    from other_cells
    where
        agent_id is not null
        and day is not null
),

-- the version valid at the end of the day, else the earliest valid version
agent_day_candidates as (
    select
        agent_days.agent_id,
        agent_days.day,
        valid_agent_versions.team,
        row_number() over (
            partition by agent_days.agent_id, agent_days.day
            order by
                case
                    when
                        valid_agent_versions.valid_from <= {{ end_of_day('agent_days.day') }}
                        and (
                            valid_agent_versions.valid_to is null
                            or {{ end_of_day('agent_days.day') }} < valid_agent_versions.valid_to
                        )
                        then 0
                    else 1
                end,
                valid_agent_versions.version_number
        ) as candidate_rank
    from agent_days
    inner join valid_agent_versions
        on agent_days.agent_id = valid_agent_versions.agent_id
),

agent_day_teams as (
    select
        agent_id,
        day,
        team
    from agent_day_candidates
    where candidate_rank = 1
),

all_cells as (
    select
        metric,
        day,
        agent_id,
        team,
        queue,
        category,
        case_type,
        policy,
        priority,
        review_level,
        detection_source,
        units,
        value_sum,
        value_sq_sum
    from qa_cells

    union all

    select
        other_cells.metric,
        other_cells.day,
        other_cells.agent_id,
        agent_day_teams.team,
        other_cells.queue,
        other_cells.category,
        cast(null as varchar) as case_type,
        other_cells.policy,
        other_cells.priority,
        other_cells.review_level,
        other_cells.detection_source,
        other_cells.units,
        other_cells.value_sum,
        other_cells.value_sq_sum
    from other_cells
    left join agent_day_teams
        on
            other_cells.agent_id = agent_day_teams.agent_id
            and other_cells.day = agent_day_teams.day
),

weekly as (
    select
        metric,
        {{ iso_week_start('day') }} as week_start,
        agent_id,
        team,
        queue,
        category,
        case_type,
        policy,
        priority,
        review_level,
        detection_source,
        cast(sum(units) as bigint) as units,
        sum(value_sum) as value_sum,
        sum(value_sq_sum) as value_sq_sum
    from all_cells
    where day is not null
    group by
        metric,
        {{ iso_week_start('day') }},
        agent_id,
        team,
        queue,
        category,
        case_type,
        policy,
        priority,
        review_level,
        detection_source
),

-- complete weeks only: the Sunday (week_start + 6) on or before the as-of
-- day; a mature enforcement cohort needs 30 more days
final as (
    select
        weekly.metric,
        weekly.week_start,
        weekly.agent_id,
        weekly.team,
        weekly.queue,
        weekly.category,
        weekly.case_type,
        weekly.policy,
        weekly.priority,
        weekly.review_level,
        weekly.detection_source,
        weekly.units,
        weekly.value_sum,
        weekly.value_sq_sum
    from weekly
    cross join run_as_of
    where
        {{ dbt.datediff('weekly.week_start', 'run_as_of.as_of_day', 'day') }}
        >= case when weekly.metric = 'wrongful_enforcement_rate' then 36 else 6 end
)

select * from final
