with

versions as (
    {{ raw_versions('support', 'satisfaction_ratings', key='rating_id') }}
),

current_versions as (
    {{ current_version('versions', key='rating_id') }}
),

final as (
    select
        rating_id,
        ticket_id,
        score,
        has_comment,
        created_at,
        updated_at,
        export_date
    from current_versions
)

select * from final
