{#-
    Custom incremental strategy `replace_days` for daily snapshot models whose
    day D depends only on export files dated D or earlier (point-in-time
    models such as fct_user_risk_features_daily).

    A run recomputes every day from `incremental_days_from()` on and replaces
    exactly those days in the target: delete every target row with
    day >= from_day (days that now have no rows disappear too), then insert
    the new rows. Rows before from_day are never read or rewritten. With no
    from_day (empty target) the whole table is replaced.

    Model config:
      replace_days_column    the day column (e.g. as_of_day)
      replace_days_inputs    names of the history models the model reads
                             (each has export_date and _loaded_at)
      replace_days_lookback  late-data lookback: the last N days already in
                             the target are always recomputed (>= 1;
                             default: the run's late_data_lookback_days())

    The model stores `_inputs_loaded_at` per day: the latest load time of
    any input version with export_date <= that day. It is the watermark that
    finds export files loaded (or re-loaded) since the last build.
-#}
{% macro get_incremental_replace_days_sql(arg_dict) -%}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set temp_relation = arg_dict['temp_relation'] -%}
    {%- set day_column = config.require('replace_days_column') -%}
    {%- set from_day = incremental_days_from() -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target_relation }}
    {%- if from_day is not none %}
    where {{ day_column }} >= {{ date_literal(from_day) }}
    {%- endif %};

    insert into {{ target_relation }} ({{ columns }})
    select {{ columns }}
    from {{ temp_relation }}
{%- endmacro %}


{#-
    The first day an incremental run of the current model must recompute, as
    a datetime.date, or none when everything must be built (not incremental,
    or the target is empty). It is the earlier of
      - the earliest export_date among input versions loaded after the
        target's watermark (max of _inputs_loaded_at): a late or re-delivered
        export file of day E changes every snapshot from E on;
      - the last day already built minus (replace_days_lookback - 1);
      - the start of the partition window (partition_window(): min_date
        minus late_data_lookback_days), when Dagster passed one.
    New days after the last built day are always included. Called twice per
    run, by the model (to select the days) and by the strategy (to delete
    them), against the same unchanged target, so both agree.
-#}
{% macro incremental_days_from() -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set day_column = config.require('replace_days_column') -%}
    {%- set lookback = config.get('replace_days_lookback', none) -%}
    {%- set lookback = (late_data_lookback_days() if lookback is none else lookback) | int -%}
    {%- if lookback < 1 -%}
        {{ exceptions.raise_compiler_error("replace_days_lookback must be >= 1, got " ~ lookback) }}
    {%- endif -%}
    {%- set watermark_query -%}
        with

        built as (
            select
                max({{ day_column }}) as last_built_day,
                max(_inputs_loaded_at) as loaded_through
            from {{ this }}
        ),

        changed_export_days as (
            {%- for input_name in config.require('replace_days_inputs') %}
            select min(export_date) as first_changed_day
            from {{ ref(input_name) }}
            where _loaded_at > (select loaded_through from built)
            {%- if not loop.last %}
            union all
            {%- endif %}
            {%- endfor %}
        )

        select
            cast((select last_built_day from built) as varchar) as last_built_day,
            cast((select min(first_changed_day) from changed_export_days) as varchar) as first_changed_day
    {%- endset -%}
    {%- set watermark = run_query(watermark_query).rows[0] -%}
    {%- if watermark[0] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set last_built_day = modules.datetime.date.fromisoformat(watermark[0]) -%}
    {%- set from_day = last_built_day - modules.datetime.timedelta(days=lookback - 1) -%}
    {%- if watermark[1] is not none -%}
        {%- set first_changed_day = modules.datetime.date.fromisoformat(watermark[1]) -%}
        {%- if first_changed_day < from_day -%}
            {%- set from_day = first_changed_day -%}
        {%- endif -%}
    {%- endif -%}
    {%- set window = partition_window() -%}
    {%- if window is not none and window.start < from_day -%}
        {%- set from_day = window.start -%}
    {%- endif -%}
    {{ return(from_day) }}
{%- endmacro %}


{#- A date literal both DuckDB and Snowflake read. -#}
{% macro date_literal(day) -%}
    cast('{{ day }}' as date)
{%- endmacro %}


{#-
    _inputs_loaded_at for each day of `days_relation` (column `day_column`):
    the latest _loaded_at of any version with export_date <= that day, over
    the model's replace_days_inputs. Per-export-day maxima first, so the
    range join is days x export days, not days x versions.
-#}
{% macro inputs_loaded_at_by_day(days_relation, day_column) -%}
    select
        days.{{ day_column }},
        max(loads.loaded_at) as _inputs_loaded_at
    from {{ days_relation }} as days
    inner join (
        {%- for input_name in config.require('replace_days_inputs') %}
        select
            export_date,
            max(_loaded_at) as loaded_at
        from {{ ref(input_name) }}
        group by export_date
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ) as loads
        on loads.export_date <= days.{{ day_column }}
    group by days.{{ day_column }}
{%- endmacro %}
