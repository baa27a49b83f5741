with

versions as (
    {{ raw_versions('support', 'satisfaction_ratings', key='rating_id') }}
),

history as (
    {{ version_history('versions', key='rating_id') }}
),

final as (
    select
        rating_id,
        ticket_id,
        score,
        has_comment,
        created_at,
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
