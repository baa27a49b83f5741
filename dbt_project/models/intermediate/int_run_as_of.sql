-- The run's as-of time (metrics.md "As-of time"): the end of the last export
-- day loaded, over every raw table. One row. Columns that depend on it
-- (is_mature, SLA due, backlog days) read it from here, so they are right
-- after every run, not only after a full refresh.

with

export_days as (
    {% for source_name, table_name in [
        ('marketplace', 'users'), ('marketplace', 'shows'), ('marketplace', 'orders'),
        ('marketplace', 'disputes'), ('marketplace', 'reports'),
        ('marketplace', 'enforcement_actions'), ('marketplace', 'appeals'),
        ('support', 'tickets'), ('support', 'satisfaction_ratings'),
        ('support', 'qa_reviews'), ('support', 'agents'),
    ] %}
    select
        min(_export_date) as first_export_date,
        max(_export_date) as last_export_date
    from {{ source(source_name, table_name) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        min(first_export_date) as first_export_day,
        max(last_export_date) as as_of_day,
        {{ end_of_day('max(last_export_date)') }} as as_of_time
    from export_days
)

select * from final
