-- Company-wide QA metrics per ISO week two ways (docs/metrics.md "QA
-- sampling plan", "Unbiased estimates"): the naive mean of every
-- non-calibration review, and the design-weighted estimate from random and
-- stratified reviews only. Grain week_start x metric, the week the reviewed
-- case closed (dim_qa_cases.week_start), complete weeks and the current one.
--
-- Weighted: strata h with N_h cases closed in the week and n_h >= 2 design
-- reviews of them (covered strata); estimate = sum N_h mean_h / sum N_h over
-- the covered strata (each review weighted by N_h / n_h, its inverse
-- inclusion probability); variance = sum W_h^2 (1 - n_h / N_h) s_h^2 / n_h
-- with W_h = N_h / sum N_h (covered) and s_h^2 the sample variance; 95%
-- interval estimate +- z(0.975) SE, clipped to [0, 1] for the rates.
-- Targeted and calibration reviews never enter it.

{%- set z95 = normal_quantile('0.975') %}

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

reviewed_cases as (
    select
        qa_cases.week_start,
        qa_cases.stratum,
        qa_reviews.sampling_method in ('random', 'stratified') as is_design,
        qa_reviews.policy_applied_correctly,
        qa_reviews.critical_error,
        qa_reviews.qa_score
    from qa_reviews
    inner join qa_cases
        on
            qa_reviews.case_type = qa_cases.case_type
            and qa_reviews.case_id = qa_cases.case_id
    cross join run_as_of
    where
        not qa_reviews.is_calibration
        and qa_cases.closed_day <= run_as_of.as_of_day
        and qa_cases.closed_day >= run_as_of.first_export_day
),

-- each review's value per metric, as fct_qa_scores_daily counts it
review_values as (
    select
        'policy_adherence_rate' as metric,
        week_start,
        stratum,
        coalesce(is_design, false) as is_design,
        cast(case when policy_applied_correctly then 1 else 0 end as double) as unit_value
    from reviewed_cases
    where policy_applied_correctly is not null

    union all

    select
        'critical_error_rate' as metric,
        week_start,
        stratum,
        coalesce(is_design, false) as is_design,
        cast(case when coalesce(critical_error, false) then 1 else 0 end as double) as unit_value
    from reviewed_cases

    union all

    select
        'qa_score' as metric,
        week_start,
        stratum,
        coalesce(is_design, false) as is_design,
        cast(qa_score as double) as unit_value
    from reviewed_cases
    where qa_score is not null
),

naive as (
    select
        week_start,
        metric,
        count(*) as naive_n,
        avg(unit_value) as naive_value,
        count(case when is_design then 1 end) as design_n
    from review_values
    group by
        week_start,
        metric
),

populations as (
    select
        qa_cases.week_start,
        qa_cases.stratum,
        count(*) as population_n
    from qa_cases
    cross join run_as_of
    where
        qa_cases.closed_day <= run_as_of.as_of_day
        and qa_cases.closed_day >= run_as_of.first_export_day
    group by
        qa_cases.week_start,
        qa_cases.stratum
),

design_strata as (
    select
        review_values.week_start,
        review_values.metric,
        review_values.stratum,
        count(*) as n_h,
        avg(review_values.unit_value) as mean_h,
        cast(var_samp(review_values.unit_value) as double) as var_h
    from review_values
    where review_values.is_design
    group by
        review_values.week_start,
        review_values.metric,
        review_values.stratum
),

metric_weeks as (
    select distinct
        week_start,
        metric
    from naive
),

strata_weeks as (
    select
        metric_weeks.week_start,
        metric_weeks.metric,
        populations.stratum,
        populations.population_n,
        design_strata.n_h,
        design_strata.mean_h,
        design_strata.var_h,
        coalesce(design_strata.n_h >= 2, false) as is_covered
    from metric_weeks
    inner join populations
        on metric_weeks.week_start = populations.week_start
    left join design_strata
        on
            metric_weeks.week_start = design_strata.week_start
            and metric_weeks.metric = design_strata.metric
            and populations.stratum = design_strata.stratum
),

weighted as (
    select
        week_start,
        metric,
        count(*) as strata,
        count(case when is_covered then 1 end) as strata_covered,
        sum(population_n) as population_n,
        sum(case when is_covered then population_n else 0 end) as covered_population_n,
        sum(case when is_covered then population_n * mean_h else 0 end) as weighted_sum,
        sum(
            case
                when is_covered
                    then
                        population_n * population_n * var_h / n_h
                        * (1.0 - case when n_h >= population_n then 1.0 else n_h * 1.0 / population_n end)
                else 0
            end
        ) as weighted_variance_sum
    from strata_weeks
    group by
        week_start,
        metric
),

estimates as (
    select
        naive.week_start,
        naive.metric,
        naive.naive_n,
        naive.naive_value,
        naive.design_n,
        weighted.strata,
        weighted.strata_covered,
        weighted.population_n,
        weighted.covered_population_n,
        weighted.weighted_sum / nullif(weighted.covered_population_n, 0) as weighted_value,
        sqrt(weighted.weighted_variance_sum) / nullif(weighted.covered_population_n, 0) as weighted_se
    from naive
    left join weighted
        on
            naive.week_start = weighted.week_start
            and naive.metric = weighted.metric
),

final as (
    select
        week_start,
        metric,
        cast(naive_n as bigint) as naive_n,
        cast(naive_value as double) as naive_value,
        cast(design_n as bigint) as design_n,
        cast(coalesce(strata, 0) as bigint) as strata,
        cast(coalesce(strata_covered, 0) as bigint) as strata_covered,
        cast(coalesce(population_n, 0) as bigint) as population_n,
        cast(coalesce(covered_population_n, 0) * 1.0 / nullif(population_n, 0) as double) as covered_population_share,
        cast(weighted_value as double) as weighted_value,
        cast(weighted_se as double) as weighted_se,
        cast(
            case
                when weighted_value is null then null
                when metric != 'qa_score' and weighted_value - {{ z95 }} * weighted_se < 0 then 0.0
                else weighted_value - {{ z95 }} * weighted_se
            end as double
        ) as weighted_ci_low,
        cast(
            case
                when weighted_value is null then null
                when metric != 'qa_score' and weighted_value + {{ z95 }} * weighted_se > 1 then 1.0
                else weighted_value + {{ z95 }} * weighted_se
            end as double
        ) as weighted_ci_high,
        cast(naive_value - weighted_value as double) as naive_minus_weighted
    from estimates
)

select * from final
