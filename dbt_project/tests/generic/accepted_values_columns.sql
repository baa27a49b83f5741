{#-
    dbt's accepted_values on several columns of one model, in one dbt node:
    `columns` maps each column to its accepted values (a string is compared
    as a string, a number or boolean as itself). One row per column and value
    outside its list (`value_column`, `value` as text, `n_records`): the
    failure count is the number of distinct unaccepted values, as the sum of
    one accepted_values test per column would be. Nulls pass, as there.
-#}
{% test accepted_values_columns(model, columns) %}

with

unaccepted as (
{%- for column, values in columns.items() %}
    select
        '{{ column }}' as value_column,
        cast({{ column }} as {{ dbt.type_string() }}) as value,
        count(*) as n_records
    from {{ model }}
    where
        {{ column }} is not null
        and {{ column }} not in (
            {%- for value in values -%}
            {%- if value is string -%}'{{ value | replace("'", "''") }}'{%- else -%}{{ value }}{%- endif -%}
            {%- if not loop.last %}, {% endif -%}
            {%- endfor -%}
        )
    group by {{ column }}
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}
)

select * from unaccepted

{% endtest %}
