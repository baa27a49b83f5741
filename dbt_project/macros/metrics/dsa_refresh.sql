{#-
    How an incremental run of dsa_statements_of_reasons refreshes its rows
    (docs/dsa.md "How the statements are refreshed"). A statement depends on
    its enforcement action's current version, the acted-on user's signup
    (content_date of an account decision) and the two mapping seeds. A run
    recomputes the actions loaded after the table's watermark
    (`_inputs_loaded_at`) and the actions of users loaded after it; the
    pre-hook first deletes their statements, so an action that no longer
    restricts (now a warning) loses its statement. A changed mapping seed
    (its fingerprint differs from `_mappings_fingerprint`), an empty table or
    one without the lineage columns recomputes every action.
-#}

{#- The fingerprint of both mapping seeds. -#}
{% macro dsa_mappings_fingerprint() -%}
    {{ dbt.hash(
        relation_fingerprint(ref('dsa_policy_categories')) ~ " || '/' || "
        ~ relation_fingerprint(ref('dsa_action_restrictions'))
    ) }}
{%- endmacro %}


{#-
    The watermark of the current run as a timestamp literal's text, or none
    when every action is recomputed (see the header). Called by the model
    and by its pre-hook, both before the target changes, so both agree.
-#}
{% macro dsa_statements_watermark() -%}
    {%- if not incremental_with_columns(['_inputs_loaded_at', '_mappings_fingerprint']) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set watermark_query -%}
        select
            cast(max(_inputs_loaded_at) as varchar) as loaded_through,
            case
                when count(distinct _mappings_fingerprint) = 1
                    and max(_mappings_fingerprint) = {{ dsa_mappings_fingerprint() }} then 'same'
            end as mappings
        from {{ this }}
    {%- endset -%}
    {%- set row = run_query(watermark_query).rows[0] -%}
    {%- if row[0] is none or row[1] is none -%}
        {{ log(this ~ ": every statement recomputed", info=True) }}
        {{ return(none) }}
    {%- endif -%}
    {{ return(row[0]) }}
{%- endmacro %}


{#- The action ids whose statements a run with `watermark` recomputes. -#}
{% macro dsa_changed_actions(watermark) -%}
    select enforcement_actions.action_id
    from {{ ref('stg_marketplace__enforcement_actions') }} as enforcement_actions
    where enforcement_actions._loaded_at > cast('{{ watermark }}' as timestamp)

    union

    select enforcement_actions.action_id
    from {{ ref('stg_marketplace__enforcement_actions') }} as enforcement_actions
    inner join {{ ref('stg_marketplace__users') }} as users
        on enforcement_actions.user_id = users.user_id
    where users._loaded_at > cast('{{ watermark }}' as timestamp)
{%- endmacro %}


{#- Pre-hook: delete the statements the run recomputes (all of them when it recomputes every action). -#}
{% macro dsa_statements_clear_recomputed() -%}
    {%- if execute and is_incremental() -%}
        {%- set watermark = dsa_statements_watermark() -%}
        delete from {{ this }}
        {%- if watermark is not none %}
        where puid in ({{ dsa_changed_actions(watermark) }})
        {%- endif %}
    {%- endif -%}
{%- endmacro %}
