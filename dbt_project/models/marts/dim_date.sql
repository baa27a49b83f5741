-- One row per UTC calendar day from the first export day to the as-of day
-- (int_run_as_of), for joining daily marts to a complete calendar.

with

run_as_of as (
    select * from {{ ref('int_run_as_of') }}
),

day_offsets as (
    {{ support_day_offsets() }}
),

calendar_days as (
    select
        cast({{ dbt.dateadd('day', 'day_offsets.day_offset', 'run_as_of.first_export_day') }} as date) as day
    from day_offsets
    cross join run_as_of
    where
        day_offsets.day_offset
        <= {{ dbt.datediff('run_as_of.first_export_day', 'run_as_of.as_of_day', 'day') }}
),

calendar_attributes as (
    select
        day,
        {{ support_iso_day_of_week('day') }} as day_of_week
    from calendar_days
),

final as (
    select
        day,
        cast({{ dbt.dateadd('day', '1 - day_of_week', 'day') }} as date) as week_start,
        day_of_week,
        day_of_week >= 6 as is_weekend,
        cast({{ dbt.date_trunc('month', 'day') }} as date) as month_start,
        cast(extract(year from day) as integer) as year,
        cast(extract(month from day) as integer) as month,
        cast(extract(day from day) as integer) as day_of_month
    from calendar_attributes
)

select * from final
