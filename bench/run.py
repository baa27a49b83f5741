"""Scale benchmark: what a nightly run costs as history grows (``make bench``).

    python bench/run.py --scale 1 --days 365 [--out bench/out] [--results bench/results/scale-<S>.md]
                        [--skip-generate-if-present]

Generates ``--days`` export days at ``--scale`` into ``<out>/scale-<S>/exports``,
then measures, each step as its own process (wall time and peak memory, see
``bench/measure.py``):

1. the full build from empty of days 1..N-1 (``trustqa materialize --from --to``,
   fresh warehouse and ``DAGSTER_HOME``);
2. the nightly run that adds day N on top of it (``trustqa materialize --partition``);
3. the parts, on a fresh warehouse: the raw loader alone, DuckDB reading the same
   files directly, bare ``dbt build``, the same dbt assets through Dagster (both
   from a copy of the loaded warehouse), and the Great Expectations gates.

``--history-without-dagster`` (for the large scale, where the Dagster full
build alone takes most of an hour on 2 cores) skips the two Dagster-built
steps over the whole history (1. and the orchestrated dbt build): the
nightly run then adds day N on top of the warehouse the loader and bare
``dbt build`` made, with a fresh ``DAGSTER_HOME``, and the report compares it
with the sum of those parts (loader + bare dbt + gates).

Prints the report and writes it to ``--results`` (markdown).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import duckdb  # noqa: E402

from bench import breakdown, report  # noqa: E402
from bench.measure import Measurement, StepFailed, run_step  # noqa: E402
from dagster_project.contract import TABLES  # noqa: E402
from dagster_project.loading.export_files import dated_file  # noqa: E402
from dagster_project.settings import DBT_PROJECT_DIR  # noqa: E402
from dagster_project.summary import table_counts  # noqa: E402

BIN = Path(sys.executable).parent
STEPS_SCRIPT = PROJECT_ROOT / "bench" / "steps.py"
SEED = 20250101


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="generator scale (1: about 1M orders per 365 days)")
    parser.add_argument("--days", type=int, default=365, help="export days; the nightly run adds the last one")
    parser.add_argument("--start", default="2025-01-01", help="first export day (YYYY-MM-DD)")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench" / "out", help="work folder")
    parser.add_argument("--results", type=Path, default=None, help="report file (default bench/results/scale-<S>.md)")
    parser.add_argument(
        "--skip-generate-if-present",
        action="store_true",
        help="reuse exports generated earlier with the same scale, days and start",
    )
    parser.add_argument(
        "--history-without-dagster",
        action="store_true",
        help="skip the Dagster full build and orchestrated dbt; run the nightly on the loader + bare dbt warehouse",
    )
    args = parser.parse_args(argv)
    if args.results is None:
        args.results = PROJECT_ROOT / "bench" / "results" / f"scale-{args.scale:g}.md"
    if args.days < 2:
        parser.error("--days must be at least 2 (a history and a new day)")
    return args


def base_env(start: str) -> dict[str, str]:
    """The caller's environment without trustqa or Dagster settings; each step adds its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRUSTQA_", "DAGSTER_", "DBT_"))}
    env.update(
        TRUSTQA_TARGET="duckdb",
        TRUSTQA_PARTITIONS_START=start,
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONWARNINGS="ignore",
    )
    return env


def warehouse_env(
    env: dict[str, str], exports: Path, warehouse: Path, dagster_home: Path | None = None
) -> dict[str, str]:
    extra = {
        "TRUSTQA_EXPORTS_DIR": str(exports),
        "TRUSTQA_DUCKDB_PATH": str(warehouse),
        "TRUSTQA_DATA_DOCS_DIR": str(warehouse.parent / "data_docs"),
    }
    if dagster_home is not None:
        extra["DAGSTER_HOME"] = str(dagster_home)
    return {**env, **extra}


def prepare_parse(step_env: dict[str, str], exports: Path, warehouse: Path) -> None:
    """Parse the dbt project for the settings ``trustqa materialize`` will run with, before any timed step.

    dbt keeps a saved parse per warehouse (dagster_project/dbt_project.py); a
    nightly in production finds its own, so a timed run must not parse either.
    """
    code = (
        "from dagster_project.dbt_project import prepare_manifest\n"
        "from dagster_project.settings import settings_with_paths\n"
        f"prepare_manifest(config=settings_with_paths({str(exports)!r}, {str(warehouse)!r}))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=step_env)


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def copy_warehouse(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))


