-- Current state, kept incrementally (see the staging section of
-- dbt_project.yml): a run replaces the row of every agent_id with a version
-- loaded since the last build, and leaves every other key's row as it is.
{{ config(unique_key='agent_id') }}

with

versions as (
    {{ raw_versions('support', 'agents', key='agent_id') }}
),

current_versions as (
    {{ current_version('versions', key='agent_id') }}
),

final as (
    select
        agent_id,
        email_hash,
        team,
        site,
        role,
        hired_at,
        active,
        updated_at,
        export_date,
        _loaded_at,
        {{ build_stamp() }} as _built_at
    from current_versions
)

select * from final
