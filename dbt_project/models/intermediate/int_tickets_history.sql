with

versions as (
    {{ raw_versions('support', 'tickets', key='ticket_id') }}
),

history as (
    {{ version_history('versions', key='ticket_id') }}
),

final as (
    select
        ticket_id,
        requester_user_id,
        channel,
        queue,
        category,
        priority,
        status,
        assignee_agent_id,
        tags,
        related_action_id,
        related_order_id,
        created_at,
        first_reply_at,
        solved_at,
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