def generate(args: argparse.Namespace, scale_dir: Path, env: dict[str, str], logs: Path) -> Measurement | None:
    """Generate the exports (measured), unless identical ones are there and reuse was asked for."""
    exports, marker = scale_dir / "exports", scale_dir / "generated.json"
    wanted = {"scale": args.scale, "days": args.days, "start": args.start, "seed": SEED}
    if args.skip_generate_if_present and marker.exists() and json.loads(marker.read_text()) == wanted:
        return None
    marker.unlink(missing_ok=True)
    shutil.rmtree(exports, ignore_errors=True)
    command = [
        str(BIN / "trustqa"),
        "generate",
        "--out",
        str(exports),
        "--start",
        args.start,
        "--days",
        str(args.days),
        "--scale",
        f"{args.scale:g}",
        "--seed",
        str(SEED),
    ]
    measurement = run_step("generate", command, logs / "generate.log", env, scale_dir)
    marker.write_text(json.dumps(wanted))
    return measurement


def raw_rows(warehouse: Path, exports: Path, new_day: dt.date) -> list[report.RawTableRows]:
    rows = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in TABLES:
            history, new = con.execute(
                f"select count(*) filter (where _export_date < ?), count(*) filter (where _export_date = ?) from raw.{table.name}",
                [new_day, new_day],
            ).fetchone()
            quarantined = con.execute(f"select count(*) from quarantine.{table.name}").fetchone()[0]
            folder = Path(table.folder(str(exports)))
            size = sum(f.stat().st_size for f in folder.iterdir()) if folder.is_dir() else 0
            rows.append(report.RawTableRows(table.name, history, new, quarantined, size / 1e6))
    return rows


def count_rows(warehouse: Path, schemas: tuple[str, ...]) -> int:
    return sum(c.rows for c in table_counts(warehouse, schemas))


