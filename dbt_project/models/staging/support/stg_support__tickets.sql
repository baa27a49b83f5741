with

versions as (
    {{ raw_versions('support', 'tickets', key='ticket_id') }}
),

current_versions as (
    {{ current_version('versions', key='ticket_id') }}
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
        export_date
    from current_versions
)

select * from final
