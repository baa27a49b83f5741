{#-
    Calendar helpers for the support marts (dim_date).

    support_day_offsets(): a relation of integers `day_offset` 0..99999
    (about 273 years of days), built from a cross join of five ten-row digit
    lists. Plain SQL, so it compiles on every adapter (no generate_series /
    generator table function, whose row count must be a constant on
    Snowflake); callers filter it to the range they need.

    support_iso_day_of_week(date_expression): ISO day of week, Monday = 1 ..
    Sunday = 7, independent of session week-start settings (dispatch:
    duckdb isodow, snowflake dayofweekiso, default extract(isodow)).
-#}
{% macro support_day_offsets() -%}
    select
        digits_1.digit
        + 10 * digits_10.digit
        + 100 * digits_100.digit
        + 1000 * digits_1000.digit
        + 10000 * digits_10000.digit as day_offset
    {%- set digit_list -%}
        (
            select 0 as digit
            {%- for i in range(1, 10) %}
            union all select {{ i }}
            {%- endfor %}
        )
    {%- endset %}
    from {{ digit_list }} as digits_1
    cross join {{ digit_list }} as digits_10
    cross join {{ digit_list }} as digits_100
    cross join {{ digit_list }} as digits_1000
    cross join {{ digit_list }} as digits_10000
{%- endmacro %}

{% macro support_iso_day_of_week(date_expression) -%}
    {{ return(adapter.dispatch('support_iso_day_of_week', 'trustqa')(date_expression)) }}
{%- endmacro %}

{% macro default__support_iso_day_of_week(date_expression) -%}
    cast(extract(isodow from {{ date_expression }}) as integer)
{%- endmacro %}

{% macro duckdb__support_iso_day_of_week(date_expression) -%}
    cast(isodow({{ date_expression }}) as integer)
{%- endmacro %}

{% macro snowflake__support_iso_day_of_week(date_expression) -%}
    cast(dayofweekiso({{ date_expression }}) as integer)
{%- endmacro %}
