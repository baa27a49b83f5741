-- Statements of reasons for the EU DSA Transparency Database (Art. 17,
-- 24(5)), docs/dsa.md: one row per enforcement action that restricts
-- (current state; a warning restricts nothing and has no statement), with
-- the API's field names and values. The policy and action-type mappings
-- are the seeds dsa_policy_categories and dsa_action_restrictions. An
-- unmapped policy gives a null category, which the export refuses naming
-- the action. No personal data: ids, enumerations, dates and fixed text.
--
-- source_type: a user report is a notice (SOURCE_ARTICLE_16); automated and
-- proactive-agent detection are own initiative (SOURCE_VOLUNTARY).
-- automated_decision: decided_by automated is fully automated; an agent's
-- decision on an automated detection is partially automated; else not.
--
-- Incremental (delete+insert on puid; macros/metrics/dsa_refresh.sql): a
-- run recomputes the actions, and the users' actions, loaded since its
-- watermark; a changed mapping seed recomputes every action. Same rows as a
-- full rebuild (tests/test_dsa_incremental.py).

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='puid',
    on_schema_change='append_new_columns',
    pre_hook="{{ dsa_statements_clear_recomputed() }}",
) }}

{%- set watermark = dsa_statements_watermark() %}

with

enforcement_actions as (
    select * from {{ ref('stg_marketplace__enforcement_actions') }}
),

users as (
    select * from {{ ref('stg_marketplace__users') }}
),

policy_categories as (
    select * from {{ ref('dsa_policy_categories') }}
),

action_restrictions as (
    select * from {{ ref('dsa_action_restrictions') }}
),

-- the latest load time of the inputs: the watermark this build leaves
input_loads as (
    select max(_loaded_at) as loaded_at from enforcement_actions
    union all
    select max(_loaded_at) as loaded_at from users
),

-- the actions whose statements this run recomputes (see the header)
recomputed_actions as (
    {%- if watermark is not none %}
    {{ dsa_changed_actions(watermark) | indent(4) }}
    {%- else %}
    select enforcement_actions.action_id from enforcement_actions
    {%- endif %}
),

restricting as (
    select
        enforcement_actions.action_id,
        enforcement_actions.user_id,
        enforcement_actions.action_type,
        enforcement_actions.policy,
        enforcement_actions.detection_source,
        enforcement_actions.decided_by,
        cast(enforcement_actions.created_at as date) as application_date,
        action_restrictions.decision_visibility,
        action_restrictions.decision_monetary,
        action_restrictions.decision_provision,
        action_restrictions.decision_account,
        action_restrictions.content_type,
        action_restrictions.restriction_days,
        action_restrictions.end_date_field
    from enforcement_actions
    inner join recomputed_actions
        on enforcement_actions.action_id = recomputed_actions.action_id
    inner join action_restrictions
        on enforcement_actions.action_type = action_restrictions.action_type
    where
        coalesce(
            action_restrictions.decision_visibility,
            action_restrictions.decision_monetary,
            action_restrictions.decision_provision,
            action_restrictions.decision_account
        ) is not null
),

final as (
    select
        restricting.action_id as puid,
        restricting.action_type,
        restricting.policy,
        restricting.decision_visibility,
        restricting.decision_monetary,
        restricting.decision_provision,
        restricting.decision_account,
        cast(
            case
                when restricting.end_date_field = 'end_date_account_restriction'
                    then {{ dbt.dateadd('day', 'restricting.restriction_days', 'restricting.application_date') }}
            end as date
        ) as end_date_account_restriction,
        cast(
            case
                when restricting.end_date_field = 'end_date_visibility_restriction'
                    then {{ dbt.dateadd('day', 'restricting.restriction_days', 'restricting.application_date') }}
            end as date
        ) as end_date_visibility_restriction,
        'DECISION_GROUND_INCOMPATIBLE_CONTENT' as decision_ground,
        policy_categories.incompatible_content_ground,
        'The '
        || case when restricting.decision_account is not null then 'account' else 'content' end
        || ' was found to violate the '
        || coalesce(policy_categories.incompatible_content_ground, 'marketplace policy ' || restricting.policy)
        || '.' as incompatible_content_explanation,
        policy_categories.incompatible_content_illegal,
        policy_categories.category,
        policy_categories.category_specification,
        restricting.content_type,
        case when restricting.content_type = 'CONTENT_TYPE_OTHER' then 'Marketplace account' end as content_type_other,
        case
            when restricting.decision_account is not null
                then coalesce(cast(users.signup_at as date), restricting.application_date)
            else restricting.application_date
        end as content_date,
        restricting.application_date,
        'Action '
        || restricting.action_type
        || ' under the marketplace policy '
        || restricting.policy
        || ', detected '
        || case restricting.detection_source
            when 'automated' then 'by automated means'
            when 'user_report' then 'from a user notice'
            when 'proactive_agent' then 'by an agent on own initiative'
            else 'by other means'
        end
        || ' and decided '
        || case when restricting.decided_by = 'automated' then 'by automated means' else 'by an agent' end
        || '.' as decision_facts,
        {{ dsa_source_type('restricting.detection_source') }} as source_type,
        case when restricting.detection_source = 'automated' then 'Yes' else 'No' end as automated_detection,
        {{ dsa_automated_decision('restricting.detection_source', 'restricting.decided_by') }} as automated_decision,
        -- watermark and mappings fingerprint of this build (see the header)
        (select max(input_loads.loaded_at) as loaded_through from input_loads) as _inputs_loaded_at,
        {{ dsa_mappings_fingerprint() }} as _mappings_fingerprint
    from restricting
    left join policy_categories
        on restricting.policy = policy_categories.policy
    left join users
        on restricting.user_id = users.user_id
)

select * from final
