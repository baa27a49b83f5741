{#-
    The partition window of an incremental run.

    Dagster passes the export days of the run's partitions (one day for the
    nightly run, the whole range for a backfill), both ISO dates and both
    included, as the environment variables
      TRUSTQA_DBT_MIN_DATE, TRUSTQA_DBT_MAX_DATE
    read only at execution: a value that changes every night in `--vars`
    would make dbt re-parse the whole project on every run ("config vars
    have changed"), about 5 s per dbt step. By hand, the vars `min_date` and
    `max_date` do the same and win over the environment.

    Every incremental model also recomputes late_data_lookback_days() days
    before the window's first day, for export files that arrive or are
    corrected late. A plain `dbt build` without a window has none: each model
    then recomputes only what was loaded since its last build (its
    watermark), which the window never narrows: the two are combined.

    Returns a dict {start, end} of datetime.date, or none when no window
    was given.
-#}
{% macro partition_window() -%}
    {%- set min_date = var('min_date', none) -%}
    {%- set max_date = var('max_date', none) -%}
    {%- if min_date is none and max_date is none and execute -%}
        {%- set min_date = env_var('TRUSTQA_DBT_MIN_DATE', '') or none -%}
        {%- set max_date = env_var('TRUSTQA_DBT_MAX_DATE', '') or none -%}
    {%- endif -%}
    {%- if min_date is none and max_date is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if min_date is none or max_date is none -%}
        {{ exceptions.raise_compiler_error(
            "pass both min_date and max_date (YYYY-MM-DD), got min_date=" ~ min_date ~ ", max_date=" ~ max_date
        ) }}
    {%- endif -%}
    {%- set first = modules.datetime.date.fromisoformat(min_date | string) -%}
    {%- set last = modules.datetime.date.fromisoformat(max_date | string) -%}
    {%- if first > last -%}
        {{ exceptions.raise_compiler_error("min_date " ~ first ~ " is after max_date " ~ last) }}
    {%- endif -%}
    {{ return({'start': first - modules.datetime.timedelta(days=late_data_lookback_days()), 'end': last}) }}
{%- endmacro %}


{#-
    The late-data lookback in days: TRUSTQA_DBT_LATE_DATA_LOOKBACK_DAYS (set
    by Dagster from TRUSTQA_LATE_DATA_LOOKBACK_DAYS, read at execution like
    the window), else the var `late_data_lookback_days` (dbt_project.yml,
    default 2).
-#}
{% macro late_data_lookback_days() -%}
    {%- set from_env = env_var('TRUSTQA_DBT_LATE_DATA_LOOKBACK_DAYS', '') if execute else '' -%}
    {%- set days = (from_env or var('late_data_lookback_days', 2)) | int -%}
    {%- if days < 1 -%}
        {{ exceptions.raise_compiler_error("late_data_lookback_days must be >= 1, got " ~ days) }}
    {%- endif -%}
    {{ return(days) }}
{%- endmacro %}


{#-
    The keys of `relation` (a raw source) an incremental history model must
    rebuild: every key with a version loaded after the model's watermark
    (the latest _loaded_at it holds), or exported in the partition window.
    A key's history (version numbers, validity, known-at days) depends on
    that key's versions only, so rebuilding exactly these keys with the
    delete+insert strategy (unique_key = the key) gives the same rows as a
    full rebuild, at a cost that follows the new day's activity.
-#}
{% macro incremental_changed_keys(relation, key) -%}
    {%- set window = partition_window() -%}
    select {{ key }}
    from {{ relation }}
    where _loaded_at > (
            select coalesce(max(_loaded_at), cast('1900-01-01' as timestamp))
            from {{ this }}
        )
        {%- if window is not none %}
        or _export_date between {{ date_literal(window.start) }} and {{ date_literal(window.end) }}
        {%- endif %}
{%- endmacro %}
