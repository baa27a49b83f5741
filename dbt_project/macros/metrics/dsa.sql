{#-
    The DSA classification of an enforcement action from how it was detected
    and decided (docs/dsa.md "The mapping"), one definition for the
    statements of reasons and the transparency report.
-#}
{% macro dsa_source_type(detection_source) -%}
    case when {{ detection_source }} = 'user_report' then 'SOURCE_ARTICLE_16' else 'SOURCE_VOLUNTARY' end
{%- endmacro %}

{% macro dsa_automated_decision(detection_source, decided_by) -%}
    case
        when {{ decided_by }} = 'automated' then 'AUTOMATED_DECISION_FULLY'
        when {{ detection_source }} = 'automated' then 'AUTOMATED_DECISION_PARTIALLY'
        else 'AUTOMATED_DECISION_NOT_AUTOMATED'
    end
{%- endmacro %}
