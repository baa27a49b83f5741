-- One row per support agent: current state, no PII (no display name, no
-- email or email hash), with tenure as of the run's as-of day.

with

agents as (
    select * from {{ ref('stg_support__agents') }}
),

run_as_of as (
    select * from {{ ref('int_run_as_of') }}
),

final as (
    select
        agents.agent_id,
        agents.team,
        agents.site,
        agents.role,
        agents.active,
        agents.hired_at,
        cast(
            {{ dbt.datediff('cast(agents.hired_at as date)', 'run_as_of.as_of_day', 'day') }}
            as integer
        ) as tenure_days
    from agents
    cross join run_as_of
)

select * from final
