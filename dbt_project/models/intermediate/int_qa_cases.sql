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

-- the actions enforcement and appeal cases concern, with their acted-on user
action_cases as (
    select
        'enforcement' as case_type,
        action_id as case_id,
        action_id,
        created_at as closed_at
    from enforcement_actions

    union all

    select
        'appeal' as case_type,
        appeals.appeal_id as case_id,
        appeals.action_id,
        appeals.decided_at as closed_at
    from appeals
),

acted_on as (
    select distinct
        enforcement_actions.action_id,
        enforcement_actions.user_id,
        enforcement_actions.created_at as acted_at
    from enforcement_actions
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
        cast(tickets.ticket_id as varchar) as case_id,
        tickets.solved_at as closed_at,
        tickets.queue,
        tickets.category,
        'ticket' as category_source,
        enforcement_actions.policy,
        tickets.related_action_id as action_id
    from tickets
    left join enforcement_actions
        on tickets.related_action_id = enforcement_actions.action_id

    union all

    select
        action_cases.case_type,
        action_cases.case_id,
        action_cases.closed_at,
        case action_cases.case_type when 'enforcement' then 'enforcement' else 'appeals' end as queue,
        action_categories.category,
        action_categories.category_source,
        enforcement_actions.policy,
        action_cases.action_id
    from action_cases
    left join action_categories
        on action_cases.action_id = action_categories.action_id
    left join enforcement_actions
        on action_cases.action_id = enforcement_actions.action_id
)

select * from final
