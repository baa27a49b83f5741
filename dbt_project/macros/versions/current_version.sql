{#-
    Current state: the last version of each key in the version order.
    `relation` is a CTE (or relation) produced by raw_versions(); the result
    keeps its columns plus `_recency_rank` (always 1), which models leave out
    of their final select.
-#}
{% macro current_version(relation, key) -%}
    select *
    from (
        select
            versions.*,
            row_number() over (
                partition by versions.{{ key }}
                order by {{ version_order('desc') }}
            ) as _recency_rank
        from {{ relation }} as versions
    ) as ranked_versions
    where _recency_rank = 1
{%- endmacro %}
