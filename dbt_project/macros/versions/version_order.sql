{#-
    The version order of metrics.md "General rules": updated_at (an instant,
    already UTC), then the export file's date, then the line in the file. On
    an updated_at tie the later file wins. Used by staging (current state)
    and by the history models, so both always agree.
-#}
{% macro version_order(direction='asc') -%}
    updated_at {{ direction }}, export_date {{ direction }}, _source_line {{ direction }}
{%- endmacro %}
