{#-
    History: every version of each key with its half-open validity interval
    [valid_from, valid_to) in the version order, and the days on which it is
    the version known at the end of the day.

      version_number  1..n per key in version order
      valid_from      = updated_at
      valid_to        = the next version's updated_at, null for the last
      is_current      = the last version
      known_from_day  first day D whose end-of-day view can see this version:
                      greatest(export_date, UTC date of updated_at)
      known_to_day    first day (exclusive) on which a version later in the
                      version order becomes visible; null when none does

    Intervals are contiguous (valid_to = the next valid_from) and never
    overlap. A version that loses an updated_at tie gets valid_to =
    valid_from: an empty interval, never valid at any instant.

    Known as of D (metrics.md "Risk features"): the version known at the end
    of D is the last, in version order, of the versions from export files
    dated D or earlier whose updated_at is at or before the end of D. The
    visible set only grows with D, so each version is the known one on a
    half-open range of days [known_from_day, known_to_day): from the day it
    becomes visible until the first day a later version becomes visible (the
    minimum known_from_day over the versions after it). A back-dated
    correction that arrives in a later file but sorts before an already
    visible version gets an empty range (known_to_day <= known_from_day):
    it is never the known version. So "known at D" is the range join
    `known_from_day <= D and (known_to_day is null or known_to_day > D)`,
    and adding later export files never changes what was known at D.

    `relation` is a CTE produced by raw_versions().
-#}
{% macro version_history(relation, key) -%}
    select
        numbered_versions.*,
        numbered_versions.version_number = numbered_versions.version_count as is_current,
        lead(numbered_versions._visible_from_here_on) over (
            partition by numbered_versions.{{ key }}
            order by numbered_versions.version_number
        ) as known_to_day
    from (
        select
            visible_versions.*,
            row_number() over (
                partition by visible_versions.{{ key }}
                order by {{ version_order('asc') }}
            ) as version_number,
            count(*) over (partition by visible_versions.{{ key }}) as version_count,
            visible_versions.updated_at as valid_from,
            lead(visible_versions.updated_at) over (
                partition by visible_versions.{{ key }}
                order by {{ version_order('asc') }}
            ) as valid_to,
            {#- the first day on which this version or any later one is visible -#}
            min(visible_versions.known_from_day) over (
                partition by visible_versions.{{ key }}
                order by {{ version_order('desc') }}
                rows between unbounded preceding and current row
            ) as _visible_from_here_on
        from (
            select
                versions.*,
                greatest(versions.export_date, cast(versions.updated_at as date)) as known_from_day
            from {{ relation }} as versions
        ) as visible_versions
    ) as numbered_versions
{%- endmacro %}
