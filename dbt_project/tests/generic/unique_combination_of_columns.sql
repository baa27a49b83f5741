{#-
    Fails for every combination of the given columns that occurs more than
    once. Nulls form their own group (GROUP BY semantics), so two rows that
    differ only by holding null in the same column count as duplicates: a
    null grain value is one group, as metrics.md requires.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

grouped as (
    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
),

duplicates as (
    select *
    from grouped
    where occurrences > 1
)

select * from duplicates

{% endtest %}
