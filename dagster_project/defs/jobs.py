"""Jobs: the nightly job materialises every asset for a range of export days.

Its partitions (daily, by export date) are those of the raw assets it selects.
"""

from __future__ import annotations

import dagster as dg

NIGHTLY_JOB_NAME = "trustqa_nightly"

# In-process: every step writes the same DuckDB file, one at a time.
nightly_job = dg.define_asset_job(
    NIGHTLY_JOB_NAME,
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Load the export days of the partition range into raw, then build staging, intermediate and marts.",
)
