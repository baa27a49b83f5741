-- Current state, kept incrementally (see the staging section of
-- dbt_project.yml): a run replaces the row of every rating_id with a version
-- loaded since the last build, and leaves every other key's row as it is.
{{ config(unique_key='rating_id') }}

with

versions as (
    {{ raw_versions('support', 'satisfaction_ratings', key='rating_id') }}
),

current_versions as (
    {{ current_version('versions', key='rating_id') }}
),

final as (
    select
        rating_id,
        ticket_id,
        score,
        has_comment,
        created_at,
        updated_at,
        export_date,
        _loaded_at,
        {{ build_stamp() }} as _built_at
    from current_versions
)

select * from final
