with

versions as (
    {{ raw_versions('marketplace', 'shows', key='show_id') }}
),

current_versions as (
    {{ current_version('versions', key='show_id') }}
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
        export_date
    from current_versions
)

select * from final
