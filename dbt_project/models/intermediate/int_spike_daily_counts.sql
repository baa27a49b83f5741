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

-- (stream, key column, timestamp column, CTE, filter); calibration reviews
-- are excluded from critical errors (a null sampling_method is kept), as in
-- fct_qa_scores_daily
{%- set streams = [
    ('tickets_by_category', 'category', 'created_at', 'tickets', none),
    ('tickets_by_queue', 'queue', 'created_at', 'tickets', none),
    ('tickets_by_tag', 'tag', 'created_at', 'ticket_tags', none),
    ('reports_by_reason', 'reason', 'created_at', 'reports', none),
    ('disputes_by_kind', 'kind', 'opened_at', 'disputes', none),
    ('enforcement_actions_by_policy', 'policy', 'created_at', 'enforcement_actions', none),
    ('critical_errors_by_agent', 'agent_id', 'reviewed_at', 'qa_reviews',
        "critical_error and (sampling_method is null or sampling_method != 'calibration')"),
] %}

events as (
    {%- for stream, key_column, at_column, source, filter in streams %}
    select
        '{{ stream }}' as stream,
        cast({{ key_column }} as varchar) as key,
        cast({{ at_column }} as date) as day
    from {{ source }}
    {%- if filter %}
    where {{ filter }}
    {%- endif %}
    {%- if not loop.last %}

    union all
    {% endif %}
    {%- endfor %}
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
