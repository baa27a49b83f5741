"""``trustqa``: generate exports, materialise the pipeline, query the warehouse, open the UI."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import os
import subprocess
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path

from dagster_project.instance import dagster_home, dagster_instance
from dagster_project.settings import (
    PROJECT_ROOT,
    SettingsError,
    process_environment,
    settings,
    settings_with_paths,
    snowflake_settings,
)


def cmd_generate(args: argparse.Namespace) -> int:
    from dagster_project.generator import generate_exports
    from dagster_project.generator.faults import FAULT_KINDS, inject_faults, parse_kinds
    from dagster_project.generator.planted import MANIFEST, PlantedShift, planted_summary

    if args.list_faults or args.inject_faults == "list":
        for kind in FAULT_KINDS.values():
            print(f"{kind.name:<32} {kind.table:<32} {kind.expected:<12} {kind.check}")
        return 0
    missing = [f"--{name}" for name in ("out", "start", "days") if getattr(args, name) is None]
    if missing:
        print(f"trustqa generate: the following arguments are required: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        kinds = parse_kinds(args.inject_faults) if args.inject_faults else []
        fault_day = dt.date.fromisoformat(args.fault_day) if args.fault_day else None
        shifts = [PlantedShift.parse(spec) for spec in args.plant_shift or []]
        start = dt.date.fromisoformat(args.start)
        counts = generate_exports(
            Path(args.out), start, args.days, args.scale, args.seed, args.support_scale, args.qa_sampling, shifts
        )
    except ValueError as exc:
        print(f"trustqa generate: {exc}", file=sys.stderr)
        return 2
    for name, rows in counts.items():
        print(f"{name:>22}  {rows:>12,} rows")
    print(f"wrote {sum(counts.values()):,} rows to {args.out}")
    if shifts:
        print(f"\nplanted {len(shifts)} shift(s) (listed with their reviews in {Path(args.out) / MANIFEST}):")
        print("\n".join(f"  {line}" for line in planted_summary(Path(args.out))))
    if kinds:
        try:
            injected = inject_faults(Path(args.out), kinds, fault_day, args.seed)
        except ValueError as exc:
            print(f"trustqa generate: cannot inject faults: {exc}", file=sys.stderr)
            return 2
        print(f"\ninjected {len(injected)} fault(s) (listed in {Path(args.out) / 'injected_faults.json'}):")
        for fault in injected:
            line = "-" if fault.line is None else fault.line
            print(f"  {fault.kind:<32} {fault.file}:{line}  {fault.detail}")
    return 0


@contextlib.contextmanager
def _run_log(path: Path, verbose: bool):
    """dagster-dbt echoes every dbt event to stdout: keep it in a file unless verbose."""
    if verbose:
        yield
        return
    with path.open("w", encoding="utf-8") as handle, contextlib.redirect_stdout(handle):
        yield


def _day_range(args: argparse.Namespace) -> tuple[dt.date, dt.date] | None:
    """``--partition D`` or ``--from D1 --to D2`` (either end defaults to the other); None: every export day."""
    from dagster_project.pipeline import PipelineError

    if args.partition and args.date_to:
        raise PipelineError("--to goes with --from, not with --partition")
    try:
        if args.partition:
            day = dt.date.fromisoformat(args.partition)
            return day, day
        if args.date_from or args.date_to:
            first = dt.date.fromisoformat(args.date_from or args.date_to)
            last = dt.date.fromisoformat(args.date_to or args.date_from)
            return first, last
    except ValueError as exc:
        raise PipelineError(f"not a date (YYYY-MM-DD): {exc}") from exc
    return None


# Exit codes of `trustqa materialize` (docs/recovery.md).
EXIT_RUN_FAILED, EXIT_REFUSED, EXIT_WAREHOUSE_BUSY, EXIT_INTERRUPTED = 1, 2, 3, 130
INTERRUPTED = (
    "trustqa materialize: interrupted; a step that was running is marked failed and the published marts "
    "are unchanged: run the same command again to finish (docs/recovery.md)"
)


def cmd_materialize(args: argparse.Namespace) -> int:
    config = settings_with_paths(args.exports, args.warehouse)  # the flags win over the environment
    from dagster_project.pipeline import PipelineError
    from dagster_project.runs.interrupts import sigterm_as_interrupt
    from dagster_project.runs.preflight import PreflightError, describe_os_error, ensure_warehouse_folder
    from dagster_project.runs.warehouse_lock import WarehouseBusy, hold_warehouse

    try:
        day_range = _day_range(args)
        ensure_warehouse_folder(config.duckdb_path)
        with sigterm_as_interrupt(), hold_warehouse(config.duckdb_path):
            outcome = _checked_run(config, day_range, args.verbose)
    except WarehouseBusy as exc:
        print(f"trustqa materialize: refused: {exc}", file=sys.stderr)
        return EXIT_WAREHOUSE_BUSY
    except (PipelineError, PreflightError) as exc:
        print(f"trustqa materialize: {exc}; nothing was run", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:
        print(f"trustqa materialize: {describe_os_error(exc)}; nothing was published", file=sys.stderr)
        return EXIT_REFUSED
    try:
        _print_summary(config, outcome)
    except Exception as exc:  # the summary is a report: a failure in it must not hide how the run ended
        print(f"trustqa materialize: (the summary could not be printed: {type(exc).__name__}: {exc})", file=sys.stderr)
    return _report_outcome(outcome)


def _checked_run(config, day_range, verbose: bool):
    """With the warehouse's lock held: the checks, recovery of dead runs, the wait for the pool, then the run.

    Once the checks pass, dbt's forkserver starts: it imports dbt (seconds) while this process
    imports the run's modules and opens the Dagster instance, so the parse and the dbt steps find
    dbt imported (dagster_project.dbt_launcher). A refused run starts none (its exit would wait for it).
    """
    from dagster_project import dbt_launcher
    from dagster_project.runs.preflight import check_duckdb_file, check_snowflake_reachable

    def notify(line: str) -> None:
        print(f"trustqa materialize: {line}", flush=True)

    check_duckdb_file(config.duckdb_path, "warehouse" if config.target == "duckdb" else "loader scratch", notify)
    if config.target == "snowflake":
        check_snowflake_reachable()
    dbt_launcher.warm_up()
    from dagster_project.dbt_project import prepare_manifest
    from dagster_project.defs.resources import WAREHOUSE_POOL
    from dagster_project.pipeline import run_nightly
    from dagster_project.runs.pool_wait import wait_for_pool
    from dagster_project.runs.recovery import recover_dead_runs

    instance = dagster_instance(config)
    for line in recover_dead_runs(instance, held_warehouse=config.duckdb_path).lines():
        notify(line)
    wait_for_pool(instance, WAREHOUSE_POOL, notify)
    prepare_manifest(config=config, while_parsing=_import_run_modules)
    log_path = config.duckdb_path.parent / "last_run.log"
    print(f"materializing every asset for the export days in {config.exports_dir} ...", flush=True)
    with _run_log(log_path, verbose):
        outcome = run_nightly(config.exports_dir, instance, "DEBUG" if verbose else "WARNING", day_range, config=config)
    print(f"dbt log of this run: {log_path}")
    return outcome


def _import_run_modules() -> None:
    """Great Expectations and the gate suites (seconds of imports), imported while dbt parses the project
    in its own process: a run on a new warehouse does both at once.

    Not the Dagster definitions themselves: the dbt assets read ``target/manifest.json`` when their
    module is imported, and the parse running meanwhile is what publishes it (tests/test_manifest.py).
    """
    import dagster_project.gates.gx_duckdb  # noqa: F401
    import expectations  # noqa: F401


def _print_summary(config, outcome) -> None:
    """Where the data is and what the run left: the warehouse, the publication, row counts, gates, checks."""
    from dagster_project.publishing.publish import read_publication_info
    from dagster_project.scorecard.writer import scorecard_dir
    from dagster_project.summary import table_counts

    print(f"\nexport days {outcome.days[0]} .. {outcome.days[1]} from {config.exports_dir}")
    if config.target == "snowflake":
        print(f"warehouse: Snowflake database {snowflake_settings().database} (loader scratch {config.duckdb_path})")
    else:
        print(f"warehouse {config.duckdb_path}")
        info = read_publication_info(config.published_path)
        if info is None:
            print("published marts: none yet (published after a run whose gates pass)")
        else:
            fresh = "published by this run" if info[1] == outcome.run_id else "unchanged by this run"
            print(
                f"published marts (for analysts): {config.published_path}, {fresh} "
                f"(at {info[0]:%Y-%m-%d %H:%M:%S} UTC, data as of {info[2]})"
            )
    latest_page = scorecard_dir(config.published_path) / "latest.html"  # on both targets
    if latest_page.exists():
        print(f"weekly scorecard (for stakeholders): {latest_page}")
    counts = table_counts(config.duckdb_path)
    # on Snowflake the local file is the loader's scratch: it holds what was quarantined, not the marts
    for schema in ("marts", "quarantine") if config.target == "duckdb" else ("quarantine",):
        rows = [c for c in counts if c.schema == schema and (schema == "marts" or c.rows)]
        print(f"\n{schema}: " + ("none" if not rows else ""))
        for c in rows:
            print(f"  {c.schema}.{c.table:<34} {c.rows:>10,} rows")
    _print_gates(outcome.gates, config.data_docs_dir)
    print(
        f"\nchecks passed: {outcome.checks_passed}, warned: {len(outcome.checks_warned)}, "
        f"failed: {len(outcome.checks_failed)}"
    )
    for failed in outcome.checks_failed:
        print(f"  FAILED check {failed}")
    if outcome.future_files:
        print(
            f"\n{len(outcome.future_files)} file(s) dated after today quarantined (rule file_date_in_future; "
            f"loaded on their day): {', '.join(outcome.future_files)}"
        )


def _report_outcome(outcome) -> int:
    """How the run ended, last on the terminal (after the summary), and the exit code."""
    for failure in outcome.failures:
        print(f"  FAILED step {failure}", file=sys.stderr)
    if outcome.blocking_gate_failed:
        print(
            "trustqa materialize: a blocking quality gate failed; nothing downstream of it was materialised "
            "(the previous marts are unchanged)",
            file=sys.stderr,
        )
    if outcome.interrupted:
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    if not outcome.success or outcome.checks_failed:
        print("trustqa materialize: the run failed (see above)", file=sys.stderr)
        return EXIT_RUN_FAILED
    print("run succeeded")
    return 0


def _print_gates(gates: list, docs_dir: Path) -> None:
    """The gate table: every Great Expectations suite with its status and failing expectations."""
    print("\nquality gates (Great Expectations):")
    print(f"  {'gate':<46} {'status':<8} failing expectations")
    for gate in gates:
        print(f"  {gate.suite:<46} {gate.status:<8} {'; '.join(gate.failing)}")
    totals = {
        status: sum(1 for g in gates if g.status == status) for status in ("passed", "warned", "failed", "not run")
    }
    print("  " + ", ".join(f"{n} {status}" for status, n in totals.items()))
    print(f"  Data Docs: {docs_dir / 'index.html'}")


def cmd_query(args: argparse.Namespace) -> int:
    """One read-only statement on the published marts (or a given file), within the statement timeout."""
    from dagster_project.analyst_query import run_query

    config = settings()
    path = Path(args.warehouse) if args.warehouse else config.published_path
    what = "warehouse" if args.warehouse else "published marts"
    return run_query(path, args.sql, args.format, config.query_timeout_seconds, sys.stdout, sys.stderr, what=what)


class _Refused(Exception):
    """A command's arguments refused before it runs: the one-line message, exit 2."""


