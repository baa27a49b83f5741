{#-
    ISO-8601 text with an offset ('2026-11-01T15:03:22.5+01:00', '...Z',
    '...+05:30') -> the same instant as a UTC timestamp without time zone.
    The result does not depend on the session time zone: the offset in the
    text fixes the instant, and the conversion names UTC explicitly.
-#}
{% macro to_utc_timestamp(expression) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'trustqa')(expression)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(expression) -%}
    cast(cast({{ expression }} as timestamp with time zone) at time zone 'UTC' as timestamp)
{%- endmacro %}

{#- DuckDB (ICU): timestamptz parses the offset; `at time zone 'UTC'` gives the UTC wall clock. -#}
{% macro duckdb__to_utc_timestamp(expression) -%}
    cast(cast({{ expression }} as timestamptz) at time zone 'UTC' as timestamp)
{%- endmacro %}

{#-
    Snowflake: a cast to timestamp_tz (AUTO input format, same as
    to_timestamp_tz) keeps the offset; convert to UTC, then drop it.
-#}
{% macro snowflake__to_utc_timestamp(expression) -%}
    cast(convert_timezone('UTC', cast({{ expression }} as timestamp_tz)) as timestamp_ntz)
{%- endmacro %}
