"""Run the nightly job in-process over every export day of a folder (what ``trustqa materialize`` does)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from dagster_project.loading.export_files import LoadableExports, loadable_exports
from dagster_project.settings import Settings, settings


class PipelineError(RuntimeError):
    """The run could not start or did not succeed; the message says why."""


@dataclass(frozen=True)
class GateRow:
    """One quality gate (a Great Expectations suite) in a run."""

    suite: str
    status: str  # passed | warned | failed | not run
    failing: tuple[str, ...] = ()  # names of the failed expectations (errors first)


@dataclass
class RunOutcome:
    success: bool
    days: tuple[dt.date, dt.date]
    run_id: str = ""
    failures: list[str] = field(default_factory=list)  # "<step>: <error>"
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)  # "<asset> <check>", severity ERROR
    checks_warned: list[str] = field(default_factory=list)  # failed with severity WARN (never blocking)
    gates: list[GateRow] = field(default_factory=list)
    future_files: list[str] = field(default_factory=list)  # dated after today: quarantined, loaded on their day
    interrupted: bool = False  # stopped by Ctrl-C or SIGTERM (Dagster stops between events, the step fails)

    @property
    def blocking_gate_failed(self) -> bool:
        return any(g.status == "failed" for g in self.gates)


def gate_rows(evaluations: list[dg.AssetCheckEvaluation]) -> list[GateRow]:
    """The gate table: every suite, in layer order, with what its check reported (or ``not run``)."""
    from dagster_project.defs.gate_checks import GATE_CHECK_NAME
    from expectations import all_suites

    reported = {}
    for evaluation in evaluations:
        if evaluation.check_name != GATE_CHECK_NAME:
            continue
        meta = {k: v.value for k, v in evaluation.metadata.items()}
        failing = tuple(meta.get("failed_errors", [])) + tuple(meta.get("failed_warnings", []))
        reported[tuple(evaluation.asset_key.path)] = GateRow(str(meta.get("suite")), str(meta.get("status")), failing)
    return [reported.get(s.asset_key_path, GateRow(s.name, "not run")) for s in all_suites()]


def run_nightly(
    exports_dir: Path,
    instance: dg.DagsterInstance,
    log_level: str = "WARNING",
    day_range: tuple[dt.date, dt.date] | None = None,
    config: Settings | None = None,
) -> RunOutcome:
    """Materialise every asset for a range of export days (default: every day found in ``exports_dir``
    up to today, UTC: a file dated later is quarantined by the loader, see ``RunOutcome.future_files``).

    The definitions are built from ``config`` (default: the process's
    settings), whose exports folder should be ``exports_dir``.
    A given range is loaded as is: a day without files loads no rows.
    """
    found = loadable_exports(exports_dir)
    if day_range is not None:
        if day_range[0] > day_range[1]:
            raise PipelineError(f"empty range: --from {day_range[0]} is after --to {day_range[1]}")
        days = list(day_range)
    else:
        days = found.days
    if not days:
        raise PipelineError(_nothing_to_load(exports_dir, found))
    from dagster_project.defs.build import build_definitions
    from dagster_project.defs.jobs import NIGHTLY_JOB_NAME
    from dagster_project.defs.partitions import daily_exports

    first, last = days[0].isoformat(), days[-1].isoformat()
    keys = set(daily_exports.get_partition_keys())
    if last not in keys and days[-1] > found.today:
        raise PipelineError(f"export day {last} is after today ({found.today}, UTC): it has no partition yet")
    outside = [d for d in (first, last) if d not in keys]
    if outside:
        raise PipelineError(
            f"export day(s) {', '.join(outside)} before the first daily partition "
            f"({daily_exports.start.date()}); set TRUSTQA_PARTITIONS_START earlier"
        )
    from dagster_project.runs.recovery import process_tags

    config = config or settings()
    job = build_definitions(config).resolve_job_def(NIGHTLY_JOB_NAME)
    result = job.execute_in_process(
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        instance=instance,
        # the run's process is recorded from its start: a crash before any step is recognised too
        tags={
            ASSET_PARTITION_RANGE_START_TAG: first,
            ASSET_PARTITION_RANGE_END_TAG: last,
            **process_tags(config.duckdb_path),
        },
        raise_on_error=False,
    )
    outcome = RunOutcome(
        success=result.success,
        days=(days[0], days[-1]),
        run_id=result.run_id,
        future_files=[f.relative_path for f in found.future_files],
    )
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            outcome.failures.append(f"{event.step_key}: {error.message.strip() if error else 'failed'}")
            outcome.interrupted |= error is not None and error.cls_name == "DagsterExecutionInterruptedError"
        elif event.event_type == dg.DagsterEventType.RESOURCE_INIT_FAILURE:
            # e.g. the warehouse's lock held by another run: no step ran, the error says why
            error = event.engine_event_data.error
            outcome.failures.append(f"run start: {_root_message(error) if error else event.message}")
    evaluations = result.get_asset_check_evaluations()
    for evaluation in evaluations:
        name = f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}"
        if evaluation.passed:
            outcome.checks_passed += 1
        elif evaluation.severity == dg.AssetCheckSeverity.WARN:
            outcome.checks_warned.append(name)
        else:
            outcome.checks_failed.append(name)
    outcome.gates = gate_rows(evaluations)
    return outcome


def _nothing_to_load(exports_dir: Path, found: LoadableExports) -> str:
    if found.future_files:
        names = ", ".join(f.relative_path for f in found.future_files[:5])
        return (
            f"every export file under {exports_dir} is dated after today ({found.today}, UTC), e.g. {names}; "
            "a file is loaded on its day (check the exporter's clock or the file names)"
        )
    return f"no export files found under {exports_dir} (expected marketplace/<table>/<YYYY-MM-DD>.csv)"


def _root_message(error) -> str:  # a dagster SerializableErrorInfo
    """The innermost cause of a Dagster error: the message a person can act on."""
    while error.cause is not None:
        error = error.cause
    return error.message.strip()
