{#-
    Checks a history model built by version_history(): per key, version
    numbers run 1..n, exactly the last version is current, valid_from =
    updated_at, each valid_to equals the next version's valid_from (so
    intervals are contiguous and never overlap), valid_to >= valid_from, and
    only the last version has a null valid_to.
-#}
{% test valid_history_intervals(model, key) %}

with

versions as (
    select
        {{ key }} as history_key,
        version_number,
        valid_from,
        valid_to,
        updated_at,
        is_current,
        lead(valid_from) over (partition by {{ key }} order by version_number) as next_valid_from,
        count(*) over (partition by {{ key }}) as version_count
    from {{ model }}
),

violations as (
    select *
    from versions
    where
        version_number < 1
        or version_number > version_count
        or valid_from <> updated_at
        or is_current <> (version_number = version_count)
        or (next_valid_from is null and valid_to is not null)
        or (next_valid_from is not null and (valid_to is null or valid_to <> next_valid_from))
        or valid_to < valid_from
)

select * from violations

{% endtest %}
