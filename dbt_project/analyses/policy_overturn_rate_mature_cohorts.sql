-- Which policies have the highest overturn rate among mature enforcement cohorts?
-- Rates use only cohorts with is_mature (at least 30 days old at the as-of
-- date): younger cohorts still gain appeals and reversals. The immature volume
-- is shown beside them, so a policy whose actions are all recent is visible
-- (its mature rates are null) rather than missing. Rates re-aggregated from parts.

with

outcomes as (
    select * from {{ ref('fct_enforcement_outcomes_daily') }}
),

by_policy as (
    select
        policy,
        sum(case when is_mature then actions else 0 end) as mature_actions,
        sum(case when is_mature then appealed else 0 end) as mature_appealed,
        sum(case when is_mature then reversed_by_appeal else 0 end) as mature_reversed_by_appeal,
        sum(case when is_mature then reversed else 0 end) as mature_reversed,
        sum(case when is_mature then 0 else actions end) as immature_actions
    from outcomes
    group by policy
)

select
    policy,
    mature_actions,
    mature_appealed,
    mature_reversed_by_appeal,
    {{ safe_divide('mature_reversed_by_appeal', 'mature_appealed') }} as overturned_share_of_appealed,
    {{ safe_divide('mature_reversed', 'mature_actions') }} as wrongful_enforcement_rate,
    immature_actions
from by_policy
order by overturned_share_of_appealed desc nulls last, mature_actions desc, immature_actions desc
