{#-
    Continuous percentile (linear interpolation) as an aggregate; nulls are
    ignored. DuckDB and Snowflake both accept the standard ordered-set
    syntax, so they share the default; another adapter can override it.
-#}
{% macro percentile_continuous(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_continuous', 'trustqa')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile_continuous(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}
