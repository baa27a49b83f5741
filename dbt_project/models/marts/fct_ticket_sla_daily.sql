-- First-reply SLA per day (UTC date of the ticket's created_at) x queue x
-- priority, exactly as docs/metrics.md "Ticket SLA" defines it.
-- sla_due and first_reply_sla_attainment depend on the run's as-of time.

with

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

ticket_sla_targets as (
    select * from {{ ref('ticket_sla_targets') }}
),

run_as_of as (
    select * from {{ ref('int_run_as_of') }}
),

-- current state of each ticket, its priority's target (none for a null
-- priority) and the fractional hours to first reply / to the as-of time
tickets_timed as (
    select
        tickets.ticket_id,
        cast(tickets.created_at as date) as day,
        tickets.queue,
        tickets.priority,
        tickets.first_reply_at is not null as is_replied,
        ticket_sla_targets.target_hours,
        {{ hours_between('tickets.created_at', 'tickets.first_reply_at') }} as hours_to_first_reply,
        {{ hours_between('tickets.created_at', 'run_as_of.as_of_time') }} as hours_open_at_as_of
    from tickets
    left join ticket_sla_targets
        on tickets.priority = ticket_sla_targets.priority
    cross join run_as_of
),

-- within SLA: replied no later than the target (inclusive). Due: replied with
-- a target, or unreplied with a deadline (created_at + target) strictly
-- before the as-of time.
tickets_classified as (
    select
        day,
        queue,
        priority,
        is_replied,
        hours_to_first_reply,
        is_replied
        and target_hours is not null
        and hours_to_first_reply <= target_hours as is_replied_within_sla,
        target_hours is not null
        and (is_replied or hours_open_at_as_of > target_hours) as is_sla_due
    from tickets_timed
),

daily as (
    select
        day,
        queue,
        priority,
        count(*) as tickets,
        count(case when is_replied then 1 end) as replied,
        count(case when is_replied_within_sla then 1 end) as replied_within_sla,
        count(case when is_sla_due then 1 end) as sla_due,
        {{ percentile_continuous('case when is_replied then hours_to_first_reply * 60 end', 0.5) }}
            as median_first_reply_minutes
    from tickets_classified
    group by
        day,
        queue,
        priority
),

final as (
    select
        day,
        queue,
        priority,
        tickets,
        replied,
        replied_within_sla,
        sla_due,
        {{ safe_divide('replied_within_sla', 'sla_due') }} as first_reply_sla_attainment,
        cast(median_first_reply_minutes as double) as median_first_reply_minutes
    from daily
)

select * from final
