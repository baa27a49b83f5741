-- The case behind each current QA review (stg_support__qa_reviews): its
-- queue, category and policy, exactly as docs/metrics.md "QA reviews
-- (fct_qa_reviews)" defines them, from the case itself (int_qa_cases, where
-- the category rule lives). One row per review_id. An unknown case keeps
-- the queue of its case type ('enforcement', 'appeals'; a ticket's is
-- null) and an enforcement case its action_id; the rest is null.

with

qa_reviews as (
    select * from {{ ref('stg_support__qa_reviews') }}
),

qa_cases as (
    select * from {{ ref('int_qa_cases') }}
),

final as (
    select
        qa_reviews.review_id,
        case qa_reviews.case_type
            when 'ticket' then qa_cases.queue
            when 'enforcement' then 'enforcement'
            when 'appeal' then 'appeals'
        end as queue,
        qa_cases.category,
        qa_cases.category_source,
        qa_cases.policy,
        case
            when qa_reviews.case_type = 'enforcement' then qa_reviews.case_id
            else qa_cases.action_id
        end as action_id
    from qa_reviews
    left join qa_cases
        on
            qa_reviews.case_type = qa_cases.case_type
            and qa_reviews.case_id = qa_cases.case_id
)

select * from final
