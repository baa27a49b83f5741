with

versions as (
    {{ raw_versions('marketplace', 'shows', key='show_id') }}
),

history as (
    {{ version_history('versions', key='show_id') }}
),

final as (
    select
        show_id,
        seller_id,
        category,
        started_at,
        ended_at,
        peak_viewers,
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
