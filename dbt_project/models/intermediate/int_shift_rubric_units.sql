-- Rubric items of the QA reviews per complete ISO week, for the rubric_item
-- rows of fct_metric_shift_drivers_weekly (docs/metrics.md "Quality shifts
-- and their drivers"): one row per week_start x rubric_item x every
-- dimension a QA shift is sliced by, with the reviews rating the item and
-- the reviews passing it. Reviews: fct_qa_reviews without calibration
-- reviews (fct_qa_scores_daily's); week = review_week; complete weeks only
-- (Sunday on or before the as-of day). Pass: policy_applied_correctly,
-- evidence_standard_met and resolution_correct true; communication_score at
-- least 4 (of 1-5, as a CSAT rating is positive); critical_error not true (a
-- null critical_error is no error, as in fct_qa_scores_daily). A null item
-- (not rated) is not counted; critical_error is rated on every review.

{%- set items = [
    ('policy_applied_correctly', 'policy_applied_correctly', 'policy_applied_correctly'),
    ('evidence_standard_met', 'evidence_standard_met', 'evidence_standard_met'),
    ('resolution_correct', 'resolution_correct', 'resolution_correct'),
    ('communication_score', 'communication_score', 'communication_score >= 4'),
    ('critical_error', "coalesce(critical_error, false)", 'not coalesce(critical_error, false)'),
] %}

with

qa_reviews as (
    select * from {{ ref('fct_qa_reviews') }}
),

run_as_of as (
    select * from {{ ref('int_run_as_of') }}
),

audit_reviews as (
    select
        qa_reviews.review_week as week_start,
        qa_reviews.agent_team as team,
        qa_reviews.queue,
        qa_reviews.category,
        qa_reviews.case_type,
        qa_reviews.policy,
        qa_reviews.policy_applied_correctly,
        qa_reviews.evidence_standard_met,
        qa_reviews.resolution_correct,
        qa_reviews.communication_score,
        qa_reviews.critical_error
    from qa_reviews
    cross join run_as_of
    where
        not qa_reviews.is_calibration
        and {{ dbt.datediff('qa_reviews.review_week', 'run_as_of.as_of_day', 'day') }} >= 6
),

item_ratings as (
    {%- for item, rated, passed in items %}
    select
        '{{ item }}' as rubric_item,
        week_start,
        team,
        queue,
        category,
        case_type,
        policy,
        case when {{ passed }} then 1 else 0 end as is_pass
    from audit_reviews
    where {{ rated }} is not null
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        week_start,
        rubric_item,
        team,
        queue,
        category,
        case_type,
        policy,
        cast(count(*) as bigint) as reviews,
        cast(sum(is_pass) as bigint) as passes
    from item_ratings
    group by
        week_start,
        rubric_item,
        team,
        queue,
        category,
        case_type,
        policy
)

select * from final
