{#-
    JSON array-of-strings text ('["vip","refund"]') -> a list: VARCHAR[] on
    DuckDB, ARRAY on Snowflake. Null stays null; '[]' is an empty list.
-#}
{% macro parse_string_list(expression) -%}
    {{ return(adapter.dispatch('parse_string_list', 'trustqa')(expression)) }}
{%- endmacro %}

{% macro default__parse_string_list(expression) -%}
    {{ expression }}
{%- endmacro %}

{% macro duckdb__parse_string_list(expression) -%}
    from_json({{ expression }}, '["VARCHAR"]')
{%- endmacro %}

{% macro snowflake__parse_string_list(expression) -%}
    cast(try_parse_json({{ expression }}) as array)
{%- endmacro %}
