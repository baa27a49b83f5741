{#-
    Risk features (metrics.md "Risk features") for every (as_of_day, user_id)
    row of `spine`, each computed only from what was known at the end of
    as_of_day: the version of each record whose known-day range
    (version_history: known_from_day, known_to_day) covers as_of_day.

    Emits a list of CTEs (each followed by a comma) to be placed inside the
    caller's `with`; the last one, `user_risk_features`, has one row per spine
    row with every feature. Every join is a range join from a spine row to the
    versions of that user's own records inside the feature's window, so the
    cost grows with the spine's activity, never with users x days.

    Windows of N days ending at D are D-N+1 .. D on the UTC date of the event.
    Records whose event timestamp is null fall in no window.
-#}
{% macro user_risk_feature_ctes(spine) -%}

risk_spine as (
    select
        spine.as_of_day,
        spine.user_id,
        cast({{ dbt.dateadd('day', -29, 'spine.as_of_day') }} as date) as window_30d_start,
        cast({{ dbt.dateadd('day', -89, 'spine.as_of_day') }} as date) as window_90d_start,
        cast({{ dbt.dateadd('day', -364, 'spine.as_of_day') }} as date) as window_365d_start
    from {{ spine }} as spine
),

risk_bounds as (
    select
        min(as_of_day) as first_day,
        max(as_of_day) as last_day,
        min(window_30d_start) as first_30d_start,
        min(window_90d_start) as first_90d_start,
        min(window_365d_start) as first_365d_start
    from risk_spine
),

-- Versions that are the known one on some spine day (and whose event can
-- fall in some window), with the event day.
risk_user_versions as (
    select
        users.user_id,
        users.signup_at,
        users.is_seller,
        users.seller_tier,
        users.verification_status,
        users.known_from_day,
        users.known_to_day
    from {{ ref('int_users_history') }} as users
    cross join risk_bounds
    where {{ known_during('users', 'risk_bounds.first_day', 'risk_bounds.last_day') }}
),

risk_order_versions as (
    select
        orders.order_id,
        orders.buyer_id,
        orders.seller_id,
        orders.amount_usd,
        orders.status,
        orders.cancelled_by,
        cast(orders.placed_at as date) as placed_day,
        coalesce(orders.status <> 'cancelled', true) as is_not_cancelled,
        orders.known_from_day,
        orders.known_to_day
    from {{ ref('int_orders_history') }} as orders
    cross join risk_bounds
    where
        {{ known_during('orders', 'risk_bounds.first_day', 'risk_bounds.last_day') }}
        and cast(orders.placed_at as date) between risk_bounds.first_90d_start and risk_bounds.last_day
),

risk_dispute_versions as (
    select
        disputes.dispute_id,
        disputes.order_id,
        disputes.kind,
        cast(disputes.opened_at as date) as opened_day,
        disputes.known_from_day,
        disputes.known_to_day
    from {{ ref('int_disputes_history') }} as disputes
    cross join risk_bounds
    where
        {{ known_during('disputes', 'risk_bounds.first_day', 'risk_bounds.last_day') }}
        and cast(disputes.opened_at as date) <= risk_bounds.last_day
),

risk_report_versions as (
    select
        reports.reporter_id,
        reports.reported_user_id,
        cast(reports.created_at as date) as created_day,
        reports.known_from_day,
        reports.known_to_day
    from {{ ref('int_reports_history') }} as reports
    cross join risk_bounds
    where
        {{ known_during('reports', 'risk_bounds.first_day', 'risk_bounds.last_day') }}
        and cast(reports.created_at as date) between risk_bounds.first_30d_start and risk_bounds.last_day
),

-- Bans count for has_active_restriction however old they are.
risk_action_versions as (
    select
        actions.user_id,
        actions.action_type,
        cast(actions.created_at as date) as created_day,
        cast(actions.reversed_at as date) as reversed_day,
        actions.known_from_day,
        actions.known_to_day
    from {{ ref('int_enforcement_actions_history') }} as actions
    cross join risk_bounds
    where
        {{ known_during('actions', 'risk_bounds.first_day', 'risk_bounds.last_day') }}
        and cast(actions.created_at as date) <= risk_bounds.last_day
        and (
            cast(actions.created_at as date) >= risk_bounds.first_365d_start
            or actions.action_type = 'ban'
        )
),

risk_ticket_versions as (
    select
        tickets.requester_user_id,
        cast(tickets.created_at as date) as created_day,
        tickets.known_from_day,
        tickets.known_to_day
    from {{ ref('int_tickets_history') }} as tickets
    cross join risk_bounds
    where
        {{ known_during('tickets', 'risk_bounds.first_day', 'risk_bounds.last_day') }}
        and cast(tickets.created_at as date) between risk_bounds.first_30d_start and risk_bounds.last_day
),

-- Features per spine row, one CTE per source.
risk_user_state as (
    select
        risk_spine.as_of_day,
        risk_spine.user_id,
        {{ dbt.datediff('cast(user_versions.signup_at as date)', 'risk_spine.as_of_day', 'day') }}
            as account_age_days,
        user_versions.is_seller,
        user_versions.seller_tier,
        user_versions.verification_status
    from risk_spine
    left join risk_user_versions as user_versions
        on
            user_versions.user_id = risk_spine.user_id
            and {{ known_at_day('user_versions', 'risk_spine.as_of_day') }}
),

risk_bought as (
    select
        risk_spine.as_of_day,
        risk_spine.user_id,
        count(*) as orders_bought_30d,
        sum(order_versions.amount_usd) as gmv_bought_30d
    from risk_spine
    inner join risk_order_versions as order_versions
        on
            order_versions.buyer_id = risk_spine.user_id
            and {{ known_at_day('order_versions', 'risk_spine.as_of_day') }}
            and order_versions.placed_day between risk_spine.window_30d_start and risk_spine.as_of_day
            and order_versions.is_not_cancelled
    group by risk_spine.as_of_day, risk_spine.user_id
),

-- Orders the user sold, placed in the 90-day window, as known at D: the
-- largest relation here (spine rows x their sellers' orders), so it carries
-- only what the sums below read and is never joined again.
risk_sold_orders as (
    select
        risk_spine.as_of_day,
        risk_spine.user_id,
        order_versions.buyer_id,
        order_versions.amount_usd,
        order_versions.status,
        order_versions.cancelled_by,
        order_versions.is_not_cancelled,
        order_versions.placed_day >= risk_spine.window_30d_start as is_in_30d
    from risk_spine
    inner join risk_order_versions as order_versions
        on
            order_versions.seller_id = risk_spine.user_id
            and {{ known_at_day('order_versions', 'risk_spine.as_of_day') }}
            and order_versions.placed_day between risk_spine.window_90d_start and risk_spine.as_of_day
),

risk_sold as (
    select
        sold_orders.as_of_day,
        sold_orders.user_id,
        sum(case when sold_orders.is_in_30d and sold_orders.is_not_cancelled then 1 else 0 end)
            as orders_sold_30d,
        sum(case when sold_orders.is_in_30d and sold_orders.is_not_cancelled then sold_orders.amount_usd end)
            as gmv_sold_30d,
        sum(case when sold_orders.is_in_30d then 1 else 0 end) as sold_orders_placed_30d,
        sum(case when sold_orders.is_in_30d and sold_orders.cancelled_by = 'seller' then 1 else 0 end)
            as seller_cancelled_orders_30d,
        sum(case when sold_orders.is_in_30d and sold_orders.status = 'refunded' then 1 else 0 end)
            as refunded_sold_orders_30d,
        count(*) as sold_orders_placed_90d
    from risk_sold_orders as sold_orders
    group by sold_orders.as_of_day, sold_orders.user_id
),

-- Per buyer of the orders counted in orders_sold_30d: one group per distinct
-- non-null buyer, so the group count is distinct_buyers_30d (cheaper than a
-- count(distinct) over every sold order) and the largest group sum is the
-- top buyer's GMV.
risk_sold_by_buyer as (
    select
        as_of_day,
        user_id,
        count(*) as distinct_buyers_30d,
        max(buyer_gmv) as top_buyer_gmv_30d
    from (
        select
            as_of_day,
            user_id,
            buyer_id,
            sum(amount_usd) as buyer_gmv
        from risk_sold_orders
        where is_in_30d and is_not_cancelled and buyer_id is not null
        group by as_of_day, user_id, buyer_id
    ) as gmv_by_buyer
    group by as_of_day, user_id
),

-- Sold orders with at least one dispute opened by the end of D. Disputes
-- are rare: start from the dispute versions joined to their order versions
-- (small), then to the seller's spine days, instead of probing every sold
-- order for a dispute.
risk_disputed_order_versions as (
    select
        order_versions.order_id,
        order_versions.seller_id,
        order_versions.placed_day,
        order_versions.known_from_day,
        order_versions.known_to_day,
        dispute_versions.opened_day,
        dispute_versions.known_from_day as dispute_known_from_day,
        dispute_versions.known_to_day as dispute_known_to_day
    from risk_dispute_versions as dispute_versions
    inner join risk_order_versions as order_versions
        on order_versions.order_id = dispute_versions.order_id
),

risk_disputed_sold as (
    select
        risk_spine.as_of_day,
        risk_spine.user_id,
        count(distinct disputed.order_id) as disputed_sold_orders_90d
    from risk_spine
    inner join risk_disputed_order_versions as disputed
        on
            disputed.seller_id = risk_spine.user_id
            and {{ known_at_day('disputed', 'risk_spine.as_of_day') }}
            and disputed.placed_day between risk_spine.window_90d_start and risk_spine.as_of_day
            and {{ known_at_day('disputed', 'risk_spine.as_of_day', prefix='dispute_') }}
            and disputed.opened_day <= risk_spine.as_of_day
    group by risk_spine.as_of_day, risk_spine.user_id
),

-- Chargebacks opened in the 90-day window on orders the user bought: the
-- buyer is the one of the order's version known at D, however old the order.
-- `distinct` (a no-op: one row per dispute version x order version) keeps
-- this small relation whole, so the planner cannot join the disputes to
-- every spine row on the date range alone before matching the buyer.
risk_chargeback_orders as (
    select distinct
        dispute_versions.dispute_id,
        dispute_versions.opened_day,
        dispute_versions.known_from_day as dispute_known_from_day,
        dispute_versions.known_to_day as dispute_known_to_day,
        orders.buyer_id,
        orders.known_from_day,
        orders.known_to_day
    from risk_dispute_versions as dispute_versions
    cross join risk_bounds
    inner join {{ ref('int_orders_history') }} as orders
        on orders.order_id = dispute_versions.order_id
    where
        dispute_versions.kind = 'chargeback'
        and dispute_versions.opened_day >= risk_bounds.first_90d_start
),

risk_chargebacks as (
    select
        risk_spine.as_of_day,
        risk_spine.user_id,
        count(*) as chargebacks_as_buyer_90d
    from risk_spine
    inner join risk_chargeback_orders as chargebacks
        on
            chargebacks.buyer_id = risk_spine.user_id
            and {{ known_at_day('chargebacks', 'risk_spine.as_of_day') }}
            and {{ known_at_day('chargebacks', 'risk_spine.as_of_day', prefix='dispute_') }}
            and chargebacks.opened_day between risk_spine.window_90d_start and risk_spine.as_of_day
    group by risk_spine.as_of_day, risk_spine.user_id
),

risk_reports_received as (
    select
        risk_spine.as_of_day,
        risk_spine.user_id,
        count(*) as reports_received_30d,
        count(distinct report_versions.reporter_id) as distinct_reporters_30d
    from risk_spine
    inner join risk_report_versions as report_versions
        on
            report_versions.reported_user_id = risk_spine.user_id
            and {{ known_at_day('report_versions', 'risk_spine.as_of_day') }}
            and report_versions.created_day between risk_spine.window_30d_start and risk_spine.as_of_day
    group by risk_spine.as_of_day, risk_spine.user_id
),

risk_enforcement as (
    select
        actions.as_of_day,
        actions.user_id,
        sum(case when actions.created_day >= actions.window_365d_start and not actions.is_reversed then 1 else 0 end)
            as enforcement_actions_365d,
        sum(case when actions.created_day >= actions.window_365d_start and actions.is_reversed then 1 else 0 end)
            as reversed_actions_365d,
        max(
            case
                when actions.is_reversed then 0
                when actions.action_type = 'ban' then 1
                when actions.action_type = 'suspension' and actions.created_day >= actions.window_30d_start then 1
                else 0
            end
        ) as active_restrictions
    from (
        select
            risk_spine.as_of_day,
            risk_spine.user_id,
            risk_spine.window_30d_start,
            risk_spine.window_365d_start,
            action_versions.action_type,
            action_versions.created_day,
            coalesce(action_versions.reversed_day <= risk_spine.as_of_day, false) as is_reversed
        from risk_spine
        inner join risk_action_versions as action_versions
            on
                action_versions.user_id = risk_spine.user_id
                and {{ known_at_day('action_versions', 'risk_spine.as_of_day') }}
                and action_versions.created_day <= risk_spine.as_of_day
    ) as actions
    group by actions.as_of_day, actions.user_id
),

risk_tickets_opened as (
    select
        risk_spine.as_of_day,
        risk_spine.user_id,
        count(*) as tickets_opened_30d
    from risk_spine
    inner join risk_ticket_versions as ticket_versions
        on
            ticket_versions.requester_user_id = risk_spine.user_id
            and {{ known_at_day('ticket_versions', 'risk_spine.as_of_day') }}
            and ticket_versions.created_day between risk_spine.window_30d_start and risk_spine.as_of_day
    group by risk_spine.as_of_day, risk_spine.user_id
),

user_risk_features as (
    select
        risk_spine.as_of_day,
        risk_spine.user_id,
        user_state.account_age_days,
        user_state.is_seller,
        user_state.seller_tier,
        user_state.verification_status,
        coalesce(bought.orders_bought_30d, 0) as orders_bought_30d,
        cast(coalesce(bought.gmv_bought_30d, 0) as decimal(18, 2)) as gmv_bought_30d,
        coalesce(sold.orders_sold_30d, 0) as orders_sold_30d,
        cast(coalesce(sold.gmv_sold_30d, 0) as decimal(18, 2)) as gmv_sold_30d,
        coalesce(sold_by_buyer.distinct_buyers_30d, 0) as distinct_buyers_30d,
        coalesce(sold.sold_orders_placed_30d, 0) as sold_orders_placed_30d,
        coalesce(sold.seller_cancelled_orders_30d, 0) as seller_cancelled_orders_30d,
        {{ safe_divide('sold.seller_cancelled_orders_30d', 'sold.sold_orders_placed_30d') }} as seller_cancel_rate_30d,
        coalesce(sold.refunded_sold_orders_30d, 0) as refunded_sold_orders_30d,
        {{ safe_divide('sold.refunded_sold_orders_30d', 'sold.sold_orders_placed_30d') }} as seller_refund_rate_30d,
        coalesce(sold.sold_orders_placed_90d, 0) as sold_orders_placed_90d,
        coalesce(disputed_sold.disputed_sold_orders_90d, 0) as disputed_sold_orders_90d,
        {{ safe_divide('coalesce(disputed_sold.disputed_sold_orders_90d, 0)', 'sold.sold_orders_placed_90d') }}
            as dispute_rate_90d,
        coalesce(chargebacks.chargebacks_as_buyer_90d, 0) as chargebacks_as_buyer_90d,
        coalesce(reports.reports_received_30d, 0) as reports_received_30d,
        coalesce(reports.distinct_reporters_30d, 0) as distinct_reporters_30d,
        coalesce(enforcement.enforcement_actions_365d, 0) as enforcement_actions_365d,
        coalesce(enforcement.reversed_actions_365d, 0) as reversed_actions_365d,
        coalesce(enforcement.active_restrictions, 0) = 1 as has_active_restriction,
        cast(coalesce(sold_by_buyer.top_buyer_gmv_30d, 0) as decimal(18, 2)) as top_buyer_gmv_30d,
        {{ safe_divide('sold_by_buyer.top_buyer_gmv_30d', 'sold.gmv_sold_30d') }} as top_buyer_gmv_share_30d,
        coalesce(tickets.tickets_opened_30d, 0) as tickets_opened_30d
    from risk_spine
    left join risk_user_state as user_state
        on user_state.as_of_day = risk_spine.as_of_day and user_state.user_id = risk_spine.user_id
    left join risk_bought as bought
        on bought.as_of_day = risk_spine.as_of_day and bought.user_id = risk_spine.user_id
    left join risk_sold as sold
        on sold.as_of_day = risk_spine.as_of_day and sold.user_id = risk_spine.user_id
    left join risk_sold_by_buyer as sold_by_buyer
        on sold_by_buyer.as_of_day = risk_spine.as_of_day and sold_by_buyer.user_id = risk_spine.user_id
    left join risk_disputed_sold as disputed_sold
        on disputed_sold.as_of_day = risk_spine.as_of_day and disputed_sold.user_id = risk_spine.user_id
    left join risk_chargebacks as chargebacks
        on chargebacks.as_of_day = risk_spine.as_of_day and chargebacks.user_id = risk_spine.user_id
    left join risk_reports_received as reports
        on reports.as_of_day = risk_spine.as_of_day and reports.user_id = risk_spine.user_id
    left join risk_enforcement as enforcement
        on enforcement.as_of_day = risk_spine.as_of_day and enforcement.user_id = risk_spine.user_id
    left join risk_tickets_opened as tickets
        on tickets.as_of_day = risk_spine.as_of_day and tickets.user_id = risk_spine.user_id
),
{%- endmacro %}



{#- The feature columns of user_risk_features, in order (both risk marts select them). -#}
{% macro user_risk_feature_names() -%}
    {{ return([
        'account_age_days', 'is_seller', 'seller_tier', 'verification_status',
        'orders_bought_30d', 'gmv_bought_30d',
        'orders_sold_30d', 'gmv_sold_30d', 'distinct_buyers_30d',
        'sold_orders_placed_30d', 'seller_cancelled_orders_30d', 'seller_cancel_rate_30d',
        'refunded_sold_orders_30d', 'seller_refund_rate_30d',
        'sold_orders_placed_90d', 'disputed_sold_orders_90d', 'dispute_rate_90d',
        'chargebacks_as_buyer_90d', 'reports_received_30d', 'distinct_reporters_30d',
        'enforcement_actions_365d', 'reversed_actions_365d', 'has_active_restriction',
        'top_buyer_gmv_30d', 'top_buyer_gmv_share_30d', 'tickets_opened_30d',
    ]) }}
{%- endmacro %}
