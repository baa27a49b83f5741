with

versions as (
    {{ raw_versions('marketplace', 'users', key='user_id') }}
),

current_versions as (
    {{ current_version('versions', key='user_id') }}
),

final as (
    select
        user_id,
        email_hash,
        country,
        signup_at,
        is_seller,
        seller_tier,
        verification_status,
        updated_at,
        export_date
    from current_versions
)

select * from final
