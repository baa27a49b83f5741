-- The sampling strata of QA reviews (docs/metrics.md "QA sampling plan"):
-- one row per cell (case_type, base_value, category) of int_qa_cases with
-- the stratum its cases belong to. base_value is the ticket's queue, or the
-- policy of an enforcement or appeal case ('unknown' when null; a null
-- category is 'unknown' too).
--
-- Size: a cell's average weekly population, its cases closed in the basis
-- (the last qa_strata_basis_days up to the as-of day, fewer when the data is
-- younger) x 7 / the basis days. A base (case_type, base_value) whose weekly
-- population is below qa_stratum_min_weekly_cases joins '<case_type>/other';
-- in a kept base, a category with at least qa_stratum_split_weekly_cases a
-- week is its own stratum '<case_type>/<base_value>/<category>', the other
-- categories stay together as '<case_type>/<base_value>'. One mapping for
-- every week of a run, so a stratum means the same cases in every week.

{%- set basis_days = var('qa_strata_basis_days', 56) %}

with

qa_cases as (
    select * from {{ ref('int_qa_cases') }}
),

run_as_of as (
    select * from {{ ref('int_run_as_of') }}
),

basis as (
    select
        as_of_day,
        case
            when {{ dbt.datediff('first_export_day', 'as_of_day', 'day') }} + 1 < {{ basis_days }}
                then {{ dbt.datediff('first_export_day', 'as_of_day', 'day') }} + 1
            else {{ basis_days }}
        end as basis_days
    from run_as_of
),

cells as (
    select
        qa_cases.case_type,
        coalesce(case when qa_cases.case_type = 'ticket' then qa_cases.queue else qa_cases.policy end, 'unknown')
            as base_value,
        coalesce(qa_cases.category, 'unknown') as category,
        count(
            case
                when
                    cast(qa_cases.closed_at as date) <= basis.as_of_day
                    and {{ dbt.datediff('cast(qa_cases.closed_at as date)', 'basis.as_of_day', 'day') }}
                    < basis.basis_days
                    then 1
            end
        ) as basis_cases,
        max(basis.basis_days) as basis_days
    from qa_cases
    cross join basis
    group by
        qa_cases.case_type,
        coalesce(case when qa_cases.case_type = 'ticket' then qa_cases.queue else qa_cases.policy end, 'unknown'),
        coalesce(qa_cases.category, 'unknown')
),

sized as (
    select
        case_type,
        base_value,
        category,
        basis_cases * 7.0 / basis_days as weekly_cases,
        sum(basis_cases * 7.0 / basis_days) over (partition by case_type, base_value) as base_weekly_cases
    from cells
),

final as (
    select
        case_type,
        base_value,
        category,
        cast(weekly_cases as double) as weekly_cases,
        cast(base_weekly_cases as double) as base_weekly_cases,
        case
            when base_weekly_cases < {{ var('qa_stratum_min_weekly_cases', 10) }}
                then case_type || '/other'
            when weekly_cases >= {{ var('qa_stratum_split_weekly_cases', 40) }}
                then case_type || '/' || base_value || '/' || category
            else case_type || '/' || base_value
        end as stratum
    from sized
)

select * from final
