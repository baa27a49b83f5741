{#-
    The features a risk_tier_rules row may name (feature, min_sample_feature)
    and how each is compared: numbers as they are, booleans as 1 (true) or 0.
-#}
{% macro risk_rule_features() -%}
    {{ return({
        'account_age_days': 'number', 'orders_bought_30d': 'number', 'gmv_bought_30d': 'number',
        'orders_sold_30d': 'number', 'gmv_sold_30d': 'number', 'distinct_buyers_30d': 'number',
        'sold_orders_placed_30d': 'number', 'seller_cancel_rate_30d': 'number',
        'seller_refund_rate_30d': 'number', 'sold_orders_placed_90d': 'number',
        'dispute_rate_90d': 'number', 'chargebacks_as_buyer_90d': 'number',
        'reports_received_30d': 'number', 'distinct_reporters_30d': 'number',
        'enforcement_actions_365d': 'number', 'reversed_actions_365d': 'number',
        'has_active_restriction': 'boolean', 'top_buyer_gmv_share_30d': 'number',
        'tickets_opened_30d': 'number',
    }) }}
{%- endmacro %}


{#-
    The value (a double) of the feature whose name is in `name_column`, read
    from the feature row `alias`; null for a null name or one no rule may
    test, so such a rule never fires.
-#}
{% macro risk_rule_feature_value(alias, name_column) -%}
    case {{ name_column }}
        {%- for feature, kind in risk_rule_features().items() %}
        when '{{ feature }}' then
            {%- if kind == 'boolean' %} cast(case when {{ alias }}.{{ feature }} then 1 else 0 end as double)
            {%- else %} cast({{ alias }}.{{ feature }} as double)
            {%- endif %}
        {%- endfor %}
    end
{%- endmacro %}
