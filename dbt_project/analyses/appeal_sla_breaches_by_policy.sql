-- Where do appeal decisions miss their SLA (48 h level 1, 72 h level 2), by policy and level?
-- Re-aggregated from fct_appeal_outcomes_daily's parts over the whole history.

with

appeals as (
    select * from {{ ref('fct_appeal_outcomes_daily') }}
)

select
    policy,
    review_level,
    sum(decided) as decided,
    sum(decided) - sum(within_sla) as decided_late,
    {{ safe_divide('sum(within_sla)', 'sum(decided)') }} as sla_attainment,
    {{ safe_divide('sum(overturned) + sum(partially_overturned)', 'sum(decided)') }} as appeal_overturn_rate
from appeals
group by policy, review_level
order by sla_attainment asc nulls last, decided desc
