"""The Snowflake target: connection settings from the environment, the raw push, GX connection details.

DuckDB stays the local warehouse of the loader (contract rules, quarantine);
``raw_push`` copies what it loaded to Snowflake, where dbt (``--target
snowflake``) and the Great Expectations gates (``validate_snowflake``) run.
"""
