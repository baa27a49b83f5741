{#-
    History: every version of each key with its half-open validity interval
    [valid_from, valid_to) in the version order.

      version_number  1..n per key in version order
      valid_from      = updated_at
      valid_to        = the next version's updated_at, null for the last
      is_current      = the last version

    Intervals are contiguous (valid_to = the next valid_from) and never
    overlap. A version that loses an updated_at tie gets valid_to =
    valid_from: an empty interval, never valid at any instant.
    `relation` is a CTE produced by raw_versions().
-#}
{% macro version_history(relation, key) -%}
    select
        numbered_versions.*,
        numbered_versions.version_number = numbered_versions.version_count as is_current
    from (
        select
            versions.*,
            row_number() over (
                partition by versions.{{ key }}
                order by {{ version_order('asc') }}
            ) as version_number,
            count(*) over (partition by versions.{{ key }}) as version_count,
            versions.updated_at as valid_from,
            lead(versions.updated_at) over (
                partition by versions.{{ key }}
                order by {{ version_order('asc') }}
            ) as valid_to
        from {{ relation }} as versions
    ) as numbered_versions
{%- endmacro %}
