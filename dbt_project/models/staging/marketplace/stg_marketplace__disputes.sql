-- Current state, kept incrementally (see the staging section of
-- dbt_project.yml): a run replaces the row of every dispute_id with a version
-- loaded since the last build, and leaves every other key's row as it is.
{{ config(unique_key='dispute_id') }}

with

versions as (
    {{ raw_versions('marketplace', 'disputes', key='dispute_id') }}
),

current_versions as (
    {{ current_version('versions', key='dispute_id') }}
),

final as (
    select
        dispute_id,
        order_id,
        kind,
        opened_at,
        resolved_at,
        outcome,
        updated_at,
        export_date,
        _loaded_at,
        {{ build_stamp() }} as _built_at
    from current_versions
)

select * from final
