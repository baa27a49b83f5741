-- Calibration reviews (metrics.md "Calibration agreement"): the current
-- version of each QA review with sampling_method = 'calibration' and a
-- calibration session id, keeping only each reviewer's latest review of a
-- case (case_type, case_id) within a session. "Latest" = greatest
-- reviewed_at (a null reviewed_at sorts as the oldest), then greatest
-- updated_at, then greatest review_id. One row per calibration_session_id x
-- case_type x case_id x reviewer_id (a null reviewer_id or case key is one
-- group of its own, as every grain null in this project).

with

qa_reviews as (
    select * from {{ ref('stg_support__qa_reviews') }}
),

calibration_reviews as (
    select
        calibration_session_id,
        case_type,
        case_id,
        reviewer_id,
        review_id,
        reviewed_at,
        updated_at,
        policy_applied_correctly,
        evidence_standard_met,
        resolution_correct,
        critical_error
    from qa_reviews
    where
        sampling_method = 'calibration'
        and calibration_session_id is not null
),

-- rank each reviewer's reviews of the same case in the same session, latest first
ranked_reviews as (
    select
        calibration_reviews.*,
        row_number() over (
            partition by
                calibration_reviews.calibration_session_id,
                calibration_reviews.case_type,
                calibration_reviews.case_id,
                calibration_reviews.reviewer_id
            order by
                calibration_reviews.reviewed_at desc nulls last,
                calibration_reviews.updated_at desc nulls last,
                calibration_reviews.review_id desc
        ) as review_recency_rank,
        count(*) over (
            partition by
                calibration_reviews.calibration_session_id,
                calibration_reviews.case_type,
                calibration_reviews.case_id,
                calibration_reviews.reviewer_id
        ) as reviews_of_case_in_session
    from calibration_reviews
),

final as (
    select
        calibration_session_id,
        case_type,
        case_id,
        reviewer_id,
        review_id,
        reviewed_at,
        updated_at,
        reviews_of_case_in_session,
        policy_applied_correctly,
        evidence_standard_met,
        resolution_correct,
        critical_error
    from ranked_reviews
    where review_recency_rank = 1
)

select * from final
