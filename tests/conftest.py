"""Shared test fixtures: build things once per session, not once per test."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def dbt_manifest() -> None:
    """dagster-dbt builds its assets from a parsed manifest: parse once per session."""
    from dagster_project.dbt_project import prepare_manifest

    prepare_manifest()
