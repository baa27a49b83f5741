with

versions as (
    {{ raw_versions('marketplace', 'appeals', key='appeal_id') }}
),

history as (
    {{ version_history('versions', key='appeal_id') }}
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
        version_number,
        valid_from,
        valid_to,
        is_current,
        export_date,
        known_from_day,
        known_to_day,
        _source_file,
        _source_line,
        _loaded_at
    from history
)

select * from final
