{#-
    dbt's hook for the `where` config of data tests (dbt docs, "where":
    custom logic), overridden for one placeholder, `__rebuilt_keys__`, which
    dbt_project.yml sets on every test of the intermediate and marts layers.

    In a run with a partition window (Dagster passes min_date/max_date) a test
    on an incremental history model checks only the keys its latest build
    rewrote: every row (old or new) of each key that has a row with the
    model's greatest `_built_at` (macros/incremental/build_stamp.sql). A key's
    history depends only on that key's rows and delete+insert rewrites all of
    them, so the rows of the other keys are the ones earlier runs tested; a
    duplicate or a broken interval always involves a rewritten key, and is
    still caught. The cost follows the new day, not the 28 million versions of
    scale 10.

    A model of the `replace_days` strategy (macros/incremental/replace_days.sql,
    the feature mart) rewrites whole days: every row of each day it
    recomputes carries that build's `_built_at`. Its tests then check the
    rows with the greatest `_built_at`, which are every row of the rewritten
    days. The rules of such a model must concern one row or one day (a
    not-null column, a rate in [0, 1], a unique (day, user)): a failure
    planted by the build lies within a rewritten day.

    Without a window (`dbt build`, `dbt test`, `trustqa materialize` with no
    partition) and on any model without `_built_at`, the placeholder becomes
    `true`: the whole table is tested (so are the table marts, rebuilt whole).
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and '__rebuilt_keys__' in where -%}
        {%- set where = where | replace('__rebuilt_keys__', rebuilt_keys_condition(relation)) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}


{#- The condition `__rebuilt_keys__` stands for (see get_where_subquery). -#}
{% macro rebuilt_keys_condition(relation) -%}
    {%- set tested = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {%- set key = tested.config.get('unique_key') if tested else none -%}
    {%- set columns = tested.columns.keys() | list if tested else [] -%}
    {%- set replaces_days = tested.config.get('incremental_strategy') == 'replace_days' if tested else false -%}
    {%- if partition_window() is none or '_built_at' not in columns -%}
        {{ return('true') }}
    {%- endif -%}
    {%- if replaces_days -%}
        {{ return('_built_at = (select max(latest._built_at) from ' ~ relation ~ ' as latest)') }}
    {%- endif -%}
    {%- if not key or key is not string -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set condition -%}
        {{ key }} in (
            select rebuilt.{{ key }}
            from {{ relation }} as rebuilt
            where rebuilt._built_at = (select max(latest._built_at) from {{ relation }} as latest)
        )
    {%- endset -%}
    {{ return(condition) }}
{%- endmacro %}
