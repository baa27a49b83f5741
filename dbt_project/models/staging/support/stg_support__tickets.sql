-- Current state, kept incrementally (see the staging section of
-- dbt_project.yml): a run replaces the row of every ticket_id with a version
-- loaded since the last build, and leaves every other key's row as it is.
{{ config(unique_key='ticket_id') }}

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
        export_date,
        _loaded_at,
        {{ build_stamp() }} as _built_at
    from current_versions
)

select * from final
