{#-
    95% Wilson score interval of a sampled proportion successes / trials
    (metrics.md "Sampled proportions", z = 1.96):

        p = x / n
        centre = (p + z^2 / (2n)) / (1 + z^2 / n)
        half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / (4 n^2))
        low = centre - half, high = centre + half

    Null when trials is 0 (a rate with a zero denominator is null). The
    bounds lie in [0, 1] by construction; in floating point the lower bound
    of 0 successes can come out as -3e-17 (seen at scale), so both are
    clamped to [0, 1], which only removes rounding error.
-#}
{% macro wilson_low(successes, trials, z=1.96) -%}
    {{ _clamp_to_unit(_wilson_bound(successes, trials, z, '-'), trials) }}
{%- endmacro %}

{% macro wilson_high(successes, trials, z=1.96) -%}
    {{ _clamp_to_unit(_wilson_bound(successes, trials, z, '+'), trials) }}
{%- endmacro %}

{#- greatest/least return null for null input on Snowflake but not on DuckDB: keep the null explicit. -#}
{% macro _clamp_to_unit(bound, trials) -%}
    case when cast({{ trials }} as double) > 0 then least(1.0, greatest(0.0, {{ bound }})) end
{%- endmacro %}

{% macro _wilson_bound(successes, trials, z, sign) -%}
    {%- set n = 'cast(' ~ trials ~ ' as double)' -%}
    {%- set p = '(cast(' ~ successes ~ ' as double) / nullif(' ~ n ~ ', 0))' -%}
    {%- set z2 = z * z -%}
    (
        ({{ p }} + {{ z2 }} / (2 * {{ n }}))
        {{ sign }} {{ z }} * sqrt({{ p }} * (1 - {{ p }}) / {{ n }} + {{ z2 }} / (4 * {{ n }} * {{ n }}))
    ) / (1 + {{ z2 }} / {{ n }})
{%- endmacro %}
