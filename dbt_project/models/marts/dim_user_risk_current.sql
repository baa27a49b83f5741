-- Latest risk features of every user known at the last export day
-- (shared/spec/metrics.md "Risk features"), all computed as of that day, with
-- a rule-based risk_tier. The rules and thresholds live in the seed
-- risk_tier_rules: a rule fires `elevated` when its feature is >= elevated_at
-- and `high` when it is >= high_at, provided its sample-size feature (if any)
-- is >= min_sample; a null feature never fires. The tier is the highest
-- level any rule fired (none: low); risk_reasons lists the fired rules.

{#- Features a rule may test; booleans count as 1 (true) or 0. -#}
{%- set rule_features = {
    'account_age_days': 'number', 'orders_bought_30d': 'number', 'gmv_bought_30d': 'number',
    'orders_sold_30d': 'number', 'gmv_sold_30d': 'number', 'distinct_buyers_30d': 'number',
    'sold_orders_placed_30d': 'number', 'seller_cancel_rate_30d': 'number',
    'seller_refund_rate_30d': 'number', 'sold_orders_placed_90d': 'number',
    'dispute_rate_90d': 'number', 'chargebacks_as_buyer_90d': 'number',
    'reports_received_30d': 'number', 'distinct_reporters_30d': 'number',
    'enforcement_actions_365d': 'number', 'reversed_actions_365d': 'number',
    'has_active_restriction': 'boolean', 'top_buyer_gmv_share_30d': 'number',
    'tickets_opened_30d': 'number',
} %}

with

run_as_of as (
    select * from {{ ref('int_run_as_of') }}
),

users as (
    select * from {{ ref('int_users_history') }}
),

risk_tier_rules as (
    select * from {{ ref('risk_tier_rules') }}
),

known_users as (
    select distinct
        run_as_of.as_of_day,
        users.user_id
    from users
    cross join run_as_of
    where {{ known_at_day('users', 'run_as_of.as_of_day') }}
),

{{ user_risk_feature_ctes('known_users') }}

-- One row per user and rule-testable feature.
feature_values as (
    {%- for feature, kind in rule_features.items() %}
    select
        user_id,
        '{{ feature }}' as feature,
        {% if kind == 'boolean' -%}
        cast(case when {{ feature }} then 1 else 0 end as double) as feature_value
        {%- else -%}
        cast({{ feature }} as double) as feature_value
        {%- endif %}
    from user_risk_features
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

rule_results as (
    select
        feature_values.user_id,
        risk_tier_rules.rule_name,
        case
            when feature_values.feature_value >= risk_tier_rules.high_at then 2
            when feature_values.feature_value >= risk_tier_rules.elevated_at then 1
        end as fired_level
    from risk_tier_rules
    inner join feature_values
        on feature_values.feature = risk_tier_rules.feature
    left join feature_values as sample_sizes
        on
            sample_sizes.user_id = feature_values.user_id
            and sample_sizes.feature = risk_tier_rules.min_sample_feature
    where
        risk_tier_rules.min_sample_feature is null
        or sample_sizes.feature_value >= risk_tier_rules.min_sample
),

fired_rules as (
    select
        user_id,
        rule_name,
        fired_level,
        rule_name || ':' || case when fired_level = 2 then 'high' else 'elevated' end as reason
    from rule_results
    where fired_level is not null
),

user_tiers as (
    select
        user_id,
        max(fired_level) as tier_level,
        count(*) as rules_fired,
        {{ dbt.listagg('reason', "', '", 'order by fired_level desc, rule_name') }} as risk_reasons
    from fired_rules
    group by user_id
),

final as (
    select
        features.as_of_day,
        features.user_id,
        {%- for feature in user_risk_feature_names() %}
        features.{{ feature }},
        {%- endfor %}
        case user_tiers.tier_level
            when 2 then 'high'
            when 1 then 'elevated'
            else 'low'
        end as risk_tier,
        coalesce(user_tiers.rules_fired, 0) as rules_fired,
        user_tiers.risk_reasons
    from user_risk_features as features
    left join user_tiers
        on user_tiers.user_id = features.user_id
)

select * from final
