{#-
    Exact schema names: a node configured with `schema: staging` lands in
    `staging`, not `<target schema>_staging`. Nodes without a custom schema
    land in the target's schema (`main` on DuckDB, `trustqa` on Snowflake).
    Layout: raw (loader), staging, intermediate, marts, reference (seeds).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
