"""Transient failures are retried with backoff; real failures are not."""

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.retries import MAX_RETRIES, backoff_seconds, is_transient, retry_transient


def test_lock_conflicts_are_transient_and_contract_errors_are_not() -> None:
    lock = duckdb.IOException('IO Error: Could not set lock on file "w.duckdb": Conflicting lock is held in python')
    assert is_transient(lock)
    assert not is_transient(RuntimeError("dbt failed"))
    wrapped = RuntimeError("dbt build failed")
    wrapped.__cause__ = lock
    assert is_transient(wrapped)
    assert not is_transient(ValueError("orders/2026-11-14.csv: unparseable"))
    assert [backoff_seconds(n) for n in range(MAX_RETRIES)] == [15, 30, 60]


def _job(failures: list[BaseException]) -> tuple[dg.JobDefinition, list[int]]:
    attempts: list[int] = []

    @dg.op
    def flaky(context: dg.OpExecutionContext) -> None:
        attempts.append(context.retry_number)
        with retry_transient(context):
            if failures:
                raise failures.pop(0)

    @dg.job(executor_def=dg.in_process_executor)
    def job() -> None:
        flaky()

    return job, attempts


def test_transient_failure_is_retried_until_it_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dagster_project.defs.retries.FIRST_WAIT_SECONDS", 0)
    lock = duckdb.IOException("Could not set lock on file")
    job, attempts = _job([lock, lock])
    result = job.execute_in_process(raise_on_error=False)
    assert result.success
    assert attempts == [0, 1, 2]


def test_real_failure_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dagster_project.defs.retries.FIRST_WAIT_SECONDS", 0)
    job, attempts = _job([ValueError("a gate failed")])
    result = job.execute_in_process(raise_on_error=False)
    assert not result.success
    assert attempts == [0]


def test_retries_stop_after_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dagster_project.defs.retries.FIRST_WAIT_SECONDS", 0)
    job, attempts = _job([duckdb.IOException("Could not set lock on file") for _ in range(MAX_RETRIES + 2)])
    result = job.execute_in_process(raise_on_error=False)
    assert not result.success
    assert attempts == list(range(MAX_RETRIES + 1))
