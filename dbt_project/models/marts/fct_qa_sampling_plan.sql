-- How many QA reviews each stratum needs, per ISO week (docs/metrics.md "QA
-- sampling plan"). Grain week_start x stratum; the weeks of the data
-- (Monday on or after the first export day's week) and the current week,
-- the week of the day after the as-of day (tomorrow's sampling).
--
-- population_n: the stratum's cases closed or decided in the week
-- (dim_qa_cases); for the current week, the average of the weeks before it
-- (up to 4, from the first week of the data). n_reviewed: random and
-- stratified reviews of those cases. p_hat: the stratum's policy adherence
-- over such reviews rating it, of cases closed in the qa_plan_p_hat_weeks
-- weeks before the week (0.5 below qa_plan_p_hat_min_reviews), planned
-- within [qa_plan_min_p, 1 - qa_plan_min_p]. n_required: the sample size for
-- a proportion with the finite-population correction; achieved_margin: the
-- Wilson half-width at n_reviewed; with qa_plan_weekly_capacity set,
-- n_allocated by Neyman allocation and the margins it buys.

{%- set confidence = var('qa_plan_confidence', 0.95) %}
{%- set margin = var('qa_plan_margin', 0.05) %}
{%- set min_p = var('qa_plan_min_p', 0.02) %}
{%- set p_hat_weeks = var('qa_plan_p_hat_weeks', 8) %}
{%- set capacity = var('qa_plan_weekly_capacity', none) %}
{%- set z = normal_quantile('(1.0 + ' ~ confidence ~ ') / 2.0') %}

with

qa_cases as (
    select * from {{ ref('dim_qa_cases') }}
),

qa_reviews as (
    select * from {{ ref('fct_qa_reviews') }}
),

run_as_of as (
    select * from {{ ref('int_run_as_of') }}
),

calendar as (
    select
        {{ iso_week_start('first_export_day') }} as first_week,
        {{ iso_week_start('as_of_day') }} as as_of_week,
        {{ iso_week_start(dbt.dateadd('day', 1, 'as_of_day')) }} as current_week,
        as_of_day
    from run_as_of
),

closed_cases as (
    select qa_cases.*
    from qa_cases
    cross join calendar
    where
        qa_cases.closed_day <= calendar.as_of_day
        and qa_cases.week_start >= calendar.first_week
),

weeks as (
    select distinct week_start from closed_cases

    union

    select current_week as week_start from calendar
),

strata as (
    select distinct
        stratum,
        case_type
    from qa_cases
),

populations as (
    select
        week_start,
        stratum,
        count(*) as cases
    from closed_cases
    group by
        week_start,
        stratum
),

-- random and stratified reviews, by the week their case closed; those
-- rating policy adherence (not null: a policy decision was made) and passing
design_reviews as (
    select
        closed_cases.week_start,
        closed_cases.stratum,
        count(*) as reviews,
        count(qa_reviews.policy_applied_correctly) as rated,
        sum(case when qa_reviews.policy_applied_correctly then 1 else 0 end) as adherent
    from qa_reviews
    inner join closed_cases
        on
            qa_reviews.case_type = closed_cases.case_type
            and qa_reviews.case_id = closed_cases.case_id
    where qa_reviews.sampling_method in ('random', 'stratified')
    group by
        closed_cases.week_start,
        closed_cases.stratum
),

grid as (
    select
        weeks.week_start,
        strata.stratum,
        strata.case_type,
        weeks.week_start = calendar.current_week as is_current_week,
        calendar.first_week
    from weeks
    cross join strata
    cross join calendar
),

-- the current week's population: the average week of those before it
trailing_population as (
    select
        grid.week_start,
        grid.stratum,
        sum(coalesce(populations.cases, 0)) as cases,
        count(distinct weeks.week_start) as weeks
    from grid
    inner join weeks
        on
            grid.week_start > weeks.week_start
            and grid.first_week <= weeks.week_start
            and {{ dbt.datediff('weeks.week_start', 'grid.week_start', 'day') }} <= 28
    left join populations
        on
            weeks.week_start = populations.week_start
            and grid.stratum = populations.stratum
    where grid.is_current_week
    group by
        grid.week_start,
        grid.stratum
),

trailing_adherence as (
    select
        grid.week_start,
        grid.stratum,
        sum(design_reviews.rated) as rated,
        sum(design_reviews.adherent) as adherent
    from grid
    inner join design_reviews
        on
            grid.stratum = design_reviews.stratum
            and grid.week_start > design_reviews.week_start
            and {{ dbt.datediff('design_reviews.week_start', 'grid.week_start', 'day') }} <= {{ 7 * p_hat_weeks }}
    group by
        grid.week_start,
        grid.stratum
),

planned as (
    select
        grid.week_start,
        grid.stratum,
        grid.case_type,
        grid.is_current_week,
        cast(
            case
                when grid.is_current_week
                    then coalesce(trailing_population.cases * 1.0 / nullif(trailing_population.weeks, 0), 0)
                else coalesce(populations.cases, 0)
            end as double
        ) as population_n,
        cast(coalesce(trailing_adherence.rated, 0) as bigint) as p_hat_reviews,
        cast(
            case
                when coalesce(trailing_adherence.rated, 0) < {{ var('qa_plan_p_hat_min_reviews', 30) }} then 0.5
                else trailing_adherence.adherent * 1.0 / trailing_adherence.rated
            end as double
        ) as p_hat,
        cast(coalesce(design_reviews.reviews, 0) as bigint) as n_reviewed
    from grid
    left join populations
        on
            grid.week_start = populations.week_start
            and grid.stratum = populations.stratum
    left join trailing_population
        on
            grid.week_start = trailing_population.week_start
            and grid.stratum = trailing_population.stratum
    left join trailing_adherence
        on
            grid.week_start = trailing_adherence.week_start
            and grid.stratum = trailing_adherence.stratum
    left join design_reviews
        on
            grid.week_start = design_reviews.week_start
            and grid.stratum = design_reviews.stratum
),

sized as (
    select
        planned.*,
        case
            when planned.p_hat < {{ min_p }} then {{ min_p }}
            when planned.p_hat > 1.0 - {{ min_p }} then 1.0 - {{ min_p }}
            else planned.p_hat
        end as p_plan,
        {{ z }} as z
    from planned
    where planned.population_n > 0 or planned.n_reviewed > 0 or planned.is_current_week
),

required as (
    select
        sized.*,
        {{ proportion_sample_size('z', 'p_plan', margin, 'population_n') }} as n_required,
        {{ wilson_half_width('z', 'p_plan', 'n_reviewed') }} as achieved_margin
    from sized
),

{%- if capacity is not none %}

-- Neyman: the capacity in proportion to N_h S_h (S_h = sqrt(p (1 - p))),
-- whole reviews by largest remainder (the floors, then one more for the
-- largest remainders, ties by stratum, until the capacity is used), then at
-- least qa_plan_min_reviews_per_stratum and at most the population rounded
-- up (the minimum can take the total a little over the capacity)
neyman_shares as (
    select
        required.*,
        {{ capacity }} * required.population_n * sqrt(required.p_plan * (1.0 - required.p_plan))
        / nullif(
            sum(required.population_n * sqrt(required.p_plan * (1.0 - required.p_plan)))
                over (partition by required.week_start),
            0
        ) as neyman_raw
    from required
),

neyman_floors as (
    select
        neyman_shares.*,
        floor(neyman_shares.neyman_raw) as neyman_floor,
        {{ capacity }} - sum(floor(neyman_shares.neyman_raw)) over (partition by neyman_shares.week_start)
            as neyman_left,
        row_number() over (
            partition by neyman_shares.week_start
            order by neyman_shares.neyman_raw - floor(neyman_shares.neyman_raw) desc, neyman_shares.stratum
        ) as remainder_rank
    from neyman_shares
),

neyman_whole as (
    select
        neyman_floors.*,
        neyman_floors.neyman_floor
        + case when neyman_floors.remainder_rank <= neyman_floors.neyman_left then 1 else 0 end as neyman_reviews,
        cast(ceil(neyman_floors.population_n) as bigint) as population_ceiling
    from neyman_floors
),

allocated as (
    select
        neyman_whole.*,
        case
            when neyman_whole.neyman_raw is null then null
            when neyman_whole.population_ceiling < {{ var('qa_plan_min_reviews_per_stratum', 10) }}
                then neyman_whole.population_ceiling
            when neyman_whole.neyman_reviews < {{ var('qa_plan_min_reviews_per_stratum', 10) }}
                then {{ var('qa_plan_min_reviews_per_stratum', 10) }}
            when neyman_whole.neyman_reviews > neyman_whole.population_ceiling
                then neyman_whole.population_ceiling
            else cast(neyman_whole.neyman_reviews as bigint)
        end as n_allocated
    from neyman_whole
),

allocated_margins as (
    select
        allocated.*,
        {{ wilson_half_width('z', 'p_plan', 'n_allocated') }} as allocated_margin,
        allocated.z * sqrt(
            sum(
                case
                    when allocated.n_allocated > 0 and allocated.population_n > 0
                        then
                            allocated.population_n
                            * allocated.population_n
                            * allocated.p_plan
                            * (1.0 - allocated.p_plan)
                            / allocated.n_allocated
                            * (
                                1.0
                                - case
                                    when allocated.n_allocated >= allocated.population_n then 1.0 else
                                        allocated.n_allocated / allocated.population_n
                                end
                            )
                    else 0
                end
            ) over (partition by allocated.week_start)
        ) / nullif(sum(allocated.population_n) over (partition by allocated.week_start), 0) as allocated_overall_margin
    from allocated
),
{%- else %}

allocated_margins as (
    select
        required.*,
        cast(null as bigint) as n_allocated,
        cast(null as double) as allocated_margin,
        cast(null as double) as allocated_overall_margin
    from required
),
{%- endif %}

final as (
    select
        week_start,
        stratum,
        case_type,
        is_current_week,
        population_n,
        p_hat,
        p_hat_reviews,
        cast({{ margin }} as double) as margin,
        cast({{ confidence }} as double) as confidence,
        cast(n_required as bigint) as n_required,
        n_reviewed,
        cast(achieved_margin as double) as achieved_margin,
        cast(n_reviewed * 1.0 / nullif(n_required, 0) as double) as coverage,
        n_reviewed < n_required as is_short,
        cast(n_allocated as bigint) as n_allocated,
        cast(allocated_margin as double) as allocated_margin,
        cast(allocated_overall_margin as double) as allocated_overall_margin
    from allocated_margins
)

select * from final
