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
        export_date
    from current_versions
)

select * from final