def _refusing(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Print a :class:`_Refused` message to stderr and exit 2 instead of running ``command``."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except _Refused as refused:
            print(refused, file=sys.stderr)
            return 2

    return run


def _date_arg(command: str, option: str, value: str | None) -> dt.date | None:
    """The option's date (None when not given); refused naming the command and option when it is no date."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _Refused(f"trustqa {command}: --{option} {value!r} is not a date (YYYY-MM-DD)") from None


def _path_arg(value: str | None) -> Path | None:
    return Path(value) if value else None


@_refusing
def cmd_shifts(args: argparse.Namespace) -> int:
    """The week's quality shifts that are signals, in plain words, with their drivers."""
    from dagster_project.insights.shifts_command import run_shifts

    week = _date_arg("shifts", "week", args.week)
    return run_shifts(settings(), week, _path_arg(args.warehouse), sys.stdout, sys.stderr)


@_refusing
def cmd_report(args: argparse.Namespace) -> int:
    """The weekly scorecard page: a self-contained HTML file for people who do not write SQL."""
    from dagster_project.scorecard.command import run_report

    week = _date_arg("report", "week", args.week)
    return run_report(settings(), week, args.open, _path_arg(args.warehouse), sys.stdout, sys.stderr)


@_refusing
def cmd_export_sor(args: argparse.Namespace) -> int:
    """Statements of reasons for the DSA Transparency Database, as schema-valid JSON Lines."""
    from dagster_project.dsa.export_command import run_export

    since, until = _date_arg("export-sor", "since", args.since), _date_arg("export-sor", "until", args.until)
    return run_export(settings(), since, until, Path(args.out), _path_arg(args.warehouse), sys.stdout, sys.stderr)


@_refusing
def cmd_dsa_report(args: argparse.Namespace) -> int:
    """The DSA transparency report of a month or half-year, printed and optionally written as CSV."""
    from dagster_project.dsa.report import parse_period
    from dagster_project.dsa.report_command import run_dsa_report

    try:
        period = parse_period(args.period)
    except ValueError as invalid:
        raise _Refused(f"trustqa dsa-report: --period {invalid}") from None
    return run_dsa_report(settings(), period, _path_arg(args.out), _path_arg(args.warehouse), sys.stdout, sys.stderr)


@_refusing
def cmd_plan(args: argparse.Namespace) -> int:
    """The week's QA sampling plan per stratum, strata short of their required reviews first."""
    from dagster_project.planning.plan_command import run_plan

    week = _date_arg("plan", "week", args.week)
    return run_plan(settings(), week, _path_arg(args.warehouse), sys.stdout, sys.stderr)


def cmd_sample(args: argparse.Namespace) -> int:
    """Draw the cases to review on --date from those closed the day before, into marts.qa_sample_daily."""
    from dagster_project.planning.day_draw import SampleRefused, parse_request
    from dagster_project.planning.sample_command import run_sample

    try:
        request = parse_request(args.date, args.capacity, args.seed, args.out)
    except SampleRefused as exc:
        print(f"trustqa sample: {exc}", file=sys.stderr)
        return 2
    config = settings_with_paths(None, args.warehouse)  # the published copy follows --warehouse
    return run_sample(config, request, bool(args.warehouse), sys.stdout, sys.stderr)


def cmd_runs(args: argparse.Namespace) -> int:
    """The unfinished runs of the instance; recover those whose process died, or fail one by id."""
    from dagster_project.defs.resources import WAREHOUSE_POOL
    from dagster_project.runs.inspect import fail_run, unfinished_runs
    from dagster_project.runs.recovery import recover_dead_runs

    instance = dagster_instance(settings())
    if args.fail:
        print(fail_run(instance, args.fail))
        return 0
    if args.recover:
        lines = recover_dead_runs(instance).lines()
        print("\n".join(lines) if lines else "no run with a dead process")
        return 0
    states = unfinished_runs(instance, WAREHOUSE_POOL)
    if not states:
        print(f"no unfinished run in {instance.root_directory}")
        return 0
    for s in states:
        print(
            f"{s.run_id}  {s.status:<9} started {s.started}  process {s.process}: {s.alive}  "
            f"{WAREHOUSE_POOL} slots {s.pool_slots}  warehouse {s.warehouse}"
        )
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    """Build the dbt docs site (models, columns, lineage, catalog) beside the GX Data Docs; print both paths."""
    config = settings_with_paths(None, args.warehouse)
    if not config.duckdb_path.exists():
        print(f"trustqa docs: no warehouse at {config.duckdb_path}; run `trustqa materialize` first", file=sys.stderr)
        return 2
    from dagster_project.dbt_project import run_dbt_quietly

    docs_dir = config.duckdb_path.parent / "dbt_docs"
    completed = run_dbt_quietly(["docs", "generate", "--static"], target_path=docs_dir, config=config)
    if completed.returncode != 0:
        print(f"trustqa docs: dbt docs generate failed:\n{completed.stdout}{completed.stderr}", file=sys.stderr)
        return 1
    print(f"dbt docs (models, columns, lineage): {docs_dir / 'static_index.html'}")
    print(f"Great Expectations Data Docs: {_build_data_docs(config)}")
    return 0


def _build_data_docs(config) -> Path:
    """Validate every suite on the warehouse as it is now and write the GX Data Docs (what each run also does)."""
    from dagster_project.gates.docs_index import layer_docs_dir, write_index
    from dagster_project.gates.validate import validate_duckdb, validate_snowflake
    from expectations import LAYERS, suites_of

    for layer in LAYERS:
        docs = layer_docs_dir(config.data_docs_dir, layer)
        if config.target == "snowflake":
            validate_snowflake(suites_of(layer), docs_dir=docs)
        else:
            validate_duckdb(config.duckdb_path, suites_of(layer), docs)
    return write_index(config.data_docs_dir)


def cmd_ui(args: argparse.Namespace) -> int:
    config = settings_with_paths(args.exports, args.warehouse)
    home = dagster_home(config)
    from dagster_project.dbt_project import prepare_manifest

    prepare_manifest(config=config)
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(args.port)]
    # The code location (a process dagster dev starts) reads its settings from this environment: the flags' ones.
    env = process_environment({**config.environment(), "DAGSTER_HOME": str(home)})
    # dagster dev re-parses the dbt project with the `dbt` it finds on PATH: the one beside this Python.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    print(f"starting the Dagster UI on http://127.0.0.1:{args.port} (Ctrl-C stops it)")
    return subprocess.call(command, cwd=PROJECT_ROOT, env=env)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trustqa", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write synthetic exports (deterministic for a seed)")
    gen.add_argument("--out", help="folder to write marketplace/ and support/ into (required)")
    gen.add_argument("--start", help="first export day, YYYY-MM-DD (required)")
    gen.add_argument("--days", type=int, help="number of export days (required)")
    gen.add_argument("--scale", type=float, default=1.0, help="1 = about 1M orders and 100k tickets per 365 days")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--support-scale", type=float, help="scale of the new support tickets (default: --scale)")
    gen.add_argument(
        "--qa-sampling", type=float, default=1.0, help="multiply every QA sampling rate (capped at 1; default 1)"
    )
    gen.add_argument(
        "--plant-shift",
        action="append",
        metavar="category=C,agents=A+B,weeks=W,size=S",
        help="move by S points (e.g. -15) the QA scores of agents A, B (default: every agent) in reviews of "
        "category-C tickets (default: every review) reviewed in the ISO weeks of the Mondays W (joined by +); "
        "written to planted_shifts.json; repeatable",
    )
    gen.add_argument(
        "--inject-faults", metavar="KIND[,KIND...]", help="then inject these faults ('list' lists the kinds)"
    )
    gen.add_argument("--fault-day", metavar="YYYY-MM-DD", help="export day to inject faults into (default: the last)")
    gen.add_argument("--list-faults", action="store_true", help="list the fault kinds and what must catch them")
    gen.set_defaults(func=cmd_generate)

    mat = sub.add_parser("materialize", help="load export days (default: every day found) and build every asset")
    mat.add_argument("--exports", help="exports folder (default: $TRUSTQA_EXPORTS_DIR or seeds/)")
    mat.add_argument("--warehouse", help="DuckDB file (default: $TRUSTQA_DUCKDB_PATH or warehouse/trustqa.duckdb)")
    mat.add_argument("--verbose", action="store_true", help="show every Dagster event and dbt log line")
    days = mat.add_mutually_exclusive_group()
    days.add_argument("--partition", metavar="YYYY-MM-DD", help="only this export day (one daily partition)")
    days.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first export day of a range")
    mat.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last export day of a range (with --from)")
    mat.set_defaults(func=cmd_materialize)

    query = sub.add_parser("query", help="run one SQL statement read-only on the published marts; prints CSV")
    query.add_argument(
        "--warehouse",
        help="query this DuckDB file instead of the published marts ($TRUSTQA_PUBLISHED_PATH, "
        "default warehouse/trustqa_marts.duckdb); still read-only",
    )
    query.add_argument(
        "--format",
        choices=("csv", "table"),
        default="csv",
        help="csv (default: a header row, then one line per row) or an aligned table for reading in a terminal",
    )
    query.add_argument("sql")
    query.set_defaults(func=cmd_query)

    shifts = sub.add_parser("shifts", help="the week's significant quality shifts in plain words, with their drivers")
    shifts.add_argument("--week", metavar="YYYY-MM-DD", help="any day of the week (default: the latest complete week)")
    shifts.add_argument("--warehouse", help="read this DuckDB file instead of the published marts")
    shifts.set_defaults(func=cmd_shifts)

    report = sub.add_parser("report", help="the weekly scorecard: one self-contained HTML page for stakeholders")
    report.add_argument("--week", metavar="YYYY-MM-DD", help="any day of the week (default: the latest complete week)")
    report.add_argument("--open", action="store_true", help="open the page in the default browser")
    report.add_argument("--warehouse", help="read this DuckDB file instead of the published marts")
    report.set_defaults(func=cmd_report)

    export_sor = sub.add_parser(
        "export-sor", help="statements of reasons for the EU DSA Transparency Database, as JSON Lines"
    )
    export_sor.add_argument("--since", required=True, metavar="YYYY-MM-DD", help="first application date")
    export_sor.add_argument("--until", required=True, metavar="YYYY-MM-DD", help="last application date")
    export_sor.add_argument("--out", required=True, metavar="FILE", help="the JSON Lines file to write")
    export_sor.add_argument("--warehouse", help="read this DuckDB file instead of the published marts")
    export_sor.set_defaults(func=cmd_export_sor)

    dsa_report = sub.add_parser(
        "dsa-report", help="the EU DSA transparency report of a month or half-year, printed and as CSV"
    )
    dsa_report.add_argument("--period", required=True, metavar="YYYY-H1|YYYY-H2|YYYY-MM", help="the period")
    dsa_report.add_argument("--out", metavar="FILE", help="also write the report as CSV, one row per figure")
    dsa_report.add_argument("--warehouse", help="read this DuckDB file instead of the published marts")
    dsa_report.set_defaults(func=cmd_dsa_report)

    plan = sub.add_parser("plan", help="the week's QA sampling plan per stratum, short strata first")
    plan.add_argument("--week", metavar="YYYY-MM-DD", help="any day of the week (default: the current week)")
    plan.add_argument("--warehouse", help="read this DuckDB file instead of the published marts")
    plan.set_defaults(func=cmd_plan)

    sample = sub.add_parser("sample", help="draw the cases to review on a day, into marts.qa_sample_daily")
    sample.add_argument(
        "--date", required=True, metavar="YYYY-MM-DD", help="the review day; cases closed the day before are drawn"
    )
    sample.add_argument(
        "--capacity",
        type=int,
        help="reviews available that day, allocated over the strata (default: the plan's n_required / 7 per stratum)",
    )
    sample.add_argument("--seed", type=int, default=0, help="the draw's seed (default 0): same seed, same sample")
    sample.add_argument("--out", metavar="FILE", help="also write the sample as CSV for a QA tool")
    sample.add_argument("--warehouse", help="DuckDB file (default: $TRUSTQA_DUCKDB_PATH or warehouse/trustqa.duckdb)")
    sample.set_defaults(func=cmd_sample)

    runs = sub.add_parser("runs", help="list unfinished runs and their process; recover dead ones or fail one")
    action = runs.add_mutually_exclusive_group()
    action.add_argument(
        "--recover", action="store_true", help="mark failed every run whose process is gone; free their pool slots"
    )
    action.add_argument("--fail", metavar="RUN_ID", help="mark this run failed and free its pool slots")
    runs.set_defaults(func=cmd_runs)

    docs = sub.add_parser("docs", help="build the dbt docs site and the GX Data Docs, and print where they are")
    docs.add_argument("--warehouse", help="DuckDB file (default: $TRUSTQA_DUCKDB_PATH or warehouse/trustqa.duckdb)")
    docs.set_defaults(func=cmd_docs)

    ui = sub.add_parser("ui", help="start the Dagster UI on 127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument("--exports")
    ui.add_argument("--warehouse")
    ui.set_defaults(func=cmd_ui)
    return parser


def main(argv: list[str] | None = None) -> int:
    # BackfillPolicy is marked beta in Dagster 1.13: a notice per asset is noise in a summary.
    warnings.filterwarnings("ignore", message=r".*is currently in beta.*")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    # the Snowflake connector's vendored requests warns about the urllib3 version on import: not the user's concern
    warnings.filterwarnings("ignore", message=r".*doesn't match a supported version.*")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SettingsError as exc:
        print(f"trustqa {args.command}: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # never a bare traceback: one paragraph, the traceback kept in a file
        trace = Path(tempfile.gettempdir()) / f"trustqa-{args.command}-{os.getpid()}.traceback"
        trace.write_text(traceback.format_exc(), encoding="utf-8")
        print(
            f"trustqa {args.command}: unexpected error {type(exc).__name__}: {' '.join(str(exc).split())[:500]} "
            f"(the traceback is in {trace}; please report it with the command you ran)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
