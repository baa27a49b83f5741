-- Quality shifts per complete ISO week x metric x slice, exactly as
-- docs/metrics.md "Quality shifts and their drivers" defines them: the
-- week's value against the trailing shift_baseline_weeks complete weeks
-- pooled, a two-sided z test (two-proportion z with the pooled standard error
-- for a rate; difference of means over Welch's standard error for a mean),
-- tested only when both sides have at least shift_min_n units, the
-- Benjamini-Hochberg q-value over every test of the week and metric, and the
-- signal flag (q below shift_max_q_value and |rel_change| at least
-- shift_min_rel_change). Units, weeks and dimensions: int_shift_units and the
-- macros of macros/metrics/shift_tests.sql.
--
-- Rows: every (complete week, metric, slice) with at least one unit in the
-- week. A null dimension value is a slice of its own (slice_value null).
-- value is a column name the docs use; sqlfluff takes it for a keyword.
-- noqa: disable=RF04

{#- the vars are set in dbt_project.yml; the defaults repeat them for sqlfluff, which passes none -#}
{%- set baseline_weeks = var('shift_baseline_weeks', 4) | int %}
{%- set min_n = var('shift_min_n', 30) | int %}
{%- set max_q_value = var('shift_max_q_value', 0.05) | float %}
{%- set min_rel_change = var('shift_min_rel_change', 0.05) | float %}
{%- if baseline_weeks < 1 %}
    {{ exceptions.raise_compiler_error('shift_baseline_weeks must be at least 1, got ' ~ baseline_weeks) }}
{%- endif %}
{%- set metrics = shift_metrics() %}
{%- set slice_dimensions = shift_dimensions() | selectattr('slice') | list %}

with

units as (
    select * from {{ ref('int_shift_units') }}
),

-- every metric's units per week and slice
slice_weeks as (
    select
        metric,
        week_start,
        'all' as slice_dimension,
        'all' as slice_value,
        sum(units) as units,
        sum(value_sum) as value_sum,
        sum(value_sq_sum) as value_sq_sum
    from units
    group by
        metric,
        week_start
    {%- for dimension in slice_dimensions %}

    union all

    select
        metric,
        week_start,
        '{{ dimension.name }}' as slice_dimension,
        cast({{ dimension.column }} as varchar) as slice_value,
        sum(units) as units,
        sum(value_sum) as value_sum,
        sum(value_sq_sum) as value_sq_sum
    from units
    where
        metric in (
            {%- for metric in dimension.slice %}
            '{{ metric }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
    group by
        metric,
        week_start,
        {{ dimension.column }}
    {%- endfor %}
),

-- 0: the week itself; 1 .. baseline_weeks: a week of the baseline of the
-- week that many weeks later
weeks_after as (
    {%- for offset in range(baseline_weeks + 1) %}
    select {{ offset }} as weeks_after
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

contributions as (
    select
        slice_weeks.metric,
        cast({{ dbt.dateadd('day', '7 * weeks_after.weeks_after', 'slice_weeks.week_start') }} as date) as week_start,
        slice_weeks.slice_dimension,
        slice_weeks.slice_value,
        weeks_after.weeks_after,
        slice_weeks.units,
        slice_weeks.value_sum,
        slice_weeks.value_sq_sum
    from slice_weeks
    cross join weeks_after
),

pooled as (
    select
        metric,
        week_start,
        slice_dimension,
        slice_value,
        cast(sum(case when weeks_after = 0 then units else 0 end) as bigint) as n,
        sum(case when weeks_after = 0 then value_sum else 0 end) as value_sum,
        sum(case when weeks_after = 0 then value_sq_sum else 0 end) as value_sq_sum,
        cast(count(case when weeks_after > 0 then 1 end) as integer) as baseline_weeks,
        cast(sum(case when weeks_after > 0 then units else 0 end) as bigint) as baseline_n,
        sum(case when weeks_after > 0 then value_sum else 0 end) as baseline_value_sum,
        sum(case when weeks_after > 0 then value_sq_sum else 0 end) as baseline_value_sq_sum
    from contributions
    group by
        metric,
        week_start,
        slice_dimension,
        slice_value
),

measured as (
    select
        metric,
        case metric
            {%- for metric, kind in metrics.items() %}
            when '{{ metric }}' then '{{ kind }}'
            {%- endfor %}
        end as metric_kind,
        week_start,
        slice_dimension,
        slice_value,
        n,
        value_sum,
        value_sum / cast(n as double) as value,
        {{ sample_variance('n', 'value_sum', 'value_sq_sum') }} as value_variance,
        baseline_weeks,
        baseline_n,
        baseline_value_sum,
        baseline_value_sum / cast(nullif(baseline_n, 0) as double) as baseline_value,
        {{ sample_variance('baseline_n', 'baseline_value_sum', 'baseline_value_sq_sum') }} as baseline_value_variance
    from pooled
    where n > 0
),

tested as (
    select
        week_start,
        metric,
        metric_kind,
        slice_dimension,
        slice_value,
        n,
        value_sum,
        value,
        case when metric_kind = 'mean' then sqrt(value_variance) end as value_sd,
        baseline_weeks,
        baseline_n,
        baseline_value_sum,
        baseline_value,
        case when metric_kind = 'mean' then sqrt(baseline_value_variance) end as baseline_value_sd,
        value - baseline_value as abs_change,
        (value - baseline_value) / nullif(baseline_value, 0) as rel_change,
        case
            when n < {{ min_n }} or baseline_n < {{ min_n }} then null
            when metric_kind = 'mean'
                then {{ welch_z(
                    'n', 'value', 'value_variance', 'baseline_n', 'baseline_value', 'baseline_value_variance'
                ) }}
            else {{ two_proportion_z('value_sum', 'n', 'baseline_value_sum', 'baseline_n') }}
        end as z
    from measured
),

with_p as (
    select
        tested.*,
        {{ two_sided_p_value('tested.z') }} as p_value
    from tested
),

adjusted as (
    {{ benjamini_hochberg('with_p', 'p_value', ['week_start', 'metric']) }}
),

final as (
    select
        week_start,
        metric,
        slice_dimension,
        slice_value,
        metric_kind,
        n,
        value_sum,
        value,
        value_sd,
        baseline_weeks,
        baseline_n,
        baseline_value_sum,
        baseline_value,
        baseline_value_sd,
        abs_change,
        rel_change,
        z,
        p_value,
        q_value,
        coalesce(
            q_value < {{ max_q_value }}
            and (
                abs(rel_change) >= {{ min_rel_change }}
                -- a change from a baseline of 0 is relatively unbounded
                or (baseline_value = 0 and abs_change != 0)
            ),
            false
        ) as is_signal
    from adjusted
)

select * from final
