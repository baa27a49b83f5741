-- Incremental by key (macros/incremental/partition_window.sql): a run
-- rebuilds the whole history of every action_id with a version loaded since
-- the last build or exported in the partition window (plus the late-data
-- lookback), and leaves every other key's rows as they are.
{{ config(
    materialized='incremental',
    tags=['daily_partitioned'],
    incremental_strategy='delete+insert',
    meta={'tests_on_latest_build': true},
    unique_key='action_id',
    on_schema_change='fail',
) }}

-- Built after the staging model of the same table (an incremental table of
-- current state per key), so that its quality gates (blocking in Dagster)
-- hold back the history when they fail. History needs every version and
-- staging keeps only the current one, so this model reads raw itself (by
-- rowid on DuckDB, raw_versions.sql) and declares the edge with dbt's own
-- documented "forcing dependencies" comment (dbt 1.11 has no config for it):
-- depends_on: {{ ref('stg_marketplace__enforcement_actions') }}

with

versions as (
    {{ raw_versions('marketplace', 'enforcement_actions', key='action_id') }}
),

history as (
    {{ version_history('versions', key='action_id') }}
),

final as (
    select
        action_id,
        user_id,
        action_type,
        policy,
        detection_source,
        decided_by,
        agent_id,
        created_at,
        reversed_at,
        reversal_reason,
        updated_at,
        version_number,
        valid_from,
        valid_to,
        is_current,
        export_date,
        known_from_day,
        known_to_day,
        _source_file,
        _source_line,
        _loaded_at,
        {{ build_stamp() }} as _built_at
    from history
)

select * from final
