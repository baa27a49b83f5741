-- Current state, kept incrementally (see the staging section of
-- dbt_project.yml): a run replaces the row of every show_id with a version
-- loaded since the last build, and leaves every other key's row as it is.
{{ config(unique_key='show_id') }}

with

versions as (
    {{ raw_versions('marketplace', 'shows', key='show_id') }}
),

current_versions as (
    {{ current_version('versions', key='show_id') }}
),

final as (
    select
        show_id,
        seller_id,
        category,
        started_at,
        ended_at,
        peak_viewers,
        updated_at,
        export_date,
        _loaded_at,
        {{ build_stamp() }} as _built_at
    from current_versions
)

select * from final
