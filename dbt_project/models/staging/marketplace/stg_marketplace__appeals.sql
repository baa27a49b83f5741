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
        export_date
    from current_versions
)

select * from final
