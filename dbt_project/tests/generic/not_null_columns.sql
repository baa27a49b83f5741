{#-
    The not_null test of several columns of one model in one query: one row
    per listed column that holds nulls (`null_column`, `null_values`), and
    the failure count is the number of null values. Same rule as dbt's
    not_null on each column, in one dbt node and one scan of the model
    instead of one of each per column: dbt spends tens of milliseconds of
    Python on every test node whatever the data, and a run tests about 280
    not-null columns (docs/testing.md).
-#}
{% test not_null_columns(model, columns) %}

{{ config(fail_calc='coalesce(sum(null_values), 0)') }}

with

null_counts as (
    select
{%- for column in columns %}
        sum(case when {{ column }} is null then 1 else 0 end) as nulls_{{ loop.index }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ model }}
),

per_column as (
{%- for column in columns %}
    select
        '{{ column }}' as null_column,
        nulls_{{ loop.index }} as null_values
    from null_counts
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select *
from per_column
where null_values > 0

{% endtest %}
