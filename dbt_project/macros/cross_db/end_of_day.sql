{#-
    "End of day D" (metrics.md): D 23:59:59.999999 UTC, as a timestamp
    without time zone.
-#}
{% macro end_of_day(date_expression) -%}
    {{ return(adapter.dispatch('end_of_day', 'trustqa')(date_expression)) }}
{%- endmacro %}

{% macro default__end_of_day(date_expression) -%}
    cast({{ dbt.dateadd('microsecond', -1, dbt.dateadd('day', 1, 'cast(' ~ date_expression ~ ' as timestamp)')) }} as timestamp)
{%- endmacro %}

{% macro duckdb__end_of_day(date_expression) -%}
    (cast({{ date_expression }} as timestamp) + interval 1 day - interval 1 microsecond)
{%- endmacro %}

{% macro snowflake__end_of_day(date_expression) -%}
    dateadd(microsecond, -1, dateadd(day, 1, cast({{ date_expression }} as timestamp_ntz)))
{%- endmacro %}
