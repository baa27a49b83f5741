{#-
    A scalar subquery: a hash of every row and column of `relation` (a seed:
    a small table), in a fixed order. An incremental model that joins a
    mapping or rules seed stores it in its rows, so a changed seed is seen
    and every row recomputed (a watermark on load times does not see a seed).
    Null at parse time and in a unit test (no table to read).
-#}
{% macro relation_fingerprint(relation) -%}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        cast(null as varchar)
    {%- else -%}
        {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
        {%- set row_text -%}
            {%- for column in columns -%}
                coalesce(cast({{ adapter.quote(column) }} as varchar), '') {%- if not loop.last %} || '|' || {% endif -%}
            {%- endfor -%}
        {%- endset -%}
        (
            select {{ dbt.hash(dbt.listagg(row_text, "';'", 'order by ' ~ row_text)) }} as fingerprint
            from {{ relation }}
        )
    {%- endif -%}
{%- endmacro %}
