{#-
    The latest event of a user at or before each action, without joining
    every action to every earlier event of its user (which grows with the
    user's history times their actions: 39 s of int_qa_cases at scale 10).

    number_events(events): `events` (user_id, event_at, event_id, category)
    with event_seq, 1, 2, ... per user in (event_at, event_id) order.

    latest_event_before(numbered, acted): for each row of `acted`
    (action_id, user_id, acted_at) whose user has an event at or before
    acted_at, the action_id and the category of the latest such event, the
    greatest (event_at, event_id). One pass over each user's events and
    actions in time order: an action comes after the events of its own
    instant, and the running maximum of event_seq up to it is the latest
    event's number. Actions without such an event have no row.
-#}
{% macro number_events(events) -%}
    select
        {{ events }}.user_id,
        {{ events }}.event_at,
        {{ events }}.event_id,
        {{ events }}.category,
        row_number() over (
            partition by {{ events }}.user_id
            order by {{ events }}.event_at, {{ events }}.event_id
        ) as event_seq
    from {{ events }}
{%- endmacro %}


{% macro latest_event_before(numbered, acted) -%}
    select
        timeline.action_id,
        {{ numbered }}.category
    from (
        select
            ordered.user_id,
            ordered.action_id,
            max(ordered.event_seq) over (
                partition by ordered.user_id
                order by ordered.at, ordered.kind
                rows between unbounded preceding and current row
            ) as latest_seq
        from (
            select
                {{ numbered }}.user_id,
                {{ numbered }}.event_at as at,
                0 as kind,
                {{ numbered }}.event_seq,
                null as action_id
            from {{ numbered }}
            union all
            select
                {{ acted }}.user_id,
                {{ acted }}.acted_at as at,
                1 as kind,
                null as event_seq,
                {{ acted }}.action_id
            from {{ acted }}
            where {{ acted }}.acted_at is not null
        ) as ordered
    ) as timeline
    inner join {{ numbered }}
        on
            timeline.user_id = {{ numbered }}.user_id
            and timeline.latest_seq = {{ numbered }}.event_seq
    where timeline.action_id is not null
{%- endmacro %}
