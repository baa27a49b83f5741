-- The case behind each current QA review (stg_support__qa_reviews): its
-- queue, category and policy, exactly as docs/metrics.md "QA reviews
-- (fct_qa_reviews)" defines them. One row per review_id; current state of
-- every record (tickets, actions, appeals, shows, orders).
--
-- * ticket: the ticket's queue and category; policy = the policy of the
--   ticket's related_action_id, null without one.
-- * enforcement / appeal: queue 'enforcement' / 'appeals'; policy = the
--   action's (for an appeal, the appealed action's); category = the category
--   of the acted-on user's (the action's user_id) latest show as seller
--   started at or before the action's created_at, else of their latest order
--   as buyer or seller placed at or before it, else 'other'. Shows and orders
--   with a null category are skipped. An unknown case (or appealed action)
--   leaves category and policy null.

with

qa_reviews as (
    select * from {{ ref('stg_support__qa_reviews') }}
),

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

-- the ticket of each ticket review (case_id is the ticket_id as text)
ticket_cases as (
    select
        qa_reviews.review_id,
        tickets.queue,
        tickets.category,
        tickets.related_action_id as action_id
    from qa_reviews
    inner join tickets
        on qa_reviews.case_id = cast(tickets.ticket_id as varchar)
    where qa_reviews.case_type = 'ticket'
),

-- the action each enforcement or appeal review is about, when known:
-- the case itself, or the action the appeal contests
action_cases as (
    select
        qa_reviews.review_id,
        qa_reviews.case_id as action_id
    from qa_reviews
    where qa_reviews.case_type = 'enforcement'

    union all

    select
        qa_reviews.review_id,
        appeals.action_id
    from qa_reviews
    inner join appeals
        on qa_reviews.case_id = appeals.appeal_id
    where qa_reviews.case_type = 'appeal'
),

acted_on as (
    select
        action_cases.review_id,
        enforcement_actions.user_id,
        enforcement_actions.created_at as acted_at
    from action_cases
    inner join enforcement_actions
        on action_cases.action_id = enforcement_actions.action_id
),

-- the acted-on user's latest show as seller started at or before the action
-- (ties: the greater show_id)
ranked_shows as (
    select
        acted_on.review_id,
        shows.category,
        row_number() over (
            partition by acted_on.review_id
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
        acted_on.review_id,
        order_users.category,
        row_number() over (
            partition by acted_on.review_id
            order by order_users.placed_at desc, order_users.order_id desc
        ) as order_rank
    from acted_on
    inner join order_users
        on
            acted_on.user_id = order_users.user_id
            and acted_on.acted_at >= order_users.placed_at
    where order_users.category is not null
),

-- each review with the action its case concerns (a ticket's related action,
-- the enforcement case itself, the appealed action)
review_cases as (
    select
        qa_reviews.review_id,
        qa_reviews.case_type,
        ticket_cases.review_id is not null as is_known_ticket,
        ticket_cases.queue as ticket_queue,
        ticket_cases.category as ticket_category,
        case
            when qa_reviews.case_type = 'ticket' then ticket_cases.action_id
            else action_cases.action_id
        end as action_id
    from qa_reviews
    left join ticket_cases
        on qa_reviews.review_id = ticket_cases.review_id
    left join action_cases
        on qa_reviews.review_id = action_cases.review_id
),

final as (
    select
        review_cases.review_id,
        case review_cases.case_type
            when 'ticket' then review_cases.ticket_queue
            when 'enforcement' then 'enforcement'
            when 'appeal' then 'appeals'
        end as queue,
        case
            when review_cases.case_type = 'ticket' then review_cases.ticket_category
            when acted_on.review_id is not null
                then coalesce(ranked_shows.category, ranked_orders.category, 'other')
        end as category,
        case
            when review_cases.case_type = 'ticket'
                then case when review_cases.is_known_ticket then 'ticket' end
            when acted_on.review_id is null then null
            when ranked_shows.category is not null then 'show'
            when ranked_orders.category is not null then 'order'
            else 'none'
        end as category_source,
        enforcement_actions.policy,
        review_cases.action_id
    from review_cases
    left join acted_on
        on review_cases.review_id = acted_on.review_id
    left join ranked_shows
        on
            review_cases.review_id = ranked_shows.review_id
            and ranked_shows.show_rank = 1
    left join ranked_orders
        on
            review_cases.review_id = ranked_orders.review_id
            and ranked_orders.order_rank = 1
    left join enforcement_actions
        on review_cases.action_id = enforcement_actions.action_id
)

select * from final
