{#-
    Several boolean rules of one model in one query: one row per rule that
    is false or null on some row (`expression`, `failing_rows`), and the
    failure count is the number of failing rows summed over the rules. Same
    rule as expression_is_true on each expression, in one dbt node and one
    scan of the model instead of one of each per rule (dbt spends tens of
    milliseconds of Python on every test node whatever the data). A rule with
    a config of its own (a `severity: warn`) keeps its own expression_is_true.
-#}
{% test expressions_are_true(model, expressions) %}

{{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}

with

failing_counts as (
    select
{%- for expression in expressions %}
        sum(case when coalesce({{ expression }}, false) then 0 else 1 end) as failing_{{ loop.index }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ model }}
),

per_expression as (
{%- for expression in expressions %}
    select
        '{{ expression | replace("'", "''") }}' as expression,
        failing_{{ loop.index }} as failing_rows
    from failing_counts
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select *
from per_expression
where failing_rows > 0

{% endtest %}
