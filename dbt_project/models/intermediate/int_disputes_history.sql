with

versions as (
    {{ raw_versions('marketplace', 'disputes', key='dispute_id') }}
),

history as (
    {{ version_history('versions', key='dispute_id') }}
),

final as (
    select
        dispute_id,
        order_id,
        kind,
        opened_at,
        resolved_at,
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
