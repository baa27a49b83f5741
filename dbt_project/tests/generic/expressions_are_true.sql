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

{%- set rules = [] %}
{%- for expression in expressions %}
    {%- do rules.append([expression, 'not coalesce(' ~ expression ~ ', false)']) %}
{%- endfor %}
{{ failing_rows_per_rule(model, rules, 'expression', 'failing_rows') }}

{% endtest %}
