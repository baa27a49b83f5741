-- Current state, kept incrementally (see the staging section of
-- dbt_project.yml): a run replaces the row of every report_id with a version
-- loaded since the last build, and leaves every other key's row as it is.
{{ config(unique_key='report_id') }}

with

versions as (
    {{ raw_versions('marketplace', 'reports', key='report_id') }}
),

current_versions as (
    {{ current_version('versions', key='report_id') }}
),

final as (
    select
        report_id,
        reporter_id,
        reported_user_id,
        show_id,
        reason,
        created_at,
        updated_at,
        export_date,
        _loaded_at,
        {{ build_stamp() }} as _built_at
    from current_versions
)

select * from final
