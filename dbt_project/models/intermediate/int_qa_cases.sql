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

-- the acted-on user's latest show as seller started at or before the action
-- (ties: the greater show_id)
ranked_shows as (
    select
        acted_on.action_id,
        shows.category,
        row_number() over (
            partition by acted_on.action_id
            order by shows.started_at desc, shows.show_id desc
        ) as show_rank
    from acted_on
    inner join shows
        on
            acted_on.user_id = shows.seller_id
            and acted_on.acted_at >= shows.started_at
    where shows.category is not null
),

-- every order with each of its two users (buyer, seller)
order_users as (
    select
        order_id,
        buyer_id as user_id,
        category,
        placed_at
    from orders

    union all

    select
        order_id,
        seller_id as user_id,
        category,
        placed_at
    from orders
),

-- the acted-on user's latest order, as buyer or seller, placed at or before
-- the action (ties: the greater order_id)
ranked_orders as (
    select
        acted_on.action_id,
        order_users.category,
        row_number() over (
            partition by acted_on.action_id
            order by order_users.placed_at desc, order_users.order_id desc
        ) as order_rank
    from acted_on
    inner join order_users
        on
            acted_on.user_id = order_users.user_id
            and acted_on.acted_at >= order_users.placed_at
    where order_users.category is not null
),

action_categories as (
    select
        acted_on.action_id,
        coalesce(ranked_shows.category, ranked_orders.category, 'other') as category,
        case
            when ranked_shows.category is not null then 'show'
            when ranked_orders.category is not null then 'order'
            else 'none'
        end as category_source
    from acted_on
    left join ranked_shows
        on
            acted_on.action_id = ranked_shows.action_id
            and ranked_shows.show_rank = 1
    left join ranked_orders
        on
            acted_on.action_id = ranked_orders.action_id
            and ranked_orders.order_rank = 1
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
