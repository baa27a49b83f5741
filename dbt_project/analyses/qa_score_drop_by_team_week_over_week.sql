-- Which teams' QA score (IQS) dropped most week over week, and which agents drove it?
-- Reads fct_qa_scores_daily (reviews, iqs per day x agent x case_type) and dim_agents (team).
-- IQS is re-aggregated from its parts (sum of review scores / reviews), never averaged.
-- An agent's "drag" is the change in their weighted contribution to the team's IQS.

with

scores as (
    select * from {{ ref('fct_qa_scores_daily') }}
),

agents as (
    select * from {{ ref('dim_agents') }}
),

weekly as (
    select
        {{ dbt.date_trunc('week', 'scores.day') }} as week,
        coalesce(agents.team, '(unknown)') as team,
        scores.agent_id,
        sum(scores.reviews) as reviews,
        sum(scores.iqs * scores.reviews) as score_points
    from scores
    left join agents on scores.agent_id = agents.agent_id
    group by 1, 2, 3
),

team_weekly as (
    select
        week,
        team,
        sum(reviews) as reviews,
        sum(score_points) / nullif(sum(reviews), 0) as iqs
    from weekly
    group by 1, 2
),

team_change as (
    select
        week,
        team,
        reviews,
        iqs,
        iqs - lag(iqs) over (partition by team order by week) as iqs_change
    from team_weekly
),

latest_week as (
    select max(week) as week from team_change
),

agent_drag as (
    select
        this_week.team,
        this_week.agent_id,
        this_week.reviews,
        this_week.score_points / nullif(this_week.reviews, 0) as iqs_this_week,
        last_week.score_points / nullif(last_week.reviews, 0) as iqs_last_week
    from weekly as this_week
    inner join latest_week on this_week.week = latest_week.week
    left join weekly as last_week
        on
            this_week.agent_id = last_week.agent_id
            and this_week.team = last_week.team
            and last_week.week = {{ dbt.dateadd('day', -7, 'this_week.week') }}
)

select
    team_change.team,
    team_change.week,
    team_change.reviews as team_reviews,
    team_change.iqs as team_iqs,
    team_change.iqs_change as team_iqs_change,
    agent_drag.agent_id,
    agent_drag.reviews as agent_reviews,
    agent_drag.iqs_last_week as agent_iqs_last_week,
    agent_drag.iqs_this_week as agent_iqs_this_week
from team_change
inner join latest_week on team_change.week = latest_week.week
left join agent_drag on team_change.team = agent_drag.team
order by team_change.iqs_change asc nulls last, agent_drag.iqs_this_week - agent_drag.iqs_last_week asc nulls last
