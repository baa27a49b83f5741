"""Retry transient failures with exponential backoff; let real failures fail at once.

A DuckDB file held by another process (an analyst's open connection, a
second run started by hand) or a briefly unavailable file system is worth
retrying; a contract violation, a failed gate or a SQL error is not, and
retrying it would only delay the alert. Steps wrap their work in
``retry_transient(context)``: a transient error becomes
``dagster.RetryRequested`` (up to ``MAX_RETRIES``, waiting 15 s, 30 s,
60 s), anything else propagates unchanged. Re-execution from failure in
the UI reruns the failed steps the same way.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

MAX_RETRIES = 3
FIRST_WAIT_SECONDS = 15
TRANSIENT_MARKERS = (
    "Could not set lock on file",  # DuckDB: another process holds the file
    "Conflicting lock is held",
    "Resource temporarily unavailable",
    "Stale file handle",
)


def is_transient(error: BaseException) -> bool:
    text = f"{error}\n{error.__cause__ or ''}"
    return any(marker in text for marker in TRANSIENT_MARKERS)


def backoff_seconds(retry_number: int) -> int:
    return FIRST_WAIT_SECONDS * 2**retry_number


@contextmanager
def retry_transient(context: dg.OpExecutionContext) -> Iterator[None]:
    try:
        yield
    except dg.RetryRequested:
        raise
    except Exception as error:
        if is_transient(error) and context.retry_number < MAX_RETRIES:
            wait = backoff_seconds(context.retry_number)
            context.log.warning(
                f"transient failure, retry {context.retry_number + 1} of {MAX_RETRIES} in {wait} s: {error}"
            )
            raise dg.RetryRequested(max_retries=MAX_RETRIES, seconds_to_wait=wait) from error
        raise
