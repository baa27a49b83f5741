"""Write the scorecard's files atomically: a reader (a browser, a mail client, a file share) never sees half a page."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from pathlib import Path

SCORECARD_DIR = "scorecard"
LATEST = "latest.html"
# readable by the people the page is for, like the analysts' published copy beside it
FILE_MODE = 0o644


def scorecard_dir(published_path: Path) -> Path:
    """Where the pages go: ``scorecard/`` beside the analysts' published copy of the marts."""
    return published_path.parent / SCORECARD_DIR


def write_atomically(path: Path, text: str) -> Path:
    """``text`` into ``path`` through a scratch file in the same folder renamed over it (atomic on POSIX)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(scratch, FILE_MODE)
        os.replace(scratch, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(scratch)
        raise
    return path


def write_scorecard(directory: Path, week: dt.date, page: str, is_latest: bool) -> list[Path]:
    """``<week>.html``, and ``latest.html`` when ``week`` is the latest complete week; the paths written."""
    written = [write_atomically(directory / f"{week.isoformat()}.html", page)]
    if is_latest:
        written.append(write_atomically(directory / LATEST, page))
    return written