def input_mb(exports: Path, days: list[dt.date]) -> float:
    files = [f for t in TABLES for d in days if (f := dated_file(exports, t, d)) is not None]
    return sum(f.path.stat().st_size for f in files) / 1e6


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    first_day = dt.date.fromisoformat(args.start)
    days = [first_day + dt.timedelta(days=i) for i in range(args.days)]
    history_last, new_day = days[-2], days[-1]
    scale_dir = (args.out / f"scale-{args.scale:g}").resolve()
    scale_dir.mkdir(parents=True, exist_ok=True)
    exports, logs = scale_dir / "exports", fresh_dir(scale_dir / "logs")
    env = base_env(args.start)
    trustqa, python = str(BIN / "trustqa"), sys.executable
    span = ["--from", str(first_day), "--to", str(history_last)]
    steps: dict[str, Measurement] = {}

    def measure(key: str, command: list[str], step_env: dict[str, str], cwd: Path, check: bool = False) -> None:
        """Measure one step; a failed step is reported (and the bench exits 1), later steps still run."""
        print(f"[bench] {key} ...", flush=True)
        steps[key] = m = run_step(key, command, logs / f"{key}.log", step_env, cwd, check=check)
        failed = f", FAILED with exit code {m.returncode} (see {m.log})" if m.returncode else ""
        print(
            f"[bench] {key}: {m.wall_s:.1f} s, peak {m.peak_mib:.0f} MiB (tree {m.tree_mib:.0f} MiB){failed}",
            flush=True,
        )

    load_before = os.getloadavg()
    measured_at = dt.datetime.now(dt.UTC)
    try:
        print(f"[bench] generate scale {args.scale:g} x {args.days} days into {exports} ...", flush=True)
        generated = generate(args, scale_dir, env, logs)
        if generated is not None:
            steps["generate"] = generated

        full = fresh_dir(scale_dir / "full")
        full_env = warehouse_env(env, exports, full / "trustqa.duckdb", full / "dagster_home")
        materialize = [trustqa, "materialize", "--exports", str(exports), "--warehouse", str(full / "trustqa.duckdb")]
        nightly = [*materialize, "--partition", str(new_day)]
        prepare_parse(full_env, exports, full / "trustqa.duckdb")
        if not args.history_without_dagster:
            measure("full_build", [*materialize, *span], full_env, full)
            measure("nightly", nightly, full_env, full)
            measure("fixed_cost", nightly, full_env, full)  # the same day again: nothing new to load or build

        parts = fresh_dir(scale_dir / "parts")
        # file names are DuckDB catalog names: never one of the warehouse's schemas (raw, ...)
        raw_db, direct_db, bare_db, dagster_db = (
            parts / f"{n}.duckdb" for n in ("loader", "direct_read", "dbt_bare", "dbt_dagster")
        )
        steps_cmd = [python, str(STEPS_SCRIPT)]
        measure(
            "raw_load",
            [*steps_cmd, "load", "--exports", str(exports), "--warehouse", str(raw_db), *span],
            warehouse_env(env, exports, raw_db),
            parts,
            check=True,
        )  # the dbt steps start from its warehouse
        measure(
            "direct_read",
            [*steps_cmd, "direct-read", "--exports", str(exports), "--warehouse", str(direct_db), *span],
            warehouse_env(env, exports, direct_db),
            parts,
        )

        copy_warehouse(raw_db, bare_db)
        if not args.history_without_dagster:
            copy_warehouse(raw_db, dagster_db)
        bare_target = fresh_dir(parts / "dbt_target")
        partial_parse = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
        if partial_parse.exists():  # dagster-dbt starts each invocation from it too
            shutil.copy(partial_parse, bare_target)
        bare = json.loads(
            subprocess.run(
                [*steps_cmd, "bare-dbt-args", *span], check=True, capture_output=True, text=True, env=env
            ).stdout
        )
        dbt = [
            str(BIN / "dbt"),
            *bare["args"],
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target",
            "duckdb",
            "--target-path",
            str(bare_target),
            "--log-path",
            str(bare_target),
        ]
        measure("dbt_bare", dbt, {**warehouse_env(env, exports, bare_db), **bare["env"]}, DBT_PROJECT_DIR)
        dagster_home = parts / "dagster_home"
        if not args.history_without_dagster:
            measure(
                "dbt_dagster",
                [*steps_cmd, "dagster-dbt", *span],
                warehouse_env(env, exports, dagster_db, dagster_home),
                parts,
            )
        measure(
            "gates",
            [*steps_cmd, "gates", "--warehouse", str(bare_db), "--docs", str(parts / "data_docs")],
            warehouse_env(env, exports, bare_db),
            parts,
        )
        if args.history_without_dagster:  # the nightly on the history the loader and bare dbt built
            copy_warehouse(bare_db, full / "trustqa.duckdb")
            measure("nightly", nightly, full_env, full)
            measure("fixed_cost", nightly, full_env, full)
    except StepFailed as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1

    full_runs = breakdown.runs(full / "dagster_home")
    runs = {"nightly": full_runs[-2], "fixed_cost": full_runs[-1]}
    if not args.history_without_dagster:
        runs.update(full_build=full_runs[0], dbt_dagster=breakdown.runs(dagster_home)[-1])
    derived = table_counts(full / "trustqa.duckdb", ("intermediate", "marts"))
    results = report.Results(
        scale=args.scale,
        days=args.days,
        first_day=first_day,
        new_day=new_day,
        measured_at=measured_at,
        load_before=load_before,
        load_after=os.getloadavg(),
        steps=steps,
        raw_rows=raw_rows(full / "trustqa.duckdb", exports, new_day),
        derived_rows=[(f"{c.schema}.{c.table}", c.rows) for c in sorted(derived, key=lambda c: -c.rows)[:8]],
        loader_rows=count_rows(raw_db, ("raw", "quarantine")),
        direct_rows=count_rows(direct_db, ("direct",)),
        input_mb=input_mb(exports, days[:-1]),
        runs=runs,
        dbt={
            **({"full_build": breakdown.dbt_nodes(runs["full_build"].run_id)} if "full_build" in runs else {}),
            "nightly": breakdown.dbt_nodes(runs["nightly"].run_id),
            "dbt_bare": breakdown.dbt_nodes_of([bare_target]),
        },
    )
    text = report.render(results, report.machine(), report.code_version(PROJECT_ROOT))
    print("\n" + text)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(text, encoding="utf-8")
    print(f"[bench] written to {args.results}")
    failed = [key for key, m in steps.items() if m.returncode]
    if failed:
        print(f"bench: step(s) failed: {', '.join(failed)} (their figures are marked in the report)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
