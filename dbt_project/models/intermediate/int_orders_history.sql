with

versions as (
    {{ raw_versions('marketplace', 'orders', key='order_id') }}
),

history as (
    {{ version_history('versions', key='order_id') }}
),

final as (
    select
        order_id,
        buyer_id,
        seller_id,
        show_id,
        category,
        amount_usd,
        placed_at,
        status,
        cancelled_by,
        payment_method,
        shipped_at,
        delivered_at,
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
