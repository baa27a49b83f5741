{#-
    The body of a data test that checks several rules of one model in one
    scan: `rules` is a list of [label, condition], the condition true on a
    row that breaks the rule. One row per rule broken by some row, holding
    the label in `label_column` and the number of breaking rows in
    `count_column`. Used by not_null_columns and expressions_are_true.
-#}
{% macro failing_rows_per_rule(model, rules, label_column, count_column) %}

with

failing_counts as (
    select
{%- for rule in rules %}
        sum(case when {{ rule[1] }} then 1 else 0 end) as failing_{{ loop.index }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ model }}
),

per_rule as (
{%- for rule in rules %}
    select
        '{{ rule[0] | replace("'", "''") }}' as {{ label_column }},
        failing_{{ loop.index }} as {{ count_column }}
    from failing_counts
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select *
from per_rule
where {{ count_column }} > 0

{% endmacro %}
