{#-
    Pseudonymous hash of an identifying value (an email): sha256 hex of
    lower(trim(value)), optionally salted with the TRUSTQA_PII_SALT
    environment variable (empty by default). The same address gives the same
    hash, so analysts can still count and join distinct values. Null stays
    null. DuckDB and Snowflake produce the same lowercase hex for the same
    input and salt. An unsalted hash of an email can be reversed by guessing
    addresses: set a salt where that matters (it then appears in compiled SQL).
-#}
{% macro pii_hash(expression) -%}
    {%- set salt = env_var('TRUSTQA_PII_SALT', '') -%}
    {%- if salt -%}
        {%- set normalised = "'" ~ (salt | replace("'", "''")) ~ "' || lower(trim(" ~ expression ~ "))" -%}
    {%- else -%}
        {%- set normalised = "lower(trim(" ~ expression ~ "))" -%}
    {%- endif -%}
    {{ return(adapter.dispatch('pii_hash', 'trustqa')(normalised)) }}
{%- endmacro %}

{% macro default__pii_hash(normalised) -%}
    sha256({{ normalised }})
{%- endmacro %}

{% macro snowflake__pii_hash(normalised) -%}
    sha2({{ normalised }}, 256)
{%- endmacro %}
