"""The benchmark's measured steps that have no CLI of their own; each runs as its own process.

``python bench/steps.py load|direct-read|gates|dagster-dbt ...``; the
warehouse and exports come from the flags, the rest (``DAGSTER_HOME``,
``TRUSTQA_*``) from the environment that ``bench/run.py`` sets.

* ``load``: the production loader (``load_days``) for every table over the
  days, in one process, one connection per table as the raw assets do.
* ``direct-read``: DuckDB reading the same files straight into tables
  (``read_csv`` / ``read_json`` over every file of a table at once, the
  contract's column types, no rules): the practical limit for the loader.
* ``gates``: every Great Expectations suite, one validation per layer with
  Data Docs: the expectations the gate checks of a run validate.
* ``dagster-dbt``: only the dbt assets (and their dbt-test checks, not the GX
  gates) materialised through Dagster in-process, as the nightly job runs
  them (one ``dbt build`` per dbt asset definition, the partitioned ones
  with the window of export days).
* ``bare-dbt-args`` (not measured): the ``dbt build`` arguments and the window's
  environment variables Dagster passes for that window, so the bare run is
  like-for-like.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import warnings
from pathlib import Path


def _days(first: str, last: str) -> list[dt.date]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def load(args: argparse.Namespace) -> int:
    from dagster_project.contract import TABLES
    from dagster_project.loading.loader import connect, load_days

    days, loaded_at = _days(args.date_from, args.date_to), dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for table in TABLES:
        started = time.monotonic()
        con = connect(Path(args.warehouse))
        try:
            result = load_days(con, table, Path(args.exports), days, loaded_at)
        finally:
            con.close()
        print(
            f"{table.name}: {result.loaded} loaded, {sum(result.quarantined.values())} quarantined, "
            f"{len(result.files)} files, {time.monotonic() - started:.1f} s",
            flush=True,
        )
    return 0


def direct_read(args: argparse.Namespace) -> int:
    import duckdb

    from dagster_project.contract import TABLES
    from dagster_project.loading.export_files import dated_file
    from dagster_project.loading.raw_schema import sql_type

    exports, days = Path(args.exports), _days(args.date_from, args.date_to)
    con = duckdb.connect(args.warehouse)
    con.execute("create schema if not exists direct")
    for table in TABLES:
        files = [str(f.path) for day in days if (f := dated_file(exports, table, day)) is not None]
        if not files:
            continue
        columns = "{" + ", ".join(f"'{c.name}': '{sql_type(c)}'" for c in table.columns) + "}"
        if table.file_format == "csv":
            reader = f"read_csv({files!r}, header = true, columns = {columns}, auto_detect = false, filename = true)"
        else:
            reader = f"read_json({files!r}, format = 'newline_delimited', columns = {columns}, filename = true)"
        started = time.monotonic()
        con.execute(f"create or replace table direct.{table.name} as select * from {reader}")
        rows = con.execute(f"select count(*) from direct.{table.name}").fetchone()[0]
        print(f"{table.name}: {rows} rows from {len(files)} files, {time.monotonic() - started:.1f} s", flush=True)
    con.close()
    return 0


def gates(args: argparse.Namespace) -> int:
    from dagster_project.gates.docs_index import layer_docs_dir, write_index
    from dagster_project.gates.validate import validate_duckdb
    from expectations import LAYERS, suites_of

    docs = Path(args.docs)
    for layer in LAYERS:
        for outcome in validate_duckdb(Path(args.warehouse), suites_of(layer), layer_docs_dir(docs, layer)):
            print(f"{outcome.suite_name}: {outcome.status} {', '.join(outcome.failing_names())}", flush=True)
    write_index(docs)
    return 0


def dagster_dbt(args: argparse.Namespace) -> int:
    import dagster as dg
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from dagster_project.definitions import defs
    from dagster_project.defs.dbt_assets import dbt_asset_definitions
    from dagster_project.defs.gate_checks import GATE_CHECK_NAME
    from dagster_project.instance import dagster_instance  # the same instance settings as `trustqa materialize`

    gx_checks = [k for k in defs.resolve_asset_graph().asset_check_keys if k.name == GATE_CHECK_NAME]
    selection = dg.AssetSelection.assets(*dbt_asset_definitions) - dg.AssetSelection.checks(*gx_checks)
    job = dg.define_asset_job("bench_dbt_only", selection=selection, executor_def=dg.in_process_executor)
    defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
    resolved = defs.resolve_job_def("bench_dbt_only")
    # partitioned dbt assets get the run's window of export days, as in the nightly job
    tags = {ASSET_PARTITION_RANGE_START_TAG: args.date_from, ASSET_PARTITION_RANGE_END_TAG: args.date_to}
    result = resolved.execute_in_process(
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        instance=dagster_instance(),
        tags=tags if resolved.partitions_def is not None else None,
        raise_on_error=False,
    )
    steps = sorted({e.step_key for e in result.all_events if e.step_key})
    print(f"steps: {', '.join(steps)}; success: {result.success}", flush=True)
    return 0 if result.success else 1


def bare_dbt_args(args: argparse.Namespace) -> int:
    """Print, as JSON, the ``dbt`` arguments and extra environment Dagster's dbt assets use for a window of export days."""
    import json

    from dagster_project.defs.dbt_args import dbt_build_args, window_environment
    from dagster_project.settings import settings

    start = dt.datetime.fromisoformat(args.date_from)
    end = dt.datetime.fromisoformat(args.date_to) + dt.timedelta(days=1)
    window_env = window_environment((start, end), settings().late_data_lookback_days)
    print(json.dumps({"args": dbt_build_args(), "env": window_env}))
    return 0


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", message=r".*is currently in beta.*")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step", required=True)
    for name, func in (("load", load), ("direct-read", direct_read)):
        p = sub.add_parser(name)
        p.add_argument("--exports", required=True)
        p.add_argument("--warehouse", required=True)
        p.add_argument("--from", dest="date_from", required=True)
        p.add_argument("--to", dest="date_to", required=True)
        p.set_defaults(func=func)
    p = sub.add_parser("gates")
    p.add_argument("--warehouse", required=True)
    p.add_argument("--docs", required=True)
    p.set_defaults(func=gates)
    for name, func in (("dagster-dbt", dagster_dbt), ("bare-dbt-args", bare_dbt_args)):
        p = sub.add_parser(name)
        p.add_argument("--from", dest="date_from", required=True)
        p.add_argument("--to", dest="date_to", required=True)
        p.set_defaults(func=func)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
