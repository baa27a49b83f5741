-- Events per UTC day x stream x key, the input of fct_volume_spikes_daily
-- (docs/metrics.md "Volume spikes"). The current state of each record
-- (staging), so a record that changes moves to its new day or key. Seven
-- streams:
--   tickets_by_category, tickets_by_queue   tickets, day of created_at
--   tickets_by_tag                          tickets carrying the tag (each
--                                           distinct non-null tag once), day of created_at
--   reports_by_reason                       reports, day of created_at
--   disputes_by_kind                        disputes, day of opened_at
--   enforcement_actions_by_policy           actions (reversed or not), day of created_at
--   critical_errors_by_agent                QA reviews with critical_error true by the
--                                           reviewed agent, calibration reviews excluded,
--                                           day of reviewed_at
-- A null key is a group of its own; an event with a null timestamp has no
-- day and is not counted (a series has no place for it).
--
-- The grain columns are named stream and key (the issue's contract); both are
-- SQL keywords to sqlfluff, but neither is reserved in DuckDB or Snowflake.
-- noqa: disable=RF04

with

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

reports as (
    select * from {{ ref('stg_marketplace__reports') }}
),

disputes as (
    select * from {{ ref('stg_marketplace__disputes') }}
),

enforcement_actions as (
    select * from {{ ref('stg_marketplace__enforcement_actions') }}
),

qa_reviews as (
    select * from {{ ref('stg_support__qa_reviews') }}
),

-- one row per (ticket, distinct tag); the list is unnested per dialect
-- (DuckDB unnest, Snowflake lateral flatten); null elements are no tag
ticket_tags as (
    select distinct
        tagged.ticket_id,
        tagged.created_at,
        tagged.tag
    from (
        {% if target.type == 'snowflake' %}
        select
            tickets.ticket_id,
            tickets.created_at,
            cast(tag_elements.value as varchar) as tag
        from tickets,
            lateral flatten(input => tickets.tags) as tag_elements
        {% else %}
        select
            ticket_id,
            created_at,
            unnest(tags) as tag
        from tickets
        {% endif %}
    ) as tagged
    where tagged.tag is not null
),

events as (
    select
        'tickets_by_category' as stream,
        cast(category as varchar) as key,
        cast(created_at as date) as day
    from tickets

    union all

    select
        'tickets_by_queue' as stream,
        cast(queue as varchar) as key,
        cast(created_at as date) as day
    from tickets

    union all

    select
        'tickets_by_tag' as stream,
        cast(tag as varchar) as key,
        cast(created_at as date) as day
    from ticket_tags

    union all

    select
        'reports_by_reason' as stream,
        cast(reason as varchar) as key,
        cast(created_at as date) as day
    from reports

    union all

    select
        'disputes_by_kind' as stream,
        cast(kind as varchar) as key,
        cast(opened_at as date) as day
    from disputes

    union all

    select
        'enforcement_actions_by_policy' as stream,
        cast(policy as varchar) as key,
        cast(created_at as date) as day
    from enforcement_actions

    union all

    -- calibration reviews excluded (a null sampling_method is kept), as in fct_qa_scores_daily
    select
        'critical_errors_by_agent' as stream,
        cast(agent_id as varchar) as key,
        cast(reviewed_at as date) as day
    from qa_reviews
    where
        critical_error
        and (sampling_method is null or sampling_method != 'calibration')
),

final as (
    select
        day,
        stream,
        key,
        count(*) as events
    from events
    where day is not null
    group by
        day,
        stream,
        key
)

select * from final
