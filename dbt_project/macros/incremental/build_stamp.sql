{#-
    When this dbt invocation started (UTC, a timestamp without time zone):
    the `_built_at` of every row an incremental history model writes. A
    delete+insert run rewrites every row of the keys it rebuilds, so the rows
    of the latest build are exactly those with the greatest `_built_at`, and
    the keys they hold are the keys that build touched.
-#}
{% macro build_stamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}
