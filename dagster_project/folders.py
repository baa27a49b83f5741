"""Housekeeping of folders that accumulate: keep the newest, remove the rest."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path


def remove_all_but_newest(folders: Iterable[Path], keep: int) -> list[Path]:
    """Remove all but the ``keep`` most recently modified of ``folders``; return the removed ones, newest first.

    A folder removed meanwhile by another process is skipped (``ignore_errors``).
    """
    newest_first = sorted(folders, key=lambda path: path.stat().st_mtime, reverse=True)
    removed = newest_first[keep:]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed
