"""Dagster's stock SQLite event log against trustqa's pooled one: what each costs a run with many events.

    python bench/event_log.py store --storage stock|pooled [--events 10000] [--home DIR]
    python bench/event_log.py materialize --storage stock|pooled --exports DIR --work DIR [--from D --to D]
    python bench/event_log.py compare --exports DIR --work DIR [--repeat 3] [--events 10000] [--from D --to D]

``stock`` is the supported configuration (``storage: sqlite: base_dir:`` in
``dagster.yaml``: Dagster's ``SqliteEventLogStorage``, one SQLAlchemy engine
per event); ``pooled`` points ``event_log_storage`` at
``dagster_project.instance.event_log.PooledSqliteEventLogStorage`` (one
engine per SQLite file). Both keep the managed instance's other settings
(one run at a time, pools of 1, telemetry off) and its file layout.

* ``store`` times storing ``--events`` events of one run in a fresh
  ``DAGSTER_HOME``: half engine events (the run's file only), half asset
  materializations (the run's file and the index, as a backfill writes
  them). Prints seconds and milliseconds per event.
* ``materialize`` writes a fresh ``DAGSTER_HOME`` and warehouse under
  ``--work/<storage>`` and runs ``trustqa materialize`` over the exports
  (every day by default: one run, one planned and one recorded
  materialization per partitioned asset and day). Time the whole process
  from outside (``/usr/bin/time -v``), or use ``compare``.
* ``compare`` runs both, alternating stock and pooled ``--repeat`` times,
  each as its own process, and prints the median, min and max wall seconds
  and the median of the paired stock/pooled ratios.

A small export to run it on::

    trustqa generate --out /tmp/ex --start 2026-01-01 --days 120 --scale 0.1 --seed 1
    python bench/event_log.py compare --exports /tmp/ex --work /tmp/event_log_bench --repeat 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

STORAGES = ("stock", "pooled")


def instance_yaml(home: Path, storage: str) -> str:
    """trustqa's managed ``dagster.yaml`` for ``home`` (without its marker: ``trustqa`` leaves it alone);
    ``stock`` swaps its three storage blocks for Dagster's supported ``storage: sqlite`` (same layout)."""
    from dagster_project.instance import managed_instance_yaml

    pooled = managed_instance_yaml(home).split("\n", 1)[1]
    if storage == "pooled":
        return pooled
    return pooled[: pooled.index("run_storage:")] + f'storage:\n  sqlite:\n    base_dir: "{home}"\n'


def fresh_home(home: Path, storage: str) -> Path:
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text(instance_yaml(home.resolve(), storage), encoding="utf-8")
    return home.resolve()


def store(storage: str, events: int, home: Path) -> float:
    """Seconds to store ``events`` events of one run (half engine events, half asset materializations)."""
    import dagster as dg
    from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData

    home = fresh_home(home, storage)
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        run = instance.add_run(dg.DagsterRun(job_name="bench"))
        instance.report_engine_event("opened", run)  # the run's file and the index exist before the clock starts
        start = time.perf_counter()
        for i in range(events):
            if i % 2:
                instance.report_engine_event(f"event {i}", run)
            else:
                materialization = dg.AssetMaterialization(asset_key=["marts", f"m{i % 40}"], partition=f"p{i // 40}")
                event = DagsterEvent(
                    event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
                    job_name="bench",
                    event_specific_data=StepMaterializationData(materialization),
                )
                instance.report_dagster_event(event, run_id=run.run_id)
        elapsed = time.perf_counter() - start
        stored = len(instance.all_logs(run.run_id))
        if stored != events + 1:
            raise RuntimeError(f"{stored} events stored, {events + 1} expected")
        return elapsed
    finally:
        instance.dispose()


def materialize_command(args: argparse.Namespace, storage: str) -> tuple[list[str], dict[str, str]]:
    """``trustqa materialize`` in a fresh ``DAGSTER_HOME`` and warehouse under ``--work/<storage>``."""
    work = Path(args.work).resolve() / storage
    shutil.rmtree(work, ignore_errors=True)
    home = fresh_home(work / "home", storage)
    command = [str(Path(sys.executable).with_name("trustqa")), "materialize", "--exports", args.exports]
    command += ["--warehouse", str(work / "warehouse" / "trustqa.duckdb")]
    if args.date_from:
        command += ["--from", args.date_from, "--to", args.date_to or args.date_from]
    return command, {**os.environ, "DAGSTER_HOME": str(home)}


def _timed(command: list[str], env: dict[str, str], log: Path) -> float:
    start = time.perf_counter()
    with log.open("w") as out:
        code = subprocess.call(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - start
    if code:
        raise SystemExit(f"{' '.join(command)} exited {code}: see {log}")
    return elapsed


def _summary(label: str, values: list[float], unit: str = "s") -> str:
    return f"{label}: median {statistics.median(values):.3f} {unit} (min {min(values):.3f}, max {max(values):.3f})"


def compare(args: argparse.Namespace) -> None:
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    stores: dict[str, list[float]] = {s: [] for s in STORAGES}
    runs: dict[str, list[float]] = {s: [] for s in STORAGES}
    for i in range(args.repeat):
        for storage in STORAGES:
            command = [sys.executable, __file__, "store", "--storage", storage, "--events", str(args.events)]
            command += ["--home", str(work / "store-home")]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            stores[storage].append(float(output.split()[0]))
            if args.exports:
                command, env = materialize_command(args, storage)
                runs[storage].append(_timed(command, env, work / f"{storage}-{i}.log"))
    print(f"store {args.events} events of one run, {args.repeat} times each, alternating:")
    for storage in STORAGES:
        print("  " + _summary(storage, [v / args.events * 1000 for v in stores[storage]], "ms/event"))
    if args.exports:
        print(f"trustqa materialize, whole process, {args.repeat} times each, alternating:")
        for storage in STORAGES:
            print("  " + _summary(storage, runs[storage]))
        print(
            "  " + _summary("stock / pooled", [a / b for a, b in zip(runs["stock"], runs["pooled"], strict=True)], "x")
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench/event_log.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("store", "materialize", "compare"):
        p = sub.add_parser(name)
        if name != "compare":
            p.add_argument("--storage", choices=STORAGES, required=True)
        if name in ("store", "compare"):
            p.add_argument("--events", type=int, default=10_000)
        if name == "store":
            p.add_argument("--home", help="scratch DAGSTER_HOME (default: a temporary folder)")
        else:
            p.add_argument("--exports", required=name == "materialize", help="exports folder (trustqa generate)")
            p.add_argument("--work", required=True, help="scratch folder for DAGSTER_HOME and the warehouse")
            p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
            p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
        if name == "compare":
            p.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if args.command == "store":
        with tempfile.TemporaryDirectory() as scratch:
            seconds = store(args.storage, args.events, Path(args.home or scratch) / "home")
        print(f"{seconds:.3f} s for {args.events} events, {seconds / args.events * 1000:.2f} ms/event ({args.storage})")
    elif args.command == "materialize":
        command, env = materialize_command(args, args.storage)
        os.execve(command[0], command, env)
    else:
        compare(args)


if __name__ == "__main__":
    main()
