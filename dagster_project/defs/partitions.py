"""Daily partitions by export date (the UTC day in each export file's name)."""

from __future__ import annotations

import dagster as dg

from dagster_project.settings import settings

# end_offset=1: today's partition exists too, so an export written early can be loaded.
daily_exports = dg.DailyPartitionsDefinition(start_date=settings().partitions_start, timezone="UTC", end_offset=1)
