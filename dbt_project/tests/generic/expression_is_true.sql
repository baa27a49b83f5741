{#- Fails for every row where the boolean expression is false or null. -#}
{% test expression_is_true(model, expression) %}

with

violations as (
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
)

select * from violations

{% endtest %}
