{#-
    The Monday of the ISO week of a date (or timestamp), as a date.

    Not dbt.date_trunc('week', ...): DuckDB truncates to Monday, but
    Snowflake's date_trunc('week') follows the session parameter WEEK_START
    (0 or 1 = Monday, 7 = Sunday, ...), so the same SQL could give a Sunday
    there. Day-of-week arithmetic on the ISO day of week (Monday = 1,
    support_iso_day_of_week: DuckDB isodow, Snowflake dayofweekiso, neither
    affected by WEEK_START) gives the Monday on every target:
    date - (isodow - 1) days. Null stays null.
-#}
{% macro iso_week_start(date_expression) -%}
    cast(
        {{ dbt.dateadd(
            'day',
            '1 - ' ~ support_iso_day_of_week('cast(' ~ date_expression ~ ' as date)'),
            'cast(' ~ date_expression ~ ' as date)',
        ) }}
        as date
    )
{%- endmacro %}
