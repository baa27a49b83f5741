{#-
    dbt's hook for the `where` config of data tests (dbt docs, "where":
    custom logic), overridden for one placeholder, `__rebuilt_keys__`, which
    dbt_project.yml sets on every test of the staging, intermediate and
    marts layers.

    In a Dagster run (trustqa sets TRUSTQA_DBT_TESTS_ON_LATEST_BUILD=true on
    every dbt step; the incremental step also passes its partition window)
    or a run given a partition window by hand (min_date/max_date), a test
    on an incremental model that rewrites whole keys or whole days checks
    only the rows of its latest build: those with the model's greatest
    `_built_at` (macros/incremental/build_stamp.sql). A model opts in with
    `meta={'tests_on_latest_build': true}` in its config, and the rule
    applies only where it holds by construction: delete+insert on one key
    column or `replace_days`, with `_built_at` documented. A model whose
    build also changes kept rows in place (`dim_user_risk_current`'s update
    of the users it keeps) must not opt in: those rows keep an older stamp.

    * The staging models (delete+insert on their key, one row per key)
      rewrite the row of every key they recompute. Their rules concern one
      row (not null, accepted values) or the key itself (unique): a
      duplicate always has a row of the latest build, since the build
      deleted every earlier row of the keys it wrote.
    * The histories (delete+insert on one key column) rebuild every version
      of each key they touch (raw_versions reads all raw rows of a changed
      key), so those rows are the whole histories of the rewritten keys, old
      versions included. A key's history depends only on that key's rows:
      the rows of the other keys are the ones earlier runs tested, and a
      duplicate or a broken interval always involves a rewritten key.
    * The feature mart (strategy `replace_days`,
      macros/incremental/replace_days.sql) rewrites whole days, so those rows
      are every row of the rewritten days. Its rules concern one row or one
      day (a not-null column, a rate in [0, 1], a unique (day, user)): a
      failure the build planted lies within a rewritten day.

    The cost follows the new day, not the 28 million versions of scale 10:
    finding those rows filters one column against its maximum (0.02 s on
    the scale-10 orders history, where a semi-join of the rewritten keys
    back to the whole table, the same rows, took 0.33 s).

    The limit: a run whose tests fail leaves its rows in the table (dbt does
    not roll a model back), and only the next build's rows are checked
    after it. A re-run of the same day rewrites the same window and checks
    it again; a night that moves on instead leaves the older days and keys
    of the failed build to a whole-table run (`dbt test`). On staging the
    Great Expectations gate of the next night still validates them: it
    reads every row loaded after the history's watermark, and the history
    was not built after the failed staging step.

    Outside a Dagster run and without a window (`dbt build`, `dbt test`)
    and on any other model (not opted in; a table mart, rebuilt whole; no
    `_built_at`), the placeholder becomes `true`: the whole table is
    tested. A test with its own `where` config is not scoped.
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
    {%- set pipeline_run = execute and env_var('TRUSTQA_DBT_TESTS_ON_LATEST_BUILD', '') == 'true' -%}
    {%- if tested is none or '_built_at' not in tested.columns -%}
        {{ return('true') }}
    {%- endif -%}
    {%- if partition_window() is none and not pipeline_run -%}
        {{ return('true') }}
    {%- endif -%}
    {%- if not (tested.config.get('meta') or {}).get('tests_on_latest_build') -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set strategy = tested.config.get('incremental_strategy') -%}
    {%- set key = tested.config.get('unique_key') -%}
    {%- set whole_keys = strategy == 'delete+insert' and key is string -%}
    {%- if not (whole_keys or strategy == 'replace_days') -%}
        {{ return('true') }}
    {%- endif -%}
    {{ return('_built_at = (select max(latest._built_at) from ' ~ relation ~ ' as latest)') }}
{%- endmacro %}
