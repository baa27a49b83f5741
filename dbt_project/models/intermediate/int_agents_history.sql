with

versions as (
    {{ raw_versions('support', 'agents', key='agent_id') }}
),

history as (
    {{ version_history('versions', key='agent_id') }}
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
