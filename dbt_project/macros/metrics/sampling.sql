{#-
    Sample sizes and margins for the QA sampling plan (docs/metrics.md
    "QA sampling plan"). Plain SQL on both adapters.

    normal_quantile(p)
        The standard normal quantile z with P(Z <= z) = p, 0 < p < 1, by
        Acklam's rational approximation (relative error below 1.2e-9):
        z(0.975) = 1.959963985.
    proportion_sample_size(z, p, margin, population)
        Reviews needed to estimate a proportion p within +- margin at the
        confidence of z, with the finite-population correction:
            n0 = z^2 p (1 - p) / margin^2,  n = n0 / (1 + (n0 - 1) / N),
        rounded up (a hair of floating-point error is not a review); 0 when
        the population N is 0.
    wilson_half_width(z, p, n)
        Half the width of the Wilson score interval of a proportion p from n
        reviews: z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / (4 n^2));
        null when n is 0.
-#}

{% macro normal_quantile(probability) -%}
    {#- a double: a decimal literal would make DuckDB multiply decimals past their scale -#}
    {%- set p = 'cast(' ~ probability ~ ' as double)' -%}
    {%- set a = [
        -39.69683028665376, 220.9460984245205, -275.9285104469687,
        138.3577518672690, -30.66479806614716, 2.506628277459239,
    ] -%}
    {%- set b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572] -%}
    {%- set c = [
        -0.007784894002430293, -0.3223964580411365, -2.400758277161838,
        -2.549732539343734, 4.374664141464968, 2.938163982698783,
    ] -%}
    {%- set d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416] -%}
    {%- set tail_q = 'sqrt(-2.0 * ln(case when (' ~ p ~ ') < 0.5 then (' ~ p ~ ') else 1.0 - (' ~ p ~ ') end))' -%}
    {%- set r = '((' ~ p ~ ') - 0.5) * ((' ~ p ~ ') - 0.5)' -%}
    case
        when ({{ p }}) is null or ({{ p }}) <= 0 or ({{ p }}) >= 1 then null
        when ({{ p }}) between 0.02425 and 0.97575 then
            ((((({{ a[0] }} * {{ r }} + {{ a[1] }}) * {{ r }} + {{ a[2] }}) * {{ r }} + {{ a[3] }}) * {{ r }} + {{ a[4] }}) * {{ r }} + {{ a[5] }})
            * (({{ p }}) - 0.5)
            / ((((({{ b[0] }} * {{ r }} + {{ b[1] }}) * {{ r }} + {{ b[2] }}) * {{ r }} + {{ b[3] }}) * {{ r }} + {{ b[4] }}) * {{ r }} + 1.0)
        else
            (case when ({{ p }}) < 0.5 then 1.0 else -1.0 end)
            * ((((({{ c[0] }} * {{ tail_q }} + {{ c[1] }}) * {{ tail_q }} + {{ c[2] }}) * {{ tail_q }} + {{ c[3] }}) * {{ tail_q }} + {{ c[4] }}) * {{ tail_q }} + {{ c[5] }})
            / (((({{ d[0] }} * {{ tail_q }} + {{ d[1] }}) * {{ tail_q }} + {{ d[2] }}) * {{ tail_q }} + {{ d[3] }}) * {{ tail_q }} + 1.0)
    end
{%- endmacro %}

{% macro proportion_sample_size(z, p, margin, population) -%}
    case
        when ({{ population }}) is null or ({{ p }}) is null then null
        when ({{ population }}) <= 0 then 0
        else cast(ceil(
            (({{ z }}) * ({{ z }}) * ({{ p }}) * (1.0 - ({{ p }})) / (({{ margin }}) * ({{ margin }})))
            / (1.0 + (({{ z }}) * ({{ z }}) * ({{ p }}) * (1.0 - ({{ p }})) / (({{ margin }}) * ({{ margin }})) - 1.0)
                / ({{ population }}))
            - 1e-9
        ) as bigint)
    end
{%- endmacro %}

{% macro wilson_half_width(z, p, n) -%}
    case
        when ({{ n }}) > 0 then
            ({{ z }}) / (1.0 + ({{ z }}) * ({{ z }}) / ({{ n }}))
            * sqrt(({{ p }}) * (1.0 - ({{ p }})) / ({{ n }}) + ({{ z }}) * ({{ z }}) / (4.0 * ({{ n }}) * ({{ n }})))
    end
{%- endmacro %}
