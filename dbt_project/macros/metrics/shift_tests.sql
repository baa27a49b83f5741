{#-
    Quality shifts (docs/metrics.md "Quality shifts and their drivers"):
    which metrics and dimensions fct_metric_shifts_weekly and
    fct_metric_shift_drivers_weekly cover, and the z statistics they test
    with. Plain SQL on column names (the arguments are repeated: pass
    columns, not long expressions); every division is guarded with nullif,
    so no engine ever divides by zero (Snowflake would raise).

    shift_metrics()
        {metric: 'rate' | 'mean'}: the seven metrics, in the order of the docs.

    shift_dimensions()
        The dimensions of int_shift_units, each {name, column, slice: the
        metrics it slices, driver: the metrics it decomposes}. The slice
        `all` is not listed (every metric has it). A dimension is never a
        driver of its own slices.

    sample_variance(n, value_sum, value_sq_sum)
        The sample variance (n - 1 denominator) from n units, the sum and the
        sum of squares of their values: (sum_sq - sum^2 / n) / (n - 1), a
        rounding residue below 0 taken as 0; null when n < 2.

    welch_z(n1, mean1, var1, n0, mean0, var0)
        (mean1 - mean0) / sqrt(var1 / n1 + var0 / n0): the difference of two
        means over Welch's (unpooled) standard error; null when a side has
        fewer than 2 units or both variances are 0.

    two_proportion_z(x1, n1, x0, n0)
        (x1 / n1 - x0 / n0) / sqrt(p (1 - p) (1 / n1 + 1 / n0)) with the
        pooled proportion p = (x1 + x0) / (n1 + n0); null when a side has no
        unit or p is 0 or 1 (no variation, the standard error is 0).
-#}

{% macro shift_metrics() -%}
    {{ return({
        'qa_score': 'mean',
        'policy_adherence_rate': 'rate',
        'critical_error_rate': 'rate',
        'csat_pct': 'rate',
        'appeal_overturn_rate': 'rate',
        'wrongful_enforcement_rate': 'rate',
        'first_reply_sla_attainment': 'rate',
    }) }}
{%- endmacro %}

{% macro shift_dimensions() -%}
    {%- set qa = ['qa_score', 'policy_adherence_rate', 'critical_error_rate'] -%}
    {%- set tickets = ['csat_pct', 'first_reply_sla_attainment'] -%}
    {%- set actions = ['appeal_overturn_rate', 'wrongful_enforcement_rate'] -%}
    {%- set every = qa + tickets + actions -%}
    {{ return([
        {'name': 'agent', 'column': 'agent_id', 'slice': [], 'driver': every},
        {'name': 'team', 'column': 'team', 'slice': every, 'driver': every},
        {'name': 'queue', 'column': 'queue', 'slice': qa + tickets, 'driver': qa + tickets},
        {'name': 'category', 'column': 'category', 'slice': qa + tickets, 'driver': qa + tickets},
        {'name': 'case_type', 'column': 'case_type', 'slice': qa, 'driver': qa},
        {'name': 'policy', 'column': 'policy', 'slice': qa + actions, 'driver': actions},
        {'name': 'priority', 'column': 'priority', 'slice': ['first_reply_sla_attainment'],
            'driver': ['first_reply_sla_attainment']},
        {'name': 'review_level', 'column': 'review_level', 'slice': ['appeal_overturn_rate'],
            'driver': ['appeal_overturn_rate']},
        {'name': 'detection_source', 'column': 'detection_source', 'slice': ['wrongful_enforcement_rate'],
            'driver': ['wrongful_enforcement_rate']},
    ]) }}
{%- endmacro %}

{% macro sample_variance(n, value_sum, value_sq_sum) -%}
    case
        when {{ n }} > 1 then
            case
                when {{ value_sq_sum }} - {{ value_sum }} * {{ value_sum }} / cast({{ n }} as double) > 0
                    then ({{ value_sq_sum }} - {{ value_sum }} * {{ value_sum }} / cast({{ n }} as double))
                    / cast({{ n }} - 1 as double)
                else 0.0
            end
    end
{%- endmacro %}

{% macro welch_z(n1, mean1, var1, n0, mean0, var0) -%}
    case
        when {{ n1 }} > 1 and {{ n0 }} > 1 then
            ({{ mean1 }} - {{ mean0 }})
            / nullif(sqrt({{ var1 }} / cast({{ n1 }} as double) + {{ var0 }} / cast({{ n0 }} as double)), 0)
    end
{%- endmacro %}

{% macro two_proportion_z(x1, n1, x0, n0) -%}
    case
        when {{ n1 }} > 0 and {{ n0 }} > 0 then
            (
                cast({{ x1 }} as double) / cast({{ n1 }} as double)
                - cast({{ x0 }} as double) / cast({{ n0 }} as double)
            )
            / nullif(sqrt(
                (cast({{ x1 }} + {{ x0 }} as double) / cast({{ n1 }} + {{ n0 }} as double))
                * (1.0 - cast({{ x1 }} + {{ x0 }} as double) / cast({{ n1 }} + {{ n0 }} as double))
                * (1.0 / cast({{ n1 }} as double) + 1.0 / cast({{ n0 }} as double))
            ), 0)
    end
{%- endmacro %}
