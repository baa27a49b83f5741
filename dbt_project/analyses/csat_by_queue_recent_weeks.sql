-- How satisfied are users, by support queue and week (last 4 weeks of ratings)?
-- CSAT re-aggregated from its parts: positive ratings (score >= 4) / ratings.

with

csat as (
    select * from {{ ref('fct_csat_daily') }}
),

recent as (
    select max(day) as last_day from csat
)

select
    {{ dbt.date_trunc('week', 'csat.day') }} as week,
    csat.queue,
    sum(csat.ratings) as ratings,
    sum(csat.positive_ratings) as positive_ratings,
    {{ safe_divide('sum(csat.positive_ratings)', 'sum(csat.ratings)') }} as csat_pct,
    sum(csat.csat_mean * csat.ratings) / nullif(sum(csat.ratings), 0) as csat_mean
from csat
cross join recent
where csat.day > {{ dbt.dateadd('day', -28, 'recent.last_day') }}
group by 1, 2
order by week desc, csat_pct asc nulls last
