-- Current state, kept incrementally (see the staging section of
-- dbt_project.yml): a run replaces the row of every appeal_id with a version
-- loaded since the last build, and leaves every other key's row as it is.
{{ config(unique_key='appeal_id') }}

with

versions as (
    {{ raw_versions('marketplace', 'appeals', key='appeal_id') }}
),

current_versions as (
    {{ current_version('versions', key='appeal_id') }}
),

final as (
    select
        appeal_id,
        action_id,
        user_id,
        submitted_at,
        review_level,
        assigned_agent_id,
        decided_at,
        outcome,
        updated_at,
        export_date,
        _loaded_at,
        {{ build_stamp() }} as _built_at
    from current_versions
)

select * from final
