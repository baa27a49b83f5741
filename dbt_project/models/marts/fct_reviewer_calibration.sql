-- Reviewer calibration per calibration_session_id x reviewer_id, exactly as
-- docs/metrics.md "Reviewer calibration" defines it: each of the
-- reviewer's non-null ratings (four rubric items) is compared with the
-- leave-one-out consensus of the other reviewers of the same case and item
-- in the same session (macros/metrics/calibration_consensus.sql).

with

calibration_reviews as (
    select * from {{ ref('int_calibration__reviews') }}
),

ratings as (
    select * from {{ ref('int_calibration__ratings') }}
),

rated_with_consensus as (
    {{ calibration_leave_one_out_consensus(
        'ratings',
        ['calibration_session_id', 'rubric_item', 'case_type', 'case_id'],
        'reviewer_id',
        'rating_value',
    ) }}
),

-- every reviewer of the session appears (zero rows for one without a
-- non-null rating); a union instead of a join keeps a null reviewer_id as a
-- group of its own
reviewer_rows as (
    select
        calibration_session_id,
        reviewer_id,
        0 as rated_value,
        0 as value_with_consensus,
        0 as value_matching_consensus
    from calibration_reviews
    union all
    select
        calibration_session_id,
        reviewer_id,
        1 as rated_value,
        case when has_consensus then 1 else 0 end as value_with_consensus,
        case when matches_consensus then 1 else 0 end as value_matching_consensus
    from rated_with_consensus
),

per_reviewer as (
    select
        calibration_session_id,
        reviewer_id,
        sum(rated_value) as rated_values,
        sum(value_with_consensus) as values_with_consensus,
        sum(value_matching_consensus) as values_matching_consensus
    from reviewer_rows
    group by
        calibration_session_id,
        reviewer_id
),

final as (
    select
        calibration_session_id,
        reviewer_id,
        cast(rated_values as bigint) as rated_values,
        cast(values_with_consensus as bigint) as values_with_consensus,
        cast(values_matching_consensus as bigint) as values_matching_consensus,
        {{ safe_divide('values_matching_consensus', 'values_with_consensus') }} as consensus_agreement_rate
    from per_reviewer
)

select * from final
