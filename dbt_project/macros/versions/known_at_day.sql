{#-
    True when the history row `alias` is the version of its record known at
    the end of `day_expression` (metrics.md "Risk features"; see
    version_history for the known_from_day / known_to_day range). `prefix`
    names a range carried under other names, e.g. 'dispute_' for the
    dispute_known_from_day / dispute_known_to_day of a joined relation.
-#}
{% macro known_at_day(alias, day_expression, prefix='') -%}
    ({{ alias }}.{{ prefix }}known_from_day <= {{ day_expression }}
        and ({{ alias }}.{{ prefix }}known_to_day is null or {{ alias }}.{{ prefix }}known_to_day > {{ day_expression }}))
{%- endmacro %}


{#-
    True when the history row `alias` is the known version on at least one
    day of [first_day, last_day]: a cheap pre-filter before a known_at_day
    range join.
-#}
{% macro known_during(alias, first_day, last_day) -%}
    ({{ alias }}.known_from_day <= {{ last_day }}
        and ({{ alias }}.known_to_day is null
            or ({{ alias }}.known_to_day > {{ first_day }} and {{ alias }}.known_to_day > {{ alias }}.known_from_day)))
{%- endmacro %}
