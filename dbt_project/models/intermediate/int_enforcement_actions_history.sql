with

versions as (
    {{ raw_versions('marketplace', 'enforcement_actions', key='action_id') }}
),

history as (
    {{ version_history('versions', key='action_id') }}
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
