-- Current state, kept incrementally (see the staging section of
-- dbt_project.yml): a run replaces the row of every order_id with a version
-- loaded since the last build, and leaves every other key's row as it is.
{{ config(unique_key='order_id') }}

with

versions as (
    {{ raw_versions('marketplace', 'orders', key='order_id') }}
),

current_versions as (
    {{ current_version('versions', key='order_id') }}
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
        export_date,
        _loaded_at,
        {{ build_stamp() }} as _built_at
    from current_versions
)

select * from final
