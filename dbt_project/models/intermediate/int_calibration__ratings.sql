-- Calibration ratings in long format: one row per calibration_session_id x
-- case (case_type, case_id) x reviewer_id x rubric_item with a non-null
-- value, from each reviewer's latest review of the case in the session
-- (int_calibration__reviews). A null rubric value is a missing value
-- (metrics.md "Calibration agreement") and has no row here.

with

calibration_reviews as (
    select * from {{ ref('int_calibration__reviews') }}
),

unpivoted as (
    {%- set rubric_items = [
        'policy_applied_correctly', 'evidence_standard_met', 'resolution_correct', 'critical_error',
    ] %}
    {% for rubric_item in rubric_items %}
    select
        calibration_session_id,
        case_type,
        case_id,
        reviewer_id,
        review_id,
        '{{ rubric_item }}' as rubric_item,
        {{ rubric_item }} as rating_value
    from calibration_reviews
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        calibration_session_id,
        case_type,
        case_id,
        reviewer_id,
        review_id,
        rubric_item,
        rating_value
    from unpivoted
    where rating_value is not null
)

select * from final
