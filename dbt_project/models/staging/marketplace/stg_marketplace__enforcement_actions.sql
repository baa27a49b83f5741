-- Current state, kept incrementally (see the staging section of
-- dbt_project.yml): a run replaces the row of every action_id with a version
-- loaded since the last build, and leaves every other key's row as it is.
{{ config(unique_key='action_id') }}

with

versions as (
    {{ raw_versions('marketplace', 'enforcement_actions', key='action_id') }}
),

current_versions as (
    {{ current_version('versions', key='action_id') }}
),

final as (
    select
        action_id,
        user_id,
        action_type,
        policy,
        detection_source,
        decided_by,
        agent_id,
        created_at,
        reversed_at,
        reversal_reason,
        updated_at,
        export_date,
        _loaded_at,
        {{ build_stamp() }} as _built_at
    from current_versions
)

select * from final
