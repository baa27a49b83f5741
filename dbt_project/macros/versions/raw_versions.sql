{#-
    Every exported version of one raw table, typed: one row per
    (key, export file), the contract columns converted as the source YAML
    says (column `meta`), plus lineage.

      meta.kind: timestamp    -> UTC timestamp without time zone (to_utc_timestamp)
      meta.kind: string_list  -> a list (parse_string_list)
      meta.pii: true          -> never passed on as is; meta.staging says how:
          hash -> <column>_hash = pii_hash(column)
          flag -> has_<column> = the value is present and not blank
          drop -> left out
      anything else           -> passed through with its raw type

    Lineage (the loader's columns, documented in the source YAML with a
    leading underscore, are not contract columns): export_date (the file's
    date), _source_file, _source_line, _loaded_at.

    In an incremental model (the staging and history tables) only the
    versions of the keys that changed are read: incremental_changed_keys(),
    through changed_key_rows().

    Defensive rule: by contract a key appears at most once per export file
    and there is one file per table and day. Should the same export date be
    loaded twice (a re-delivered file), only the copy loaded last is kept,
    so versions stay one per (key, export_date) and the version order
    (updated_at, export_date, _source_line) is total.
-#}
{% macro raw_versions(source_name, table_name, key) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set columns = raw_source_columns(source_name, table_name) -%}
    {%- set outputs = [] -%}
    {%- for column in columns if not column.name.startswith('_') -%}
        {%- set expression = raw_column_expression(column) -%}
        {%- if expression -%}
            {%- do outputs.append(expression) -%}
        {%- endif -%}
    {%- endfor %}
    select
        {%- for output in outputs %}
        {{ output[1] }},
        {%- endfor %}
        export_date,
        _source_file,
        _source_line,
        _loaded_at
    from (
        select
            {%- for output in outputs %}
            {{ output[0] }}{% if output[0] != output[1] %} as {{ output[1] }}{% endif %},
            {%- endfor %}
            _export_date as export_date,
            _source_file,
            _source_line,
            _loaded_at,
            row_number() over (
                partition by {{ key }}, _export_date
                order by _loaded_at desc, _source_file desc, _source_line desc
            ) as _delivery_rank
        from {{ relation }}
        {%- if is_incremental() %}
        where {{ changed_key_rows(relation, key) }}
        {%- endif %}
    ) as typed_versions
    where _delivery_rank = 1
{%- endmacro %}


{#- (expression, output name) for one raw column, or none when it is dropped. -#}
{% macro raw_column_expression(column) -%}
    {%- set meta = column.meta or {} -%}
    {%- set name = column.name -%}
    {%- if meta.get('pii') -%}
        {%- set handling = meta.get('staging') -%}
        {%- if handling == 'hash' -%}
            {{ return((pii_hash(name), name ~ '_hash')) }}
        {%- elif handling == 'flag' -%}
            {{ return(("(" ~ name ~ " is not null and trim(" ~ name ~ ") <> '')", 'has_' ~ name)) }}
        {%- elif handling == 'drop' -%}
            {{ return(none) }}
        {%- else -%}
            {{ exceptions.raise_compiler_error(
                "PII column " ~ name ~ " needs meta.staging: hash, flag or drop (got " ~ handling ~ ")"
            ) }}
        {%- endif -%}
    {%- elif meta.get('kind') == 'timestamp' -%}
        {{ return((to_utc_timestamp(name), name)) }}
    {%- elif meta.get('kind') == 'string_list' -%}
        {{ return((parse_string_list(name), name)) }}
    {%- else -%}
        {{ return((name, name)) }}
    {%- endif -%}
{%- endmacro %}


{#-
    The columns of a source table as documented in its YAML, in order.
    At parse time the graph is not available; an empty list is enough there
    (the source() call above already records the dependency).
-#}
{% macro raw_source_columns(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set unique_id = 'source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name -%}
    {%- set node = graph.sources.get(unique_id) -%}
    {%- if node is none or not node.columns -%}
        {{ exceptions.raise_compiler_error("source " ~ source_name ~ "." ~ table_name ~ " has no documented columns") }}
    {%- endif -%}
    {{ return(node.columns.values() | list) }}
{%- endmacro %}


{#-
    The condition that keeps the rows of `relation` (a raw source, no alias)
    whose key incremental_changed_keys() returns (dispatch: duckdb, default).

    On DuckDB a semi-join on the key reads every column of every raw row
    before it can drop one (the scan cannot use the key set to skip data):
    12 s a night for the 28 million raw orders of scale 10. Finding the
    matching row ids from the key column alone and then reading only those
    rows (DuckDB fetches the other columns by rowid) takes about a third of
    that. Elsewhere (Snowflake) the plain semi-join.
-#}
{% macro changed_key_rows(relation, key) -%}
    {{ return(adapter.dispatch('changed_key_rows', 'trustqa')(relation, key)) }}
{%- endmacro %}

{% macro default__changed_key_rows(relation, key) -%}
    {{ key }} in ({{ incremental_changed_keys(relation, key) }})
{%- endmacro %}

{% macro duckdb__changed_key_rows(relation, key) -%}
    rowid in (
        select changed_rows.rowid
        from {{ relation }} as changed_rows
        where changed_rows.{{ key }} in ({{ incremental_changed_keys(relation, key) }})
    )
{%- endmacro %}
