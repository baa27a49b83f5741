-- Every reviewable case with its sampling stratum (docs/metrics.md "QA
-- sampling plan"): one row per (case_type, case_id), the case's queue,
-- category, policy, when it was closed or decided and its ISO week, the
-- stratum of its cell (int_qa_strata) and its QA reviews so far. The frame
-- `trustqa sample` draws from and the population of fct_qa_sampling_plan.

with

qa_cases as (
    select * from {{ ref('int_qa_cases') }}
),

qa_strata as (
    select * from {{ ref('int_qa_strata') }}
),

qa_reviews as (
    select * from {{ ref('fct_qa_reviews') }}
),

case_reviews as (
    select
        case_type,
        case_id,
        count(*) as reviews,
        count(case when sampling_method in ('random', 'stratified') then 1 end) as design_reviews
    from qa_reviews
    group by
        case_type,
        case_id
),

final as (
    select
        qa_cases.case_type,
        qa_cases.case_id,
        qa_cases.queue,
        qa_cases.category,
        qa_cases.policy,
        qa_cases.closed_at,
        cast(qa_cases.closed_at as date) as closed_day,
        {{ iso_week_start('qa_cases.closed_at') }} as week_start,
        qa_strata.stratum,
        cast(coalesce(case_reviews.reviews, 0) as bigint) as reviews,
        cast(coalesce(case_reviews.design_reviews, 0) as bigint) as design_reviews
    from qa_cases
    inner join qa_strata
        on
            qa_cases.case_type = qa_strata.case_type
            and coalesce(
                case when qa_cases.case_type = 'ticket' then qa_cases.queue else qa_cases.policy end, 'unknown'
            ) = qa_strata.base_value
            and coalesce(qa_cases.category, 'unknown') = qa_strata.category
    left join case_reviews
        on
            qa_cases.case_type = case_reviews.case_type
            and qa_cases.case_id = case_reviews.case_id
)

select * from final
