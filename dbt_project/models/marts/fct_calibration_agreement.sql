-- Calibration agreement per calibration_session_id x rubric_item, exactly as
-- docs/metrics.md "Calibration agreement" defines it: units = cases
-- (case_type, case_id), coders = reviewers, null ratings are missing values.
-- Pooled pairwise agreement and Krippendorff's alpha (nominal) come from the
-- macros in macros/metrics/calibration_agreement.sql.

with

calibration_reviews as (
    select * from {{ ref('int_calibration__reviews') }}
),

ratings as (
    select * from {{ ref('int_calibration__ratings') }}
),

rubric_items as (
    {%- set rubric_items = [
        'policy_applied_correctly', 'evidence_standard_met', 'resolution_correct', 'critical_error',
    ] %}
    {% for rubric_item in rubric_items %}
    select '{{ rubric_item }}' as rubric_item
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- distinct reviewers and cases per session (a null reviewer_id or case key
-- counts as one, like any grain null)
session_reviewers as (
    select distinct
        calibration_session_id,
        reviewer_id
    from calibration_reviews
),

session_cases as (
    select distinct
        calibration_session_id,
        case_type,
        case_id
    from calibration_reviews
),

session_reviewer_counts as (
    select
        calibration_session_id,
        count(*) as reviewers
    from session_reviewers
    group by calibration_session_id
),

session_case_counts as (
    select
        calibration_session_id,
        count(*) as cases
    from session_cases
    group by calibration_session_id
),

sessions as (
    select
        session_reviewer_counts.calibration_session_id,
        session_reviewer_counts.reviewers,
        session_case_counts.cases
    from session_reviewer_counts
    inner join session_case_counts
        on session_reviewer_counts.calibration_session_id = session_case_counts.calibration_session_id
),

-- one row per session x case x rubric_item x value: n_uc and m_u
value_counts as (
    {{ calibration_value_counts(
        'ratings',
        ['calibration_session_id', 'rubric_item', 'case_type', 'case_id'],
        'rating_value',
    ) }}
),

pairwise_agreement as (
    {{ calibration_pairwise_agreement('value_counts', ['calibration_session_id', 'rubric_item']) }}
),

krippendorff_alpha as (
    {{ calibration_krippendorff_alpha_nominal(
        'value_counts',
        ['calibration_session_id', 'rubric_item'],
        'rating_value',
    ) }}
),

-- every session x item, zeros and nulls included
final as (
    select
        sessions.calibration_session_id,
        rubric_items.rubric_item,
        sessions.reviewers,
        sessions.cases,
        cast(coalesce(pairwise_agreement.pairable_values, 0) as bigint) as pairable_values,
        cast(coalesce(pairwise_agreement.agreeing_pairs, 0) as bigint) as agreeing_pairs,
        cast(coalesce(pairwise_agreement.ordered_pairs, 0) as bigint) as ordered_pairs,
        {{ safe_divide('pairwise_agreement.agreeing_pairs', 'pairwise_agreement.ordered_pairs') }} as pct_agreement,
        cast(krippendorff_alpha.krippendorff_alpha as double) as krippendorff_alpha
    from sessions
    cross join rubric_items
    left join pairwise_agreement
        on
            sessions.calibration_session_id = pairwise_agreement.calibration_session_id
            and rubric_items.rubric_item = pairwise_agreement.rubric_item
    left join krippendorff_alpha
        on
            sessions.calibration_session_id = krippendorff_alpha.calibration_session_id
            and rubric_items.rubric_item = krippendorff_alpha.rubric_item
)

select * from final
