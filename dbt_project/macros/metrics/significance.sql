{#-
    Significance in plain SQL (no dialect-specific function: DuckDB and
    Snowflake share it). docs/metrics.md "Significance" says how the marts
    use them.

    normal_upper_tail(x)
        Q(|x|) = P(Z > |x|) for a standard normal Z: the upper tail at the
        absolute value. Hart's double-precision rational approximation (as
        given by G. West, "Better approximations to cumulative normal
        functions", Wilmott Magazine 2005): a ratio of two polynomials
        times exp(-x^2 / 2) below |x| = 7.07, a continued fraction above,
        zero beyond 37 (below the smallest double). Absolute error below
        1e-14 (tests/test_significance_macros.py checks it against SciPy).
        Null when x is null.

    two_sided_p_value(z)
        2 Q(|z|): the two-sided p-value of a z statistic, at most 1.

    benjamini_hochberg(relation, p_column, partition_by)
        Every row of `relation` with `q_value` (and helper columns `_bh_*`:
        select the columns you need), the Benjamini-Hochberg
        adjusted p-value within its partition: with the m non-null p-values
        of a partition sorted ascending, p_(1) <= ... <= p_(m),
            q_(i) = min over j >= i of ( m * p_(j) / j ), at most 1.
        A test is significant at false-discovery rate alpha when q <= alpha
        (q < alpha in the marts). Tied p-values get the same q. Rows with a
        null p-value (not tested) get a null q and do not count in m.
-#}

{% macro normal_upper_tail(x) -%}
    case
        when ({{ x }}) is null then null
        when abs({{ x }}) > 37 then 0.0
        when abs({{ x }}) < 7.07106781186547 then
            exp(-abs({{ x }}) * abs({{ x }}) / 2.0)
            * ((((((0.0352624965998911 * abs({{ x }}) + 0.700383064443688) * abs({{ x }})
                + 6.37396220353165) * abs({{ x }}) + 33.912866078383) * abs({{ x }})
                + 112.079291497871) * abs({{ x }}) + 221.213596169931) * abs({{ x }})
                + 220.206867912376)
            / (((((((0.0883883476483184 * abs({{ x }}) + 1.75566716318264) * abs({{ x }})
                + 16.064177579207) * abs({{ x }}) + 86.7807322029461) * abs({{ x }})
                + 296.564248779674) * abs({{ x }}) + 637.333633378831) * abs({{ x }})
                + 793.826512519948) * abs({{ x }}) + 440.413735824752)
        else
            exp(-abs({{ x }}) * abs({{ x }}) / 2.0)
            / (abs({{ x }}) + 1.0 / (abs({{ x }}) + 2.0 / (abs({{ x }}) + 3.0 / (abs({{ x }})
                + 4.0 / (abs({{ x }}) + 0.65)))))
            / 2.506628274631
    end
{%- endmacro %}

{% macro two_sided_p_value(z) -%}
    {#- not least(): DuckDB's ignores a null argument, Snowflake's returns null -#}
    case when ({{ z }}) is not null then 2.0 * ({{ normal_upper_tail(z) }}) end
{%- endmacro %}

{% macro benjamini_hochberg(relation, p_column, partition_by) -%}
    select
        ranked.*,
        case
            when ranked.{{ p_column }} is null then null
            when ranked._bh_running_min > 1 then 1.0
            {# m p / m can round below p in floating point; a q-value is never below its p-value #}
            when ranked._bh_running_min < ranked.{{ p_column }} then ranked.{{ p_column }}
            else ranked._bh_running_min
        end as q_value
    from (
        select
            numbered.*,
            min(numbered.{{ p_column }} * numbered._bh_tests / numbered._bh_rank) over (
                partition by {{ partition_by | join(', ') }}
                order by numbered._bh_rank desc
                rows between unbounded preceding and current row
            ) as _bh_running_min
        from (
            select
                tested.*,
                count(tested.{{ p_column }}) over (partition by {{ partition_by | join(', ') }}) as _bh_tests,
                row_number() over (
                    partition by {{ partition_by | join(', ') }}
                    order by case when tested.{{ p_column }} is null then 1 else 0 end, tested.{{ p_column }}
                ) as _bh_rank
            from {{ relation }} as tested
        ) as numbered
    ) as ranked
{%- endmacro %}
