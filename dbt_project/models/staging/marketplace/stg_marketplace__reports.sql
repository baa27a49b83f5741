with

versions as (
    {{ raw_versions('marketplace', 'reports', key='report_id') }}
),

current_versions as (
    {{ current_version('versions', key='report_id') }}
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
        export_date
    from current_versions
)

select * from final
