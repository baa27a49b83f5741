{#-
    Leave-one-out consensus (metrics.md "Reviewer calibration"), as a plain
    SQL query common to DuckDB and Snowflake.

    calibration_leave_one_out_consensus(ratings, unit_columns, coder_column, value_column)
        One row per rating (unit x coder; each coder rates a unit at most
        once, null values already filtered out). The consensus of a rating
        is the majority value among the OTHER coders' values of the same
        unit: a value with strictly more votes than any other value, from at
        least two other values; otherwise there is no consensus. Returns the
        unit columns, the coder, the value and
          other_values       number of other coders' values in the unit
          has_consensus      the others reach a consensus
          matches_consensus  has_consensus and the value equals it
        Each rating is compared with every value present in its unit
        (candidates); a candidate's votes among the others are its count in
        the unit, minus one when it is the rating's own value. Units are
        joined null-safely (`is not distinct from`), so a null unit key is a
        unit of its own.
-#}

{% macro calibration_leave_one_out_consensus(ratings, unit_columns, coder_column, value_column) -%}
    {%- set rating_key = unit_columns + [coder_column] -%}
    select
        {% for column in rating_key -%}
        {{ column }},
        {% endfor -%}
        {{ value_column }},
        other_values,
        (other_values >= 2 and leading_values = 1) as has_consensus,
        (other_values >= 2 and leading_values = 1 and own_value_leads = 1) as matches_consensus
    from (
        select
            {% for column in rating_key -%}
            {{ column }},
            {% endfor -%}
            {{ value_column }},
            sum(other_votes) as other_values,
            count(case when other_votes = top_votes then 1 end) as leading_values,
            max(case when candidate_value = {{ value_column }} and other_votes = top_votes then 1 else 0 end)
                as own_value_leads
        from (
            select
                candidates.*,
                max(other_votes) over (partition by {{ rating_key | join(', ') }}) as top_votes
            from (
                select
                    {% for column in rating_key -%}
                    rating.{{ column }},
                    {% endfor -%}
                    rating.{{ value_column }},
                    unit_value.{{ value_column }} as candidate_value,
                    unit_value.value_count
                        - case when unit_value.{{ value_column }} = rating.{{ value_column }} then 1 else 0 end
                        as other_votes
                from {{ ratings }} as rating
                inner join (
                    {{ calibration_value_counts(ratings, unit_columns, value_column) | indent(16) }}
                ) as unit_value
                    on
                    {%- for column in unit_columns %}
                        {% if not loop.first %}and {% endif -%}
                        rating.{{ column }} is not distinct from unit_value.{{ column }}
                    {%- endfor %}
            ) as candidates
        ) as ranked_candidates
        group by
            {% for column in rating_key -%}
            {{ column }},
            {% endfor -%}
            {{ value_column }}
    ) as per_rating
{%- endmacro %}
