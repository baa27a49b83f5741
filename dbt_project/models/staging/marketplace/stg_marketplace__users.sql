-- Current state, kept incrementally (see the staging section of
-- dbt_project.yml): a run replaces the row of every user_id with a version
-- loaded since the last build, and leaves every other key's row as it is.
{{ config(unique_key='user_id') }}

with

versions as (
    {{ raw_versions('marketplace', 'users', key='user_id') }}
),

current_versions as (
    {{ current_version('versions', key='user_id') }}
),

final as (
    select
        user_id,
        email_hash,
        country,
        signup_at,
        is_seller,
        seller_tier,
        verification_status,
        updated_at,
        export_date,
        _loaded_at,
        {{ build_stamp() }} as _built_at
    from current_versions
)

select * from final
