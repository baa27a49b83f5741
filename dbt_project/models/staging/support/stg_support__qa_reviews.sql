-- Current state, kept incrementally (see the staging section of
-- dbt_project.yml): a run replaces the row of every review_id with a version
-- loaded since the last build, and leaves every other key's row as it is.
{{ config(unique_key='review_id') }}

with

versions as (
    {{ raw_versions('support', 'qa_reviews', key='review_id') }}
),

current_versions as (
    {{ current_version('versions', key='review_id') }}
),

final as (
    select
        review_id,
        case_type,
        case_id,
        agent_id,
        reviewer_id,
        reviewed_at,
        rubric_version,
        sampling_method,
        calibration_session_id,
        policy_applied_correctly,
        evidence_standard_met,
        resolution_correct,
        communication_score,
        critical_error,
        overall_score,
        updated_at,
        export_date,
        _loaded_at,
        {{ build_stamp() }} as _built_at
    from current_versions
)

select * from final
