-- Appeal backlog at the end of each calendar day x review_level, exactly as
-- docs/metrics.md "Appeal backlog" defines it: every day from the
-- first export day to the as-of day, levels 1 and 2, zeros included. Built
-- from the current state of each appeal, by its business timestamps.

with

appeals as (
    select * from {{ ref('stg_marketplace__appeals') }}
),

appeal_sla_targets as (
    select * from {{ ref('appeal_sla_targets') }}
),

-- every day from the first export day to the as-of day (the project's calendar)
calendar as (
    select day from {{ ref('dim_date') }}
),

-- levels 1 and 2 (the seed) plus any other level an appeal carries (a null
-- level is its own group), so no pending appeal is dropped
review_levels as (
    select review_level from appeal_sla_targets
    union
    select distinct review_level from appeals
),

calendar_levels as (
    select
        calendar.day,
        {{ end_of_day('calendar.day') }} as end_of_day,
        review_levels.review_level,
        appeal_sla_targets.target_hours
    from calendar
    cross join review_levels
    left join appeal_sla_targets
        on review_levels.review_level = appeal_sla_targets.review_level
),

-- one row per day x appeal pending at the end of that day; null levels
-- match their own group
pending_appeals as (
    select
        calendar_levels.day,
        calendar_levels.review_level,
        {{ hours_between('appeals.submitted_at', 'calendar_levels.end_of_day') }} > calendar_levels.target_hours
            as is_past_sla
    from calendar_levels
    inner join appeals
        on (
            calendar_levels.review_level = appeals.review_level
            or (calendar_levels.review_level is null and appeals.review_level is null)
        )
        and calendar_levels.end_of_day >= appeals.submitted_at
        and (appeals.decided_at is null or calendar_levels.end_of_day < appeals.decided_at)
),

pending_daily as (
    select
        day,
        review_level,
        count(*) as backlog,
        count(case when is_past_sla then 1 end) as backlog_past_sla
    from pending_appeals
    group by
        day,
        review_level
),

final as (
    select
        calendar_levels.day,
        calendar_levels.review_level,
        coalesce(pending_daily.backlog, 0) as backlog,
        coalesce(pending_daily.backlog_past_sla, 0) as backlog_past_sla
    from calendar_levels
    left join pending_daily
        on
            calendar_levels.day = pending_daily.day
            and (
                calendar_levels.review_level = pending_daily.review_level
                or (calendar_levels.review_level is null and pending_daily.review_level is null)
            )
)

select * from final
