"""The analysts' copy of the marts: a read-only DuckDB file, replaced atomically after a good run."""
