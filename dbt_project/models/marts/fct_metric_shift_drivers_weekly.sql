-- What drove each shift of fct_metric_shifts_weekly, exactly as
-- docs/metrics.md "Quality shifts and their drivers" defines it. For every
-- shift row with units in both the week and its baseline, and every driver
-- dimension of its metric other than its own slice dimension: one row per
-- member (driver_value) found on either side, with its shares of the slice's
-- units and its values before (baseline, pooled) and after (the week), and
-- the symmetric Kitagawa / Das Gupta decomposition of the change, its mix
-- effect measured from the slice's mean level (value + baseline_value) / 2:
--
--     mix_effect  = (cur_share - base_share) * ((cur_value + base_value) / 2 - level)
--     rate_effect = (cur_value - base_value) * (cur_share + base_share) / 2
--     contribution = mix_effect + rate_effect
--
-- The shares' changes sum to 0, so the level changes no dimension's total mix
-- (the textbook split, (cur_share - base_share) * (cur_value + base_value) / 2
-- per member, gives the same sum) but a member who gains or loses work at the
-- slice's own level no longer shows a mix effect of its share change times
-- the whole level. A member found on one side only takes the other side's
-- value as its missing value (its share there is 0, so the identity holds):
-- the contributions of a shift add up to its abs_change (the slice's value is
-- the share-weighted mean of its members' values). For the QA metrics, also one
-- row per rubric item (driver_dimension rubric_item): its pass rate before
-- and after in the slice, with its own two-proportion test (no
-- decomposition).
-- value and rank are column names the docs use; sqlfluff takes them for keywords.
-- noqa: disable=RF04

{%- set baseline_weeks = var('shift_baseline_weeks', 4) | int %}
{%- set min_n = var('shift_min_n', 30) | int %}
{%- set metrics = shift_metrics() %}
{%- set dimensions = shift_dimensions() %}
{%- set qa_metrics = ['qa_score', 'policy_adherence_rate', 'critical_error_rate'] %}
{#- every column but p_value and q_value, in the mart's order (both branches of `final`) #}
{%- set row_columns = [
    'week_start', 'metric', 'slice_dimension', 'slice_value', 'driver_dimension', 'driver_value',
    'base_n', 'cur_n', 'base_share', 'cur_share', 'base_value', 'cur_value',
    'mix_effect', 'rate_effect', 'contribution', 'contribution_share', 'rank', 'z',
] %}
{%- set slices = [{'name': 'all', 'column': "'all'", 'slice': metrics.keys() | list}]
    + (dimensions | selectattr('slice') | list) %}

with

shifts as (
    select
        week_start,
        metric,
        slice_dimension,
        slice_value,
        n,
        baseline_n,
        value,
        baseline_value,
        abs_change
    from {{ ref('fct_metric_shifts_weekly') }}
    where
        n > 0
        and baseline_n > 0
),

units as (
    select * from {{ ref('int_shift_units') }}
),

rubric_units as (
    select * from {{ ref('int_shift_rubric_units') }}
),

-- each member's units per week, slice and driver dimension
member_weeks as (
    {%- set branches = [] %}
    {%- for slice in slices %}
    {%- for driver in dimensions if driver.name != slice.name %}
    {%- set both = slice.slice | select('in', driver.driver) | list %}
    {%- if both %}
    {%- do branches.append((slice, driver, both)) %}
    {%- endif %}
    {%- endfor %}
    {%- endfor %}
    {%- for slice, driver, both in branches %}
    select
        metric,
        week_start,
        '{{ slice.name }}' as slice_dimension,
        cast({{ slice.column }} as varchar) as slice_value,
        '{{ driver.name }}' as driver_dimension,
        cast({{ driver.column }} as varchar) as driver_value,
        sum(units) as units,
        sum(value_sum) as value_sum
    from units
    where
        metric in (
            {%- for metric in both %}
            '{{ metric }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
    group by
        metric,
        week_start,
        {%- if slice.name != 'all' %}
        {{ slice.column }},
        {%- endif %}
        {{ driver.column }}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}
),

-- 0: the week itself; 1 .. baseline_weeks: a baseline week of the week that
-- many weeks later
weeks_after as (
    {%- for offset in range(baseline_weeks + 1) %}
    select {{ offset }} as weeks_after
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

member_sides as (
    select
        member_weeks.metric,
        cast({{ dbt.dateadd('day', '7 * weeks_after.weeks_after', 'member_weeks.week_start') }} as date)
            as week_start,
        member_weeks.slice_dimension,
        member_weeks.slice_value,
        member_weeks.driver_dimension,
        member_weeks.driver_value,
        cast(sum(case when weeks_after.weeks_after > 0 then member_weeks.units else 0 end) as bigint) as base_n,
        sum(case when weeks_after.weeks_after > 0 then member_weeks.value_sum else 0 end) as base_value_sum,
        cast(sum(case when weeks_after.weeks_after = 0 then member_weeks.units else 0 end) as bigint) as cur_n,
        sum(case when weeks_after.weeks_after = 0 then member_weeks.value_sum else 0 end) as cur_value_sum
    from member_weeks
    cross join weeks_after
    group by
        member_weeks.metric,
        cast({{ dbt.dateadd('day', '7 * weeks_after.weeks_after', 'member_weeks.week_start') }} as date),
        member_weeks.slice_dimension,
        member_weeks.slice_value,
        member_weeks.driver_dimension,
        member_weeks.driver_value
),

members as (
    select
        shifts.week_start,
        shifts.metric,
        shifts.slice_dimension,
        shifts.slice_value,
        member_sides.driver_dimension,
        member_sides.driver_value,
        member_sides.base_n,
        member_sides.cur_n,
        cast(member_sides.base_n as double) / cast(shifts.baseline_n as double) as base_share,
        cast(member_sides.cur_n as double) / cast(shifts.n as double) as cur_share,
        member_sides.base_value_sum / cast(nullif(member_sides.base_n, 0) as double) as base_value,
        member_sides.cur_value_sum / cast(nullif(member_sides.cur_n, 0) as double) as cur_value,
        (shifts.value + shifts.baseline_value) / 2.0 as slice_level,
        shifts.abs_change
    from shifts
    inner join member_sides
        on
            shifts.week_start = member_sides.week_start
            and shifts.metric = member_sides.metric
            and shifts.slice_dimension = member_sides.slice_dimension
            and shifts.slice_value is not distinct from member_sides.slice_value
    where member_sides.base_n > 0 or member_sides.cur_n > 0
),

-- a side without units takes the other side's value (its share is 0); the
-- mix effect is measured from the slice's mean level (the shares' changes sum
-- to 0, so this moves no mix between dimensions, only between members)
effects as (
    select
        week_start,
        metric,
        slice_dimension,
        slice_value,
        driver_dimension,
        driver_value,
        base_n,
        cur_n,
        base_share,
        cur_share,
        base_value,
        cur_value,
        abs_change,
        (cur_share - base_share)
        * ((coalesce(cur_value, base_value) + coalesce(base_value, cur_value)) / 2.0 - slice_level)
            as mix_effect,
        (coalesce(cur_value, base_value) - coalesce(base_value, cur_value)) * (cur_share + base_share) / 2.0
            as rate_effect
    from members
),

decomposed as (
    select
        week_start,
        metric,
        slice_dimension,
        slice_value,
        driver_dimension,
        driver_value,
        base_n,
        cur_n,
        base_share,
        cur_share,
        base_value,
        cur_value,
        mix_effect,
        rate_effect,
        mix_effect + rate_effect as contribution,
        (mix_effect + rate_effect) / nullif(abs_change, 0) as contribution_share,
        -- contributions equal to 9 decimals tie (and go by driver_value), so
        -- rounding noise cannot order members differently on two targets
        cast(row_number() over (
            partition by week_start, metric, slice_dimension, slice_value, driver_dimension
            order by round(abs(mix_effect + rate_effect), 9) desc, driver_value asc nulls last
        ) as integer) as rank,
        cast(null as double) as z
    from effects
),

-- the rubric items of the QA reviews per week and QA slice
rubric_weeks as (
    {%- for slice in slices if slice.slice | select('in', qa_metrics) | list %}
    select
        week_start,
        '{{ slice.name }}' as slice_dimension,
        cast({{ slice.column }} as varchar) as slice_value,
        rubric_item,
        sum(reviews) as reviews,
        sum(passes) as passes
    from rubric_units
    group by
        week_start,
        {%- if slice.name != 'all' %}
        {{ slice.column }},
        {%- endif %}
        rubric_item
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}
),

rubric_sides as (
    select
        cast({{ dbt.dateadd('day', '7 * weeks_after.weeks_after', 'rubric_weeks.week_start') }} as date)
            as week_start,
        rubric_weeks.slice_dimension,
        rubric_weeks.slice_value,
        rubric_weeks.rubric_item,
        cast(sum(case when weeks_after.weeks_after > 0 then rubric_weeks.reviews else 0 end) as bigint) as base_n,
        cast(sum(case when weeks_after.weeks_after > 0 then rubric_weeks.passes else 0 end) as bigint) as base_passes,
        cast(sum(case when weeks_after.weeks_after = 0 then rubric_weeks.reviews else 0 end) as bigint) as cur_n,
        cast(sum(case when weeks_after.weeks_after = 0 then rubric_weeks.passes else 0 end) as bigint) as cur_passes
    from rubric_weeks
    cross join weeks_after
    group by
        cast({{ dbt.dateadd('day', '7 * weeks_after.weeks_after', 'rubric_weeks.week_start') }} as date),
        rubric_weeks.slice_dimension,
        rubric_weeks.slice_value,
        rubric_weeks.rubric_item
),

rubric_rows as (
    select
        shifts.week_start,
        shifts.metric,
        shifts.slice_dimension,
        shifts.slice_value,
        'rubric_item' as driver_dimension,
        rubric_sides.rubric_item as driver_value,
        rubric_sides.base_n,
        rubric_sides.cur_n,
        cast(null as double) as base_share,
        cast(null as double) as cur_share,
        cast(rubric_sides.base_passes as double) / cast(nullif(rubric_sides.base_n, 0) as double) as base_value,
        cast(rubric_sides.cur_passes as double) / cast(nullif(rubric_sides.cur_n, 0) as double) as cur_value,
        cast(null as double) as mix_effect,
        cast(null as double) as rate_effect,
        cast(null as double) as contribution,
        cast(null as double) as contribution_share,
        cast(null as integer) as rank,
        case
            when rubric_sides.cur_n >= {{ min_n }} and rubric_sides.base_n >= {{ min_n }}
                then {{ two_proportion_z(
                    'rubric_sides.cur_passes', 'rubric_sides.cur_n', 'rubric_sides.base_passes', 'rubric_sides.base_n'
                ) }}
        end as z
    from shifts
    inner join rubric_sides
        on
            shifts.week_start = rubric_sides.week_start
            and shifts.slice_dimension = rubric_sides.slice_dimension
            and shifts.slice_value is not distinct from rubric_sides.slice_value
    where
        shifts.metric in (
            {%- for metric in qa_metrics %}
            '{{ metric }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
        and (rubric_sides.base_n > 0 or rubric_sides.cur_n > 0)
),

-- the rubric items of one shift are several tests of one question: their
-- q-values are Benjamini-Hochberg adjusted among themselves. Only the rubric
-- rows carry a test (a decomposition row has no z), and the adjustment's
-- groups (one driver_dimension each) never mix the two kinds of row, so it
-- runs on the rubric rows alone: the same q-values without numbering and
-- scanning the decomposition rows, most of the mart, in two windows.
rubric_with_p as (
    select
        rubric_rows.*,
        {{ two_sided_p_value('rubric_rows.z') }} as p_value
    from rubric_rows
),

rubric_adjusted as (
    {{ benjamini_hochberg(
        'rubric_with_p', 'p_value', ['week_start', 'metric', 'slice_dimension', 'slice_value', 'driver_dimension']
    ) }}
),

final as (
    select
        {%- for column in row_columns %}
        {{ column }},
        {%- endfor %}
        cast(null as double) as p_value,
        cast(null as double) as q_value
    from decomposed

    union all

    select
        {%- for column in row_columns %}
        {{ column }},
        {%- endfor %}
        p_value,
        q_value
    from rubric_adjusted
)

select * from final
