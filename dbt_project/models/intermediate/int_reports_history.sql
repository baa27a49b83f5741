with

versions as (
    {{ raw_versions('marketplace', 'reports', key='report_id') }}
),

history as (
    {{ version_history('versions', key='report_id') }}
),

final as (
    select
        report_id,
        reporter_id,
        reported_user_id,
        show_id,
        reason,
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
