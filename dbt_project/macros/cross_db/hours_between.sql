{#-
    Fractional hours from start_ts to end_ts (negative when end_ts is
    earlier), computed from the microsecond difference, never from whole-hour
    boundaries: 48 h + 1 s is 48.000277..., not 48.
-#}
{% macro hours_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('hours_between', 'trustqa')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__hours_between(start_ts, end_ts) -%}
    cast({{ dbt.datediff(start_ts, end_ts, 'microsecond') }} as double) / 3600000000
{%- endmacro %}

{% macro duckdb__hours_between(start_ts, end_ts) -%}
    cast(date_diff('microsecond', {{ start_ts }}, {{ end_ts }}) as double) / 3600000000
{%- endmacro %}

{% macro snowflake__hours_between(start_ts, end_ts) -%}
    cast(datediff(microsecond, {{ start_ts }}, {{ end_ts }}) as double) / 3600000000
{%- endmacro %}
