-- Which QA reviewers drift from their peers' consensus in calibration sessions?
-- Pooled over every session: values matching the leave-one-out consensus of the
-- other reviewers / values that had a consensus. Lowest agreement first; the
-- number of values with a consensus says how much evidence there is.

with

reviewer_sessions as (
    select * from {{ ref('fct_reviewer_calibration') }}
)

select
    reviewer_id,
    count(*) as sessions,
    sum(rated_values) as rated_values,
    sum(values_with_consensus) as values_with_consensus,
    sum(values_matching_consensus) as values_matching_consensus,
    {{ safe_divide('sum(values_matching_consensus)', 'sum(values_with_consensus)') }} as consensus_agreement_rate
from reviewer_sessions
group by reviewer_id
order by consensus_agreement_rate asc nulls last, values_with_consensus desc
