"""Dagster definitions of trustqa, one module per kind of object."""
