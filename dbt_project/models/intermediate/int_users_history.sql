with

versions as (
    {{ raw_versions('marketplace', 'users', key='user_id') }}
),

history as (
    {{ version_history('versions', key='user_id') }}
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
