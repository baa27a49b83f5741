with

versions as (
    {{ raw_versions('marketplace', 'disputes', key='dispute_id') }}
),

current_versions as (
    {{ current_version('versions', key='dispute_id') }}
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
        export_date
    from current_versions
)

select * from final
