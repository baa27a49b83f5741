-- Volume spikes per UTC day x stream x key, exactly as docs/metrics.md
-- "Volume spikes (`fct_volume_spikes_daily`)" defines them: a day's count
-- (int_spike_daily_counts) against the mean of the same weekday over the
-- trailing spike_baseline_days (28: the 4 previous same weekdays), a
-- one-sided variance-stabilised Poisson z, its upper-tail p-value, the
-- Benjamini-Hochberg q-value over every test of the day (all streams and
-- keys), and the spike flag (q, minimum count and minimum ratio: dbt vars).
--
-- Rows: every (day, stream, key) with an event that day, plus every day up to
-- the as-of day on which the key had an event in the trailing baseline window
-- (a zero count is listed and tested; the test is one-sided upward, so a drop
-- is never a spike). A key is tested on D only when its history (its first
-- event day in the stream to D - 1) covers the whole baseline window.
--
-- The grain columns are named stream and key (the issue's contract); both are
-- SQL keywords to sqlfluff, but neither is reserved in DuckDB or Snowflake.
-- noqa: disable=RF04

{#- the vars are set in dbt_project.yml; the defaults repeat them for sqlfluff, which passes none -#}
{%- set baseline_days = var('spike_baseline_days', 28) | int %}
{%- if baseline_days < 7 or baseline_days % 7 != 0 %}
    {{ exceptions.raise_compiler_error('spike_baseline_days must be a positive multiple of 7, got ' ~ baseline_days) }}
{%- endif %}
{%- set baseline_weeks = baseline_days // 7 %}

with

daily_counts as (
    select * from {{ ref('int_spike_daily_counts') }}
),

run_as_of as (
    select * from {{ ref('int_run_as_of') }}
),

-- a key's history starts on its first event day in the stream
key_counts as (
    select
        day,
        stream,
        key,
        events,
        min(day) over (partition by stream, key) as first_day
    from daily_counts
),

-- 0 .. baseline_days: a day's count is the event count of its own day
-- (0 days after) and a baseline value of the same weekday 7, 14, .. days later
days_after as (
    {%- for offset in range(baseline_days + 1) %}
    select
        {{ offset }} as days_after,
        {{ 'true' if offset > 0 and offset % 7 == 0 else 'false' }} as is_same_weekday
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

contributions as (
    select
        key_counts.stream,
        key_counts.key,
        key_counts.first_day,
        days_after.days_after,
        cast({{ dbt.dateadd('day', 'days_after.days_after', 'key_counts.day') }} as date) as day,
        case when days_after.days_after = 0 then key_counts.events else 0 end as events,
        case when days_after.is_same_weekday then key_counts.events else 0 end as baseline_events
    from key_counts
    cross join days_after
),

-- the rows: days with events, and the days after them (zero counts) up to
-- the as-of day
grid as (
    select
        contributions.day,
        contributions.stream,
        contributions.key,
        contributions.first_day,
        cast(sum(contributions.events) as bigint) as events,
        cast(sum(contributions.baseline_events) as bigint) as baseline_events
    from contributions
    cross join run_as_of
    where
        contributions.days_after = 0
        or contributions.day <= run_as_of.as_of_day
    group by
        contributions.day,
        contributions.stream,
        contributions.key,
        contributions.first_day
),

-- tested only with a full baseline window of history; expected = the mean
-- of the baseline_weeks previous same weekdays
expected_counts as (
    select
        day,
        stream,
        key,
        events,
        cast({{ dbt.datediff('first_day', 'day', 'day') }} as integer) as history_days,
        baseline_events,
        case
            when {{ dbt.datediff('first_day', 'day', 'day') }} >= {{ baseline_days }}
                then cast(baseline_events as double) / {{ baseline_weeks }}
        end as expected
    from grid
),

-- Anscombe's variance-stabilised difference, 2 (sqrt(x + 3/8) - sqrt(mu + 3/8)),
-- divided by sqrt(1 + 1 / baseline_weeks): the expected count is itself a mean
-- of baseline_weeks Poisson counts, whose transform has variance 1 / baseline_weeks
statistics as (
    select
        day,
        stream,
        key,
        events,
        history_days,
        baseline_events,
        expected,
        2.0 * (sqrt(events + 0.375) - sqrt(expected + 0.375))
        / sqrt(1.0 + 1.0 / {{ baseline_weeks }}) as z_score
    from expected_counts
),

-- one-sided, upward: P(Z >= z)
tested as (
    select
        day,
        stream,
        key,
        events,
        history_days,
        baseline_events,
        expected,
        z_score,
        case
            when z_score is null then null
            when z_score >= 0 then {{ normal_upper_tail('z_score') }}
            else 1.0 - {{ normal_upper_tail('z_score') }}
        end as p_value
    from statistics
),

adjusted as (
    {{ benjamini_hochberg('tested', 'p_value', ['day']) }}
),

final as (
    select
        day,
        stream,
        key,
        events,
        history_days,
        baseline_events,
        cast(expected as double) as expected,
        cast(z_score as double) as z_score,
        cast(p_value as double) as p_value,
        cast(q_value as double) as q_value,
        coalesce(
            q_value < {{ var('spike_max_q_value', 0.05) }}
            and events >= {{ var('spike_min_count', 5) }}
            and events >= {{ var('spike_min_ratio', 1.5) }} * expected,
            false
        ) as is_spike
    from adjusted
)

select * from final
