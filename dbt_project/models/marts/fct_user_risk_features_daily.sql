-- Point-in-time risk features (docs/metrics.md "Risk features"): one
-- row per user active on day D, every feature as known at the end of D.
--
-- Incremental (strategy replace_days, macros/incremental/replace_days.sql):
-- a day's features read only export files dated on or before it, so a run
-- recomputes the days from the earliest export day loaded since the last
-- build (new days, late or re-delivered files) and always the last
-- `late_data_lookback_days` days already built; older days are left as
-- they are. `dbt build --full-refresh` rebuilds every day and gives the same
-- rows. `_built_at` (when the dbt invocation that wrote a day started) marks
-- the days the latest build rewrote: the gate of a nightly validates those
-- (expectations/marts.py); a table built before the column existed gets it
-- (on_schema_change append_new_columns), null on the days it did not rewrite.

{%- set inputs = [
    'int_users_history', 'int_orders_history', 'int_disputes_history',
    'int_reports_history', 'int_enforcement_actions_history', 'int_tickets_history',
] %}

{{ config(
    materialized='incremental',
    tags=['daily_partitioned'],
    incremental_strategy='replace_days',
    meta={'tests_on_latest_build': true},
    replace_days_column='as_of_day',
    replace_days_inputs=inputs,
    on_schema_change='append_new_columns',
) }}

{%- set recompute_from = incremental_days_from() %}

with

run_as_of as (
    select * from {{ ref('int_run_as_of') }}
),

-- The days this run computes: from the first export day (or the incremental
-- restart day) to the last export day.
compute_window as (
    select
        {% if recompute_from is not none -%}
        greatest(run_as_of.first_export_day, {{ date_literal(recompute_from) }}) as first_day,
        {%- else -%}
        run_as_of.first_export_day as first_day,
        {%- endif %}
        run_as_of.as_of_day as last_day
    from run_as_of
),

orders as (
    select * from {{ ref('int_orders_history') }}
),

disputes as (
    select * from {{ ref('int_disputes_history') }}
),

reports as (
    select * from {{ ref('int_reports_history') }}
),

enforcement_actions as (
    select * from {{ ref('int_enforcement_actions_history') }}
),

tickets as (
    select * from {{ ref('int_tickets_history') }}
),

-- Activity on D as known at the end of D: each event read from the version
-- of its record known that day.
{%- set direct_activity = [
    ('orders', 'placed_at', 'buyer_id'),
    ('orders', 'placed_at', 'seller_id'),
    ('reports', 'created_at', 'reported_user_id'),
    ('enforcement_actions', 'created_at', 'user_id'),
    ('tickets', 'created_at', 'requester_user_id'),
] %}

disputes_opened as (
    select
        cast(disputes.opened_at as date) as activity_day,
        orders.buyer_id,
        orders.seller_id
    from disputes
    cross join compute_window
    inner join orders
        on
            disputes.order_id = orders.order_id
            and {{ known_at_day('orders', 'cast(disputes.opened_at as date)') }}
    where
        cast(disputes.opened_at as date) between compute_window.first_day and compute_window.last_day
        and {{ known_at_day('disputes', 'cast(disputes.opened_at as date)') }}
),

activity as (
    {%- for relation, event_at, user_column in direct_activity %}
    select
        cast({{ relation }}.{{ event_at }} as date) as activity_day,
        {#- the alias is redundant only for enforcement_actions.user_id #}
        {{ relation }}.{{ user_column }} as user_id  -- noqa: AL09
    from {{ relation }}
    cross join compute_window
    where
        cast({{ relation }}.{{ event_at }} as date) between compute_window.first_day and compute_window.last_day
        and {{ known_at_day(relation, 'cast(' ~ relation ~ '.' ~ event_at ~ ' as date)') }}
    union all
    {%- endfor %}
    select
        activity_day,
        buyer_id as user_id
    from disputes_opened
    union all
    select
        activity_day,
        seller_id as user_id
    from disputes_opened
),

-- Risk subjects are users: activity with a null user id has no subject.
active_user_days as (
    select distinct
        activity_day as as_of_day,
        user_id
    from activity
    where user_id is not null
),

{{ user_risk_feature_ctes('active_user_days') }}

computed_days as (
    select distinct as_of_day from active_user_days
),

inputs_loaded as (
    {{ inputs_loaded_at_by_day('computed_days', 'as_of_day') }}
),

final as (
    select
        features.as_of_day,
        features.user_id,
        {%- for feature in user_risk_feature_names() %}
        features.{{ feature }},
        {%- endfor %}
        inputs_loaded._inputs_loaded_at,
        {{ build_stamp() }} as _built_at
    from user_risk_features as features
    inner join inputs_loaded
        on features.as_of_day = inputs_loaded.as_of_day
)

select * from final
