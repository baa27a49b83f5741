-- First-reply SLA per day (UTC date of the ticket's created_at) x queue x
-- priority, exactly as docs/metrics.md "Ticket SLA" defines it.
-- sla_due and first_reply_sla_attainment depend on the run's as-of time.

with

-- one row per current ticket, classified by the SLA rule
tickets_classified as (
    select * from {{ ref('int_ticket_first_reply_sla') }}
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
