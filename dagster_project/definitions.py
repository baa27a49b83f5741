"""The trustqa code location (``workspace.yaml`` and ``dagster dev`` load this module)."""

from __future__ import annotations

from dagster_project.defs.build import build_definitions
from dagster_project.settings import settings

defs = build_definitions(settings())
