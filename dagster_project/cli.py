"""``trustqa``: generate exports, materialise the pipeline, query the warehouse, open the UI."""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import os
import subprocess
import sys
import warnings
from pathlib import Path

from dagster_project.settings import PROJECT_ROOT, settings

DEFAULT_DAGSTER_HOME = PROJECT_ROOT / ".dagster_home"


def _point_env(exports: str | None, warehouse: str | None) -> None:
    """CLI flags win over the environment; Dagster and dbt read the environment."""
    if exports:
        os.environ["TRUSTQA_EXPORTS_DIR"] = str(Path(exports).resolve())
    if warehouse:
        os.environ["TRUSTQA_DUCKDB_PATH"] = str(Path(warehouse).resolve())


def _dagster_home() -> Path:
    """The Dagster instance shared by the CLI and the UI; created with telemetry off."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(DEFAULT_DAGSTER_HOME)))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    return home


def cmd_generate(args: argparse.Namespace) -> int:
    from dagster_project.generator import generate_exports

    counts = generate_exports(Path(args.out), dt.date.fromisoformat(args.start), args.days, args.scale, args.seed)
    for name, rows in counts.items():
        print(f"{name:>22}  {rows:>12,} rows")
    print(f"wrote {sum(counts.values()):,} rows to {args.out}")
    return 0


@contextlib.contextmanager
def _run_log(path: Path, verbose: bool):
    """dagster-dbt echoes every dbt event to stdout: keep it in a file unless verbose."""
    if verbose:
        yield
        return
    with path.open("w", encoding="utf-8") as handle, contextlib.redirect_stdout(handle):
        yield


def cmd_materialize(args: argparse.Namespace) -> int:
    _point_env(args.exports, args.warehouse)
    config = settings()
    if config.target != "duckdb":
        print(f"trustqa materialize: target {config.target!r} is not supported yet (use duckdb)", file=sys.stderr)
        return 2
    _dagster_home()
    import dagster as dg

    from dagster_project.dbt_project import prepare_manifest
    from dagster_project.pipeline import PipelineError, run_nightly
    from dagster_project.summary import table_counts

    prepare_manifest()
    log_path = config.duckdb_path.parent / "last_run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"materializing every asset for the export days in {config.exports_dir} ...", flush=True)
    try:
        with _run_log(log_path, args.verbose):
            outcome = run_nightly(config.exports_dir, dg.DagsterInstance.get(), "DEBUG" if args.verbose else "WARNING")
    except PipelineError as exc:
        print(f"trustqa materialize: {exc}", file=sys.stderr)
        return 2
    print(f"dbt log of this run: {log_path}")
    print(f"\nexport days {outcome.days[0]} .. {outcome.days[1]} from {config.exports_dir}")
    print(f"warehouse {config.duckdb_path}")
    counts = table_counts(config.duckdb_path)
    for schema in ("marts", "quarantine"):
        rows = [c for c in counts if c.schema == schema and (schema == "marts" or c.rows)]
        print(f"\n{schema}: " + ("none" if not rows else ""))
        for c in rows:
            print(f"  {c.schema}.{c.table:<34} {c.rows:>10,} rows")
    print(f"\nchecks passed: {outcome.checks_passed}, failed: {len(outcome.checks_failed)}")
    for failed in outcome.checks_failed:
        print(f"  FAILED check {failed}")
    for failure in outcome.failures:
        print(f"  FAILED step {failure}", file=sys.stderr)
    if not outcome.success or outcome.checks_failed:
        print("trustqa materialize: the run failed (see above)", file=sys.stderr)
        return 1
    print("run succeeded")
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    import duckdb

    path = Path(args.warehouse or settings().duckdb_path)
    if not path.exists():
        print(f"trustqa query: no warehouse at {path}; run `trustqa materialize` first", file=sys.stderr)
        return 2
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            cursor = con.execute(args.sql)
            if cursor.description is None:
                return 0
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow([d[0] for d in cursor.description])
            while rows := cursor.fetchmany(10_000):
                writer.writerows(rows)
    except duckdb.Error as exc:
        kind = "refused (the warehouse is opened read-only)" if "read-only" in str(exc) else "failed"
        print(f"trustqa query: {kind}: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    _point_env(args.exports, args.warehouse)
    _dagster_home()
    from dagster_project.dbt_project import prepare_manifest

    prepare_manifest()
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(args.port)]
    # dagster dev re-parses the dbt project with the `dbt` it finds on PATH: the one beside this Python.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    print("starting the Dagster UI on http://127.0.0.1:%d (Ctrl-C stops it)" % args.port)
    return subprocess.call(command, cwd=PROJECT_ROOT, env=env)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trustqa", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write synthetic exports (deterministic for a seed)")
    gen.add_argument("--out", required=True, help="folder to write marketplace/ and support/ into")
    gen.add_argument("--start", required=True, help="first export day, YYYY-MM-DD")
    gen.add_argument("--days", type=int, required=True, help="number of export days")
    gen.add_argument("--scale", type=float, default=1.0, help="1 = about 1M orders and 100k tickets per 365 days")
    gen.add_argument("--seed", type=int, default=0)
    gen.set_defaults(func=cmd_generate)

    mat = sub.add_parser("materialize", help="load every export day found and build every asset")
    mat.add_argument("--exports", help="exports folder (default: $TRUSTQA_EXPORTS_DIR or seeds/)")
    mat.add_argument("--warehouse", help="DuckDB file (default: $TRUSTQA_DUCKDB_PATH or warehouse/trustqa.duckdb)")
    mat.add_argument("--verbose", action="store_true", help="show every Dagster event and dbt log line")
    mat.set_defaults(func=cmd_materialize)

    query = sub.add_parser("query", help="run one SQL statement read-only; prints CSV")
    query.add_argument("--warehouse", help="DuckDB file (default: $TRUSTQA_DUCKDB_PATH)")
    query.add_argument("sql")
    query.set_defaults(func=cmd_query)

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
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
