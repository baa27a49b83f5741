-- CSAT per day (UTC date of the rating's created_at) x agent_id x queue x
-- category, exactly as docs/metrics.md "CSAT" defines it. Agent,
-- queue and category are the ticket's as of the rating's created_at.

with

satisfaction_ratings as (
    select * from {{ ref('stg_support__satisfaction_ratings') }}
),

tickets_history as (
    select * from {{ ref('int_tickets_history') }}
),

-- current version of each rating, with a score only
scored_ratings as (
    select
        rating_id,
        ticket_id,
        score,
        created_at,
        updated_at
    from satisfaction_ratings
    where score is not null
),

-- one rating per ticket: the latest created_at, ties to the greater
-- updated_at, then the greater rating_id. A rating without a ticket_id is
-- not one of a ticket's several ratings: it counts on its own.
ranked_ratings as (
    select
        rating_id,
        ticket_id,
        score,
        created_at,
        row_number() over (
            partition by
                ticket_id,
                case when ticket_id is null then rating_id end
            order by
                created_at desc nulls last,
                updated_at desc nulls last,
                rating_id desc
        ) as rating_rank
    from scored_ratings
),

counted_ratings as (
    select
        rating_id,
        ticket_id,
        score,
        created_at
    from ranked_ratings
    where rating_rank = 1
),

-- ticket versions that are valid at some instant (a version that lost an
-- updated_at tie has valid_to = valid_from and is never valid)
valid_ticket_versions as (
    select
        ticket_id,
        version_number,
        valid_from,
        valid_to,
        assignee_agent_id,
        queue,
        category
    from tickets_history
    where valid_to is null or valid_to > valid_from
),

-- the ticket version valid at the rating's created_at
-- (valid_from <= created_at < valid_to); failing that, the ticket's earliest
-- valid version (the ticket was first exported after the rating). Left join:
-- a rating of an unknown ticket keeps null attributes.
rating_ticket_candidates as (
    select
        counted_ratings.rating_id,
        counted_ratings.score,
        counted_ratings.created_at,
        valid_ticket_versions.assignee_agent_id,
        valid_ticket_versions.queue,
        valid_ticket_versions.category,
        row_number() over (
            partition by counted_ratings.rating_id
            order by
                case
                    when
                        valid_ticket_versions.valid_from <= counted_ratings.created_at
                        and (
                            valid_ticket_versions.valid_to is null
                            or counted_ratings.created_at < valid_ticket_versions.valid_to
                        )
                        then 0
                    else 1
                end,
                valid_ticket_versions.version_number
        ) as candidate_rank
    from counted_ratings
    left join valid_ticket_versions
        on counted_ratings.ticket_id = valid_ticket_versions.ticket_id
),

attributed_ratings as (
    select
        cast(created_at as date) as day,
        assignee_agent_id as agent_id,
        queue,
        category,
        score
    from rating_ticket_candidates
    where candidate_rank = 1
),

daily as (
    select
        day,
        agent_id,
        queue,
        category,
        count(*) as ratings,
        count(case when score >= 4 then 1 end) as positive_ratings,
        avg(cast(score as double)) as csat_mean
    from attributed_ratings
    group by
        day,
        agent_id,
        queue,
        category
),

final as (
    select
        day,
        agent_id,
        queue,
        category,
        ratings,
        positive_ratings,
        {{ safe_divide('positive_ratings', 'ratings') }} as csat_pct,
        cast(csat_mean as double) as csat_mean
    from daily
)

select * from final
