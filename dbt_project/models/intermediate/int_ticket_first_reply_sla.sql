-- One row per current ticket with its first-reply SLA classification
-- (docs/metrics.md "Ticket SLA"), the one rule that fct_ticket_sla_daily and
-- the weekly shift units (int_shift_units) both count. Depends on the run's
-- as-of time: an unreplied ticket becomes due when its deadline passes.

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
        tickets.assignee_agent_id as agent_id,
        tickets.queue,
        tickets.category,
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
final as (
    select
        ticket_id,
        day,
        agent_id,
        queue,
        category,
        priority,
        target_hours,
        is_replied,
        hours_to_first_reply,
        coalesce(
            is_replied
            and target_hours is not null
            and hours_to_first_reply <= target_hours,
            false
        ) as is_replied_within_sla,
        coalesce(
            target_hours is not null
            and (is_replied or hours_open_at_as_of > target_hours),
            false
        ) as is_sla_due
    from tickets_timed
)

select * from final
