"""The day's sample as a CSV file for a QA tool, written atomically (a reader sees the old file or the new one)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from dagster_project.planning.draw import SampledCase

CSV_COLUMNS = ("day", "case_type", "case_id", "stratum", "inclusion_probability", "draw_rank")


def write_sample_csv(path: Path, sample: list[SampledCase]) -> Path:
    """Write ``sample`` (a header row, then one row per case, by stratum and rank) to ``path`` through a
    temporary file beside it renamed over it; the file's mode follows the umask. Returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with scratch.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for case in sample:
                writer.writerow([case.day.isoformat(), *(getattr(case, name) for name in CSV_COLUMNS[1:])])
        os.replace(scratch, path)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise
    return path
