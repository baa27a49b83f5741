-- QA score (IQS), critical errors and policy adherence per day (UTC date of
-- reviewed_at) x agent_id (the reviewee) x case_type, exactly as
-- docs/metrics.md "QA score (IQS), critical errors, policy adherence"
-- defines them. Sampled proportions carry a 95% Wilson interval.

with

qa_reviews as (
    select * from {{ ref('stg_support__qa_reviews') }}
),

-- current version of each review; calibration reviews excluded (a null
-- sampling_method is not calibration and is kept)
audit_reviews as (
    select
        review_id,
        cast(reviewed_at as date) as day,
        agent_id,
        case_type,
        coalesce(critical_error, false) as has_critical_error,
        policy_applied_correctly,
        overall_score
    from qa_reviews
    where sampling_method is null or sampling_method != 'calibration'
),

-- auto-fail: a critical error scores 0, whatever overall_score says
scored_reviews as (
    select
        day,
        agent_id,
        case_type,
        has_critical_error,
        policy_applied_correctly,
        case
            when has_critical_error then cast(0 as double)
            else cast(overall_score as double)
        end as review_score
    from audit_reviews
),

daily as (
    select
        day,
        agent_id,
        case_type,
        count(*) as reviews,
        avg(review_score) as iqs,
        count(case when has_critical_error then 1 end) as critical_errors,
        count(policy_applied_correctly) as policy_reviews,
        count(case when policy_applied_correctly then 1 end) as policy_adherent
    from scored_reviews
    group by
        day,
        agent_id,
        case_type
),

final as (
    select
        day,
        agent_id,
        case_type,
        reviews,
        cast(iqs as double) as iqs,
        critical_errors,
        {{ safe_divide('critical_errors', 'reviews') }} as critical_error_rate,
        {{ wilson_low('critical_errors', 'reviews') }} as critical_error_rate_ci_low,
        {{ wilson_high('critical_errors', 'reviews') }} as critical_error_rate_ci_high,
        policy_reviews,
        policy_adherent,
        {{ safe_divide('policy_adherent', 'policy_reviews') }} as policy_adherence_rate,
        {{ wilson_low('policy_adherent', 'policy_reviews') }} as policy_adherence_rate_ci_low,
        {{ wilson_high('policy_adherent', 'policy_reviews') }} as policy_adherence_rate_ci_high
    from daily
)

select * from final
