-- Latest risk features of every user known at the last export day
-- (docs/metrics.md "Risk features"), all computed as of that day, with
-- a rule-based risk_tier. The rules and thresholds live in the seed
-- risk_tier_rules: a rule fires `elevated` when its feature is >= elevated_at
-- and `high` when it is >= high_at, provided its sample-size feature (if any)
-- is >= min_sample; a null feature never fires. The tier is the highest
-- level any rule fired (none: low); risk_reasons lists the fired rules. The
-- features a rule may name: risk_rule_features() (macros/metrics/risk_tier_rules.sql).
--
-- Incremental (delete+insert on user_id; macros/metrics/user_risk_refresh.sql):
-- a run recomputes only the users whose features can differ from their row
-- (a record of theirs changed, an event entered or left a window, an action
-- was reversed, an age threshold of a rule was crossed); the other rows move
-- to the new as-of day, their account_age_days with it. A late or
-- re-delivered export, a changed risk_tier_rules seed or a table without the
-- watermark recomputes every user; the same as-of day with nothing loaded
-- since the last build keeps every row without a search. Same rows as a
-- full rebuild (tests/test_risk_current_incremental.py); `dbt build
-- --full-refresh` rebuilds. Not tagged daily_partitioned: it stays in Dagster's table step
-- (current state, no partition window).

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='user_id',
    on_schema_change='append_new_columns',
    pre_hook="{{ user_risk_clear_for_full_recompute() }}",
    post_hook="{{ user_risk_age_kept_rows() }}",
) }}

{%- set plan = user_risk_refresh_plan() %}

{% if plan is not none and plan.nothing_new -%}
-- the same as-of day and nothing loaded since the last build: every row is
-- kept (no row selected; the table's own columns)
select *  -- noqa: AM04
from {{ this }}
where false
{%- else -%}
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

-- the latest load time of the inputs: the watermark this build leaves
input_loads as (
    {%- for input_name in user_risk_inputs() %}
    select max(_loaded_at) as loaded_at from {{ ref(input_name) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

{% if plan is not none -%}
-- the users whose features can have changed since the previous as-of day
changed_users as (
    {{ user_risk_changed_users(plan) | indent(4) }}
),

{% endif -%}
known_users as (
    select distinct
        run_as_of.as_of_day,
        users.user_id
    from users
    cross join run_as_of
    {%- if plan is not none %}
    inner join changed_users
        on users.user_id = changed_users.user_id
    {%- endif %}
    where {{ known_at_day('users', 'run_as_of.as_of_day') }}
),

{{ user_risk_feature_ctes('known_users') }}

-- One row per user and rule, with the value of the rule's feature and of its
-- sample-size feature picked by name (a feature no rule may test is null,
-- so it never fires). Users x rules, no unpivot or self-join: at scale 10
-- that is 15 million narrow rows instead of a 36-million-row feature list
-- joined to itself.
rule_inputs as (
    select
        features.user_id,
        risk_tier_rules.rule_name,
        risk_tier_rules.elevated_at,
        risk_tier_rules.high_at,
        risk_tier_rules.min_sample_feature,
        risk_tier_rules.min_sample,
        {{ risk_rule_feature_value('features', 'risk_tier_rules.feature') }} as feature_value,
        {{ risk_rule_feature_value('features', 'risk_tier_rules.min_sample_feature') }} as sample_size
    from user_risk_features as features
    cross join risk_tier_rules
),

rule_results as (
    select
        user_id,
        rule_name,
        case
            when feature_value >= high_at then 2
            when feature_value >= elevated_at then 1
        end as fired_level
    from rule_inputs
    where
        min_sample_feature is null
        or sample_size >= min_sample
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
        user_tiers.risk_reasons,
        -- watermark and rules fingerprint of this build (see the header)
        (select max(input_loads.loaded_at) as loaded_through from input_loads) as _inputs_loaded_at,
        {{ relation_fingerprint(ref('risk_tier_rules')) }} as _risk_rules_fingerprint
    from user_risk_features as features
    left join user_tiers
        on features.user_id = user_tiers.user_id
)

select * from final
{%- endif %}
