-- Every case a QA reviewer can review, one row per (case_type, case_id), with
-- its queue, category and policy (docs/metrics.md "QA reviews
-- (fct_qa_reviews)") and when it was closed or decided (docs/metrics.md
-- "QA sampling plan"). Current state of every record.
--
-- * ticket (case_id = ticket_id as text): the ticket's queue and category;
--   policy = the policy of its related_action_id; closed at solved_at.
-- * enforcement (case_id = action_id): queue 'enforcement', the action's
--   policy; decided at created_at.
-- * appeal (case_id = appeal_id): queue 'appeals', the appealed action's
--   policy; decided at decided_at.
-- An enforcement or appeal case's category is that of the acted-on user
-- (the action's user_id): their latest show as seller started at or before
-- the action's created_at, else their latest order as buyer or seller
-- placed at or before it, else 'other'. Shows and orders with a null
-- category are skipped. An appeal of an unknown action has a null category
-- and policy.
--
-- Incremental (delete+insert on (case_type, case_id)): a run recomputes
-- only the cases whose inputs changed since the last build, that is whose
-- inputs have a row loaded after the table's watermark
-- (`_inputs_loaded_at`, the latest load time of the inputs when a build
-- ran):
-- * a ticket loaded since, or whose related action was (its policy);
-- * an action loaded since, or whose acted-on user has a show or order
--   loaded since (the seller or buyer of any version: a show that changed
--   hands changes the category of both users' actions) that happened, in
--   any of its versions, at or before the action (an event after every
--   action of its user, such as the new day's orders, changes none);
-- * an appeal loaded since, or whose action is recomputed.
-- A recomputed case reads the current state of all its inputs, so the rows
-- equal a full rebuild (tests/test_qa_cases_incremental.py);
-- `dbt build --full-refresh` rebuilds every case. A table built before the
-- watermark existed (by an earlier trustqa, when this model was a table)
-- gets the column (on_schema_change append_new_columns) and every case is
-- recomputed once.

-- depends_on: {{ ref('int_shows_history') }}
-- depends_on: {{ ref('int_orders_history') }}
{{ config(
    materialized='incremental',
    tags=['daily_partitioned'],
    incremental_strategy='delete+insert',
    unique_key=['case_type', 'case_id'],
    on_schema_change='append_new_columns',
) }}

{%- set watermarked = incremental_with_columns(['_inputs_loaded_at']) %}

with

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

enforcement_actions as (
    select * from {{ ref('stg_marketplace__enforcement_actions') }}
),

appeals as (
    select * from {{ ref('stg_marketplace__appeals') }}
),

shows as (
    select * from {{ ref('stg_marketplace__shows') }}
),

orders as (
    select * from {{ ref('stg_marketplace__orders') }}
),

-- the latest load time of the inputs: the watermark this build leaves
inputs_loaded as (
    select max(input_loads.loaded_at) as loaded_through
    from (
        {%- for input in ['tickets', 'enforcement_actions', 'appeals', 'shows', 'orders'] %}
        select max(_loaded_at) as loaded_at from {{ input }}
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ) as input_loads
),

{% if is_incremental() -%}
-- what changed since the last build (see the header)
watermark as (
    {%- if watermarked %}
    select coalesce(max(_inputs_loaded_at), cast('1900-01-01' as timestamp)) as loaded_through
    from {{ this }}
    {%- else %}
    select cast('1900-01-01' as timestamp) as loaded_through
    {%- endif %}
),

changed_actions as (
    select enforcement_actions.action_id
    from enforcement_actions
    where enforcement_actions._loaded_at > (select watermark.loaded_through from watermark)
),

changed_shows as (
    select shows.show_id
    from shows
    where shows._loaded_at > (select watermark.loaded_through from watermark)
),

changed_orders as (
    select orders.order_id
    from orders
    where orders._loaded_at > (select watermark.loaded_through from watermark)
),

-- every version of a changed show or order: its seller or buyer, and when it happened
changed_event_versions as (
    select
        shows_history.show_id as event_id,
        'show' as event_kind,
        shows_history.seller_id as user_id,
        shows_history.started_at as event_at
    from {{ ref('int_shows_history') }} as shows_history
    inner join changed_shows
        on shows_history.show_id = changed_shows.show_id

    union all

    select
        orders_history.order_id as event_id,
        'order' as event_kind,
        orders_history.buyer_id as user_id,
        orders_history.placed_at as event_at
    from {{ ref('int_orders_history') }} as orders_history
    inner join changed_orders
        on orders_history.order_id = changed_orders.order_id

    union all

    select
        orders_history.order_id as event_id,
        'order' as event_kind,
        orders_history.seller_id as user_id,
        orders_history.placed_at as event_at
    from {{ ref('int_orders_history') }} as orders_history
    inner join changed_orders
        on orders_history.order_id = changed_orders.order_id
),

-- The seller or buyer of any version of a changed show or order, from the
-- earliest time any version of it happened: an event can be an action's
-- latest at or before the action only when it happened at or before it, so
-- only that user's actions from then on can take their category from it.
changed_event_times as (
    select
        event_kind,
        event_id,
        min(event_at) as changed_from
    from changed_event_versions
    group by event_kind, event_id
),

changed_users as (
    select
        event_users.user_id,
        min(event_times.changed_from) as changed_from
    from changed_event_versions as event_users
    inner join changed_event_times as event_times
        on
            event_users.event_kind = event_times.event_kind
            and event_users.event_id = event_times.event_id
    group by event_users.user_id
),

recomputed_actions as (
    select enforcement_actions.action_id
    from enforcement_actions
    where
        enforcement_actions.action_id in (select changed_actions.action_id from changed_actions)
        or exists (
            select changed_users.user_id
            from changed_users
            where
                changed_users.user_id = enforcement_actions.user_id
                and enforcement_actions.created_at >= changed_users.changed_from
        )
),

recomputed_tickets as (
    select tickets.*
    from tickets
    where
        tickets._loaded_at > (select watermark.loaded_through from watermark)
        or tickets.related_action_id in (select changed_actions.action_id from changed_actions)
),

recomputed_appeals as (
    select appeals.*
    from appeals
    where
        appeals._loaded_at > (select watermark.loaded_through from watermark)
        or appeals.action_id in (select recomputed_actions.action_id from recomputed_actions)
),

recomputed_enforcement_actions as (
    select enforcement_actions.*
    from enforcement_actions
    where enforcement_actions.action_id in (select recomputed_actions.action_id from recomputed_actions)
),
{%- else -%}
recomputed_tickets as (
    select * from tickets
),

recomputed_appeals as (
    select * from appeals
),

recomputed_enforcement_actions as (
    select * from enforcement_actions
),
{%- endif %}

-- the actions enforcement and appeal cases concern, with their acted-on user
action_cases as (
    select
        'enforcement' as case_type,
        recomputed_enforcement_actions.action_id as case_id,
        recomputed_enforcement_actions.action_id,
        recomputed_enforcement_actions.created_at as closed_at
    from recomputed_enforcement_actions

    union all

    select
        'appeal' as case_type,
        recomputed_appeals.appeal_id as case_id,
        recomputed_appeals.action_id,
        recomputed_appeals.decided_at as closed_at
    from recomputed_appeals
),

acted_on as (
    select distinct
        enforcement_actions.action_id,
        enforcement_actions.user_id,
        enforcement_actions.created_at as acted_at
    from enforcement_actions
    where enforcement_actions.action_id in (select action_cases.action_id from action_cases)
),

acted_on_users as (
    select distinct acted_on.user_id
    from acted_on
),

-- the acted-on users' shows as seller, and their orders as buyer or seller,
-- with a category and a time: the events an action's category can come from
user_shows as (
    select
        shows.seller_id as user_id,
        shows.started_at as event_at,
        shows.show_id as event_id,
        shows.category
    from shows
    inner join acted_on_users
        on shows.seller_id = acted_on_users.user_id
    where shows.category is not null and shows.started_at is not null
),

user_orders as (
    {%- for role in ['buyer_id', 'seller_id'] %}
    select
        orders.{{ role }} as user_id,
        orders.placed_at as event_at,
        orders.order_id as event_id,
        orders.category
    from orders
    inner join acted_on_users
        on orders.{{ role }} = acted_on_users.user_id
    where orders.category is not null and orders.placed_at is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

-- the latest show and the latest order at or before each action, by
-- (time, id): macros/metrics/latest_event_before.sql (one pass over each user's
-- events in time order, not every action joined to every earlier event)
numbered_shows as (
    {{ number_events('user_shows') }}
),

numbered_orders as (
    {{ number_events('user_orders') }}
),

latest_shows as (
    {{ latest_event_before('numbered_shows', 'acted_on') }}
),

latest_orders as (
    {{ latest_event_before('numbered_orders', 'acted_on') }}
),

action_categories as (
    select
        acted_on.action_id,
        coalesce(latest_shows.category, latest_orders.category, 'other') as category,
        case
            when latest_shows.category is not null then 'show'
            when latest_orders.category is not null then 'order'
            else 'none'
        end as category_source
    from acted_on
    left join latest_shows
        on acted_on.action_id = latest_shows.action_id
    left join latest_orders
        on acted_on.action_id = latest_orders.action_id
),

final as (
    select
        'ticket' as case_type,
        cast(recomputed_tickets.ticket_id as varchar) as case_id,
        recomputed_tickets.solved_at as closed_at,
        recomputed_tickets.queue,
        recomputed_tickets.category,
        'ticket' as category_source,
        enforcement_actions.policy,
        recomputed_tickets.related_action_id as action_id,
        inputs_loaded.loaded_through as _inputs_loaded_at
    from recomputed_tickets
    cross join inputs_loaded
    left join enforcement_actions
        on recomputed_tickets.related_action_id = enforcement_actions.action_id

    union all

    select
        action_cases.case_type,
        action_cases.case_id,
        action_cases.closed_at,
        case action_cases.case_type when 'enforcement' then 'enforcement' else 'appeals' end as queue,
        action_categories.category,
        action_categories.category_source,
        enforcement_actions.policy,
        action_cases.action_id,
        inputs_loaded.loaded_through as _inputs_loaded_at
    from action_cases
    cross join inputs_loaded
    left join action_categories
        on action_cases.action_id = action_categories.action_id
    left join enforcement_actions
        on action_cases.action_id = enforcement_actions.action_id
)

select * from final
