{#-
    Inter-rater agreement on nominal ratings (metrics.md "Calibration
    agreement"), as plain SQL queries (subqueries, group by, window
    functions: no dialect-specific syntax, so DuckDB and Snowflake share it).

    Vocabulary: a *unit* is what is rated (here a case within a session and
    rubric item); each coder gives at most one value per unit; null values
    are missing and must already be filtered out of `ratings`. With n_uc the
    number of values c in unit u and m_u = sum_c n_uc, only units with
    m_u >= 2 are *pairable*.

    calibration_value_counts(ratings, unit_columns, value_column)
        One row per unit x value: value_count = n_uc, unit_values = m_u.

    calibration_pairwise_agreement(value_counts, group_columns)
        Per group (e.g. session x rubric_item), pooled over pairable units:
          pairable_values = sum_u m_u
          agreeing_pairs  = sum_u sum_c n_uc (n_uc - 1)   (ordered pairs)
          ordered_pairs   = sum_u m_u (m_u - 1)
                          = sum over unit x value rows of n_uc (m_u - 1)

    calibration_krippendorff_alpha_nominal(value_counts, group_columns, value_column)
        Krippendorff's alpha, nominal metric, coincidence-matrix method
        (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"):
          o_ck = sum_u (ordered pairs (c, k) of values in u) / (m_u - 1)
          n_c  = sum_k o_ck = sum_u n_uc,  n = sum_c n_c  (pairable values)
          alpha = 1 - D_o / D_e
                = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k
        computed without materialising the matrix:
          sum_{c != k} o_ck   = sum_u sum_c n_uc (m_u - n_uc) / (m_u - 1)
          sum_{c != k} n_c n_k = n^2 - sum_c n_c^2
        Null when nothing is pairable or the pairable values show no
        variation (D_e = 0).
-#}

{% macro calibration_value_counts(ratings, unit_columns, value_column) -%}
    select
        {% for column in unit_columns -%}
        {{ column }},
        {% endfor -%}
        {{ value_column }},
        count(*) as value_count,
        sum(count(*)) over (partition by {{ unit_columns | join(', ') }}) as unit_values
    from {{ ratings }}
    group by
        {% for column in unit_columns -%}
        {{ column }},
        {% endfor -%}
        {{ value_column }}
{%- endmacro %}

{% macro calibration_pairwise_agreement(value_counts, group_columns) -%}
    select
        {% for column in group_columns -%}
        {{ column }},
        {% endfor -%}
        sum(value_count) as pairable_values,
        sum(value_count * (value_count - 1)) as agreeing_pairs,
        sum(value_count * (unit_values - 1)) as ordered_pairs
    from {{ value_counts }}
    where unit_values >= 2
    group by {{ group_columns | join(', ') }}
{%- endmacro %}

{% macro calibration_krippendorff_alpha_nominal(value_counts, group_columns, value_column) -%}
    select
        {% for column in group_columns -%}
        {{ column }},
        {% endfor -%}
        1 - cast(pairable_values - 1 as double) * observed_disagreement
            / nullif(pairable_values * pairable_values - sum_squared_marginals, 0) as krippendorff_alpha
    from (
        select
            {% for column in group_columns -%}
            {{ column }},
            {% endfor -%}
            sum(marginal) as pairable_values,
            sum(marginal * marginal) as sum_squared_marginals,
            sum(observed_disagreement_part) as observed_disagreement
        from (
            -- one row per group x value: n_c and this value's share of sum_{c != k} o_ck
            select
                {% for column in group_columns -%}
                {{ column }},
                {% endfor -%}
                {{ value_column }},
                sum(value_count) as marginal,
                sum(cast(value_count * (unit_values - value_count) as double) / (unit_values - 1))
                    as observed_disagreement_part
            from {{ value_counts }}
            where unit_values >= 2
            group by
                {% for column in group_columns -%}
                {{ column }},
                {% endfor -%}
                {{ value_column }}
        ) as marginals
        group by {{ group_columns | join(', ') }}
    ) as totals
{%- endmacro %}
