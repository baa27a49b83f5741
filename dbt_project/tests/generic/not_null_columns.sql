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

{%- set rules = [] %}
{%- for column in columns %}
    {%- do rules.append([column, column ~ ' is null']) %}
{%- endfor %}
{{ failing_rows_per_rule(model, rules, 'null_column', 'null_values') }}

{% endtest %}
