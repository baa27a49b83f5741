-- CSAT response rate per day (UTC date of the ticket's solved_at) x queue x
-- priority, exactly as docs/metrics.md "Response rate" defines it.

with

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

satisfaction_ratings as (
    select * from {{ ref('stg_support__satisfaction_ratings') }}
),

-- current state of each solved ticket
solved_tickets as (
    select
        ticket_id,
        cast(solved_at as date) as day,
        queue,
        priority
    from tickets
    where solved_at is not null
),

-- tickets with at least one rating (current version) that has a score
rated_ticket_ids as (
    select distinct ticket_id
    from satisfaction_ratings
    where
        score is not null
        and ticket_id is not null
),

solved_tickets_rated as (
    select
        solved_tickets.day,
        solved_tickets.queue,
        solved_tickets.priority,
        rated_ticket_ids.ticket_id is not null as is_rated
    from solved_tickets
    left join rated_ticket_ids
        on solved_tickets.ticket_id = rated_ticket_ids.ticket_id
),

daily as (
    select
        day,
        queue,
        priority,
        count(*) as solved_tickets,
        count(case when is_rated then 1 end) as rated_tickets
    from solved_tickets_rated
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
        solved_tickets,
        rated_tickets,
        {{ safe_divide('rated_tickets', 'solved_tickets') }} as response_rate
    from daily
)

select * from final
