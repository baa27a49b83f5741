{#-
    95% Wilson score interval of a sampled proportion successes / trials
    (metrics.md "Sampled proportions", z = 1.96):

        p = x / n
        centre = (p + z^2 / (2n)) / (1 + z^2 / n)
        half   = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / (4 n^2))
        low = centre - half, high = centre + half

    Null when trials is 0 (a rate with a zero denominator is null).
-#}
{% macro wilson_low(successes, trials, z=1.96) -%}
    {{ _wilson_bound(successes, trials, z, '-') }}
{%- endmacro %}

{% macro wilson_high(successes, trials, z=1.96) -%}
    {{ _wilson_bound(successes, trials, z, '+') }}
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
