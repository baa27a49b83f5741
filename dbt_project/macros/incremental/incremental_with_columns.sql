{#-
    True when this run is incremental and the target already has every column
    of `column_names` (lowercase): the lineage columns an incremental model
    reads to find what changed. A target built before them (or none) is
    rebuilt whole. False at parse time.
-#}
{% macro incremental_with_columns(column_names) -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- for name in column_names if name not in columns -%}
        {{ return(false) }}
    {%- endfor -%}
    {{ return(true) }}
{%- endmacro %}
