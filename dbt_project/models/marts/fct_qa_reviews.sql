-- One row per QA review (its current version), with the case's queue,
-- category and policy (int_qa_case_context), the reviewee's team and site as
-- of the review, every rubric item and the review's score as
-- fct_qa_scores_daily counts it, exactly as docs/metrics.md "QA reviews
-- (fct_qa_reviews)" defines them.

with

qa_reviews as (
    select * from {{ ref('stg_support__qa_reviews') }}
),

case_context as (
    select * from {{ ref('int_qa_case_context') }}
),

agents_history as (
    select * from {{ ref('int_agents_history') }}
),

-- agent versions that are valid at some instant (a version that lost an
-- updated_at tie has valid_to = valid_from and is never valid)
valid_agent_versions as (
    select
        agent_id,
        version_number,
        valid_from,
        valid_to,
        team,
        site
    from agents_history
    where valid_to is null or valid_to > valid_from
),

-- the reviewee's version valid at reviewed_at (valid_from <= reviewed_at <
-- valid_to); failing that (the agent was first exported after the review, or
-- reviewed_at is null), the agent's earliest valid version. Left join: an
-- unknown agent keeps null team and site.
agent_candidates as (
    select
        qa_reviews.review_id,
        valid_agent_versions.team,
        valid_agent_versions.site,
        row_number() over (
            partition by qa_reviews.review_id
            order by
                case
                    when
                        valid_agent_versions.valid_from <= qa_reviews.reviewed_at
                        and (
                            valid_agent_versions.valid_to is null
                            or qa_reviews.reviewed_at < valid_agent_versions.valid_to
                        )
                        then 0
                    else 1
                end,
                valid_agent_versions.version_number
        ) as candidate_rank
    from qa_reviews
    left join valid_agent_versions
        on qa_reviews.agent_id = valid_agent_versions.agent_id
),

review_agents as (
    select
        review_id,
        team,
        site
    from agent_candidates
    where candidate_rank = 1
),

final as (
    select
        qa_reviews.review_id,
        qa_reviews.reviewed_at,
        cast(qa_reviews.reviewed_at as date) as review_day,
        {{ iso_week_start('qa_reviews.reviewed_at') }} as review_week,
        qa_reviews.case_type,
        qa_reviews.case_id,
        case_context.queue,
        case_context.category,
        case_context.policy,
        qa_reviews.agent_id,
        review_agents.team as agent_team,
        review_agents.site as agent_site,
        qa_reviews.reviewer_id,
        qa_reviews.sampling_method,
        qa_reviews.calibration_session_id,
        coalesce(qa_reviews.sampling_method = 'calibration', false) as is_calibration,
        qa_reviews.rubric_version,
        qa_reviews.policy_applied_correctly,
        qa_reviews.evidence_standard_met,
        qa_reviews.resolution_correct,
        qa_reviews.communication_score,
        qa_reviews.critical_error,
        cast(qa_reviews.overall_score as double) as overall_score,
        -- fct_qa_scores_daily's review score: auto-fail, a critical error
        -- scores 0 whatever overall_score says (null critical_error = false)
        case
            when coalesce(qa_reviews.critical_error, false) then cast(0 as double)
            else cast(qa_reviews.overall_score as double)
        end as qa_score,
        case_context.category_source,
        case_context.action_id,
        qa_reviews.updated_at
    from qa_reviews
    left join case_context
        on qa_reviews.review_id = case_context.review_id
    left join review_agents
        on qa_reviews.review_id = review_agents.review_id
)

select * from final
