"""The benchmark report: the machine, the figures, the ratios against their targets (markdown)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from bench.breakdown import DbtNode, RunProfile
from bench.measure import Measurement

# Every measured step: key, label, what runs (each one process, timed as a whole).
STEPS = (
    ("generate", "generate exports", "`trustqa generate` of every day"),
    (
        "full_build",
        "full build",
        "`trustqa materialize --from <day 1> --to <day N-1>`: fresh warehouse and DAGSTER_HOME; raw load, dbt, gates",
    ),
    ("nightly", "nightly (one new day)", "`trustqa materialize --partition <day N>` on the full build's warehouse"),
    (
        "fixed_cost",
        "fixed cost (nightly, nothing new)",
        "the same `trustqa materialize --partition <day N>` again at once: the same files, no new or changed row",
    ),
    ("raw_load", "raw loading", "the loader (`load_days`) for every table over days 1..N-1, one process"),
    (
        "direct_read",
        "DuckDB direct read",
        "`read_csv`/`read_json` of the same files into tables, one statement per table",
    ),
    ("dbt_bare", "dbt build (bare)", "`dbt build` on the loaded raw tables, no Dagster"),
    ("dbt_dagster", "dbt build (Dagster)", "the same dbt assets and dbt tests through Dagster in-process, no GX gates"),
    ("gates", "quality gates (GX)", "every Great Expectations suite on the built warehouse, with Data Docs"),
)
STEP_COLUMNS = (
    "step",
    "what runs",
    "wall s",
    "peak MiB (largest process)",
    "peak MiB (process tree, sampled)",
    "exit code",
)
RATIOS = (
    "nightly / full build",
    "gates / full build",
    "orchestrated / bare dbt",
    "loader / direct read",
    "peak memory GiB",
    "fixed cost s",
)
RATIO_COLUMNS = ("ratio", "value", "target (scale 10, 2 cores)", "status")
RAW_COLUMNS = ("table", "history rows (days 1..N-1)", "new-day rows (day N)", "quarantined", "files MB")
THROUGHPUT_COLUMNS = ("reader", "rows", "MB", "wall s", "rows/s", "MB/s")


@dataclass
class RawTableRows:
    table: str
    history: int
    new_day: int
    quarantined: int
    files_mb: float


@dataclass
class Results:
    scale: float
    days: int
    first_day: dt.date
    new_day: dt.date
    measured_at: dt.datetime
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    steps: dict[str, Measurement]
    raw_rows: list[RawTableRows]
    derived_rows: list[tuple[str, int]]
    loader_rows: int
    direct_rows: int
    input_mb: float
    runs: dict[str, RunProfile] = field(default_factory=dict)  # full_build, nightly, dbt_dagster
    dbt: dict[str, dict[str, DbtNode]] = field(default_factory=dict)  # full_build, nightly, dbt_bare -> nodes


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        ram = int(next(line for line in handle if line.startswith("MemTotal")).split()[1]) / 2**20
    cores = len(os.sched_getaffinity(0))
    versions = ", ".join(
        f"{p} {metadata.version(p)}" for p in ("duckdb", "dbt-core", "dbt-duckdb", "dagster", "great_expectations")
    )
    return f"{cpu}, {cores} cores, {ram:.1f} GiB RAM; Linux {platform.release()}; Python {platform.python_version()}; {versions}"


def code_version(root: Path) -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = len([line for line in git("status", "--porcelain").splitlines() if line.strip()])
    return f"commit {commit}" + (f" with {changed} uncommitted file(s)" if changed else "")


def _table(columns: tuple[str, ...] | list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _peak(m: Measurement) -> float:
    return max(m.peak_mib, m.tree_mib)


def full_build_seconds(r: Results) -> tuple[float, str]:
    """The full build's wall time, and what it is: measured, or the sum of its parts (``--history-without-dagster``)."""
    s = r.steps
    if "full_build" in s:
        return s["full_build"].wall_s, "full build"
    return s["raw_load"].wall_s + s["dbt_bare"].wall_s + s["gates"].wall_s, "full build as loader + bare dbt + gates"


def ratios(r: Results) -> list[tuple[str, float | None, str, bool | None]]:
    """(ratio, value, target, met) for each target of the issue; value and met are None when not measured."""
    s = r.steps
    full, full_label = full_build_seconds(r)
    nightly = s["nightly"].wall_s / full
    gates = s["gates"].wall_s / full
    orchestrated = s["dbt_dagster"].wall_s / s["dbt_bare"].wall_s if "dbt_dagster" in s else None
    loader = s["raw_load"].wall_s / s["direct_read"].wall_s
    peak_gib = max(_peak(m) for m in s.values()) / 1024
    fixed = s["fixed_cost"].wall_s if "fixed_cost" in s else None
    return [
        (f"nightly / {full_label}", nightly, "<= 0.05", nightly <= 0.05),
        (f"gates / {full_label}", gates, "<= 0.25", gates <= 0.25),
        ("orchestrated / bare dbt", orchestrated, "<= 1.15", None if orchestrated is None else orchestrated <= 1.15),
        ("loader / direct read", loader, "<= 1.5", loader <= 1.5),
        ("peak memory GiB", peak_gib, "< 8", peak_gib < 8),
        ("fixed cost s", fixed, "< 15", None if fixed is None else fixed < 15),
    ]


def _ratio_rows(r: Results) -> list[list[object]]:
    return [
        [
            name,
            "not measured" if value is None else f"{value:.1f}" if name.endswith(" s") else f"{value:.3f}",
            target,
            "not measured" if met is None else "met" if met else "missed",
        ]
        for name, value, target, met in ratios(r)
    ]


def _phase_rows(r: Results) -> list[list[object]]:
    """Per phase: the full build, the nightly, their ratio, and the fixed cost (a nightly with nothing new)."""
    nightly = r.runs["nightly"]
    full = r.runs.get("full_build", RunProfile("-", "-", 0.0))
    fixed = r.runs.get("fixed_cost")
    measured_full = "full_build" in r.runs

    def row(label: str, f: float, n: float, x: float | None) -> list[object]:
        fixed_text = "-" if x is None else f"{x:.1f}"
        if not measured_full:
            return [label, "-", f"{n:.1f}", "-", fixed_text]
        return [label, f"{f:.1f}", f"{n:.1f}", f"{n / f:.2f}" if f else "-", fixed_text]

    def outside(key: str, run: RunProfile | None) -> float | None:
        return r.steps[key].wall_s - run.seconds if run is not None and key in r.steps else None

    names = [*full.phases, *(k for k in nightly.phases if k not in full.phases)]
    rows = [
        row(name, full.phases.get(name, 0.0), nightly.phases.get(name, 0.0), fixed and fixed.phases.get(name, 0.0))
        for name in names
    ]
    rows.append(row("whole Dagster run", full.seconds, nightly.seconds, fixed and fixed.seconds))
    rows.append(
        row(
            "outside the run (process start, dbt parse, summary)",
            outside("full_build", full) or 0.0,
            outside("nightly", nightly) or 0.0,
            outside("fixed_cost", fixed),
        )
    )
    return rows


def _events(r: Results) -> str:
    def text(run: RunProfile) -> str:
        planned, done = run.events["ASSET_MATERIALIZATION_PLANNED"], run.events["ASSET_MATERIALIZATION"]
        return f"{sum(run.events.values()):,} events ({planned:,} asset materializations planned and {done:,} recorded)"

    full = f"{text(r.runs['full_build'])} in the full build and " if "full_build" in r.runs else ""
    return (
        f"Dagster's event log (SQLite in DAGSTER_HOME) received {full}"
        f"{text(r.runs['nightly'])} in the nightly run: one planned and one recorded materialization per "
        'partitioned asset and export day; the planned ones are written before the first step (in "outside the run").'
    )


def _dbt_kind_rows(r: Results) -> list[list[object]]:
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for run, nodes in r.dbt.items():
        for node in nodes.values():
            sums[node.kind][run] += node.seconds
    rows = []
    for kind in sorted(sums, key=lambda k: -sums[k]["nightly"]):
        f, n, bare = sums[kind]["full_build"], sums[kind]["nightly"], sums[kind]["dbt_bare"]
        full = f"{f:.1f}" if "full_build" in r.dbt else "-"  # no Dagster full build: not measured
        rows.append([kind, f"{bare:.1f}", full, f"{n:.1f}", f"{n / f:.2f}" if f else "-"])
    return rows


def _dbt_top_rows(r: Results, limit: int = 12) -> list[list[object]]:
    full, nightly = r.dbt.get("full_build", {}), r.dbt.get("nightly", {})
    rows = []
    for node in sorted(nightly.values(), key=lambda n: -n.seconds)[:limit]:
        f = full[node.unique_id].seconds if node.unique_id in full else 0.0
        ratio = f"{node.seconds / f:.2f}" if f else "-"
        full_text = f"{f:.1f}" if "full_build" in r.dbt else "-"
        rows.append([f"`{node.unique_id.split('.', 2)[-1]}`", node.kind, full_text, f"{node.seconds:.1f}", ratio])
    return rows


def _failures(r: Results) -> list[str]:
    """A note per failed step: its figures cover a run that stopped early or skipped what depended on the failure."""
    notes = []
    for key, label, _ in STEPS:
        m = r.steps.get(key)
        if m is not None and m.returncode:
            notes += [
                "",
                f"**{label} failed** (exit code {m.returncode}, log `{m.log}`); its figures are for the "
                "work done until then, without what the failure skipped:",
            ]
            notes += [f"    {line}" for line in m.failure_lines()]
    return notes


def _overhead(r: Results) -> str:
    """Split the Dagster dbt run's extra time into outside the run and inside it."""
    if "dbt_dagster" not in r.steps:
        return (
            "Orchestration overhead: not measured at this scale (`--history-without-dagster`: no Dagster run over "
            "the whole history); the full build's figure is the sum of the loader, bare dbt and the gates, "
            "which leaves out Dagster's own cost, so the ratios against it are upper bounds."
        )
    dagster, bare, run = r.steps["dbt_dagster"], r.steps["dbt_bare"], r.runs["dbt_dagster"]
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in run.phases.items())
    planned, done = run.events["ASSET_MATERIALIZATION_PLANNED"], run.events["ASSET_MATERIALIZATION"]
    return (
        f"Orchestration overhead: {dagster.wall_s - bare.wall_s:.1f} s over bare dbt "
        f"({bare.wall_s:.1f} s, one `dbt build`). Of the Dagster process's {dagster.wall_s:.1f} s, "
        f"{dagster.wall_s - run.seconds:.1f} s are outside the run (interpreter, imports, definitions built from "
        f"the dbt manifest, planning) and {run.seconds:.1f} s the run: {len(run.phases)} dbt steps ({steps}), "
        "each its own `dbt build` process. Dagster wrote "
        f"{planned:,} planned and {done:,} recorded asset materializations (one per partitioned dbt model and "
        f"export day) and {run.events['ASSET_CHECK_EVALUATION']:,} dbt-test check evaluations to its event log."
    )


def render(r: Results, machine_text: str, code_text: str) -> str:
    s = r.steps
    history_last = r.new_day - dt.timedelta(days=1)
    other_load = max(r.load_before[0], r.load_after[0]) >= 0.5
    parts = [
        "# trustqa scale benchmark",
        "",
        f"- measured: {r.measured_at:%Y-%m-%d %H:%M} UTC, {code_text}",
        f"- machine: {machine_text}",
        f"- load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in r.load_before)}; "
        f"after: {', '.join(f'{x:.2f}' for x in r.load_after)}"
        + (" (other work was running on the machine: figures are upper bounds)" if other_load else ""),
        f"- scale {r.scale:g}, {r.days} export days {r.first_day} .. {r.new_day}: the full build loads "
        f"{r.first_day} .. {history_last} ({r.days - 1} days), the nightly adds {r.new_day}; DuckDB target",
        *(
            []
            if "full_build" in s
            else [
                "- `--history-without-dagster`: the history (days 1..N-1) was built by the loader and bare "
                "`dbt build` (the parts below), not by a Dagster full build; the nightly run adds day N on top of "
                "that warehouse with a fresh DAGSTER_HOME"
            ]
        ),
        "- wall time: the whole process (interpreter start and imports included). Peak memory: "
        "\"largest process\" is the kernel's `ru_maxrss` from `os.wait4()` on the step's process, which covers "
        'every descendant it waited for (the `dbt` processes Dagster starts); "process tree" is the sum of the '
        "resident sets of the step's processes, sampled every 0.2 s from /proc (see bench/measure.py)",
        "",
        "## Rows per raw table",
        "",
        _table(
            RAW_COLUMNS,
            [
                [t.table, f"{t.history:,}", f"{t.new_day:,}", f"{t.quarantined:,}", f"{t.files_mb:.1f}"]
                for t in r.raw_rows
            ],
        ),
        "",
        "## Steps",
        "",
        _table(
            STEP_COLUMNS,
            [
                [
                    label,
                    what,
                    f"{s[key].wall_s:.1f}",
                    f"{s[key].peak_mib:.0f}",
                    f"{s[key].tree_mib:.0f}",
                    s[key].returncode,
                ]
                if key in s
                else [
                    label,
                    what,
                    "skipped (exports present)" if key == "generate" else "skipped (--history-without-dagster)",
                    "-",
                    "-",
                    "-",
                ]
                for key, label, what in STEPS
            ],
        ),
        *_failures(r),
        "",
        _overhead(r),
        "",
        "## Throughput",
        "",
        _table(
            THROUGHPUT_COLUMNS,
            [
                [
                    name,
                    f"{rows:,}",
                    f"{r.input_mb:.1f}",
                    f"{m.wall_s:.1f}",
                    f"{rows / m.wall_s:,.0f}",
                    f"{r.input_mb / m.wall_s:.1f}",
                ]
                for name, rows, m in (
                    ("loader", r.loader_rows, s["raw_load"]),
                    ("DuckDB direct read", r.direct_rows, s["direct_read"]),
                )
            ],
        ),
        "",
        "## Ratios and targets",
        "",
        _table(
            RATIO_COLUMNS,
            _ratio_rows(r),
        ),
        "",
        "## Where the time goes",
        "",
        "Dagster steps of the full build, the nightly run and the fixed cost (the nightly again with nothing new), "
        "step start to end, seconds:",
        "",
        _table(("phase", "full build s", "nightly s", "nightly / full", "fixed cost s"), _phase_rows(r)),
        "",
        _events(r),
        "",
        "dbt execution time by kind of node (summed over nodes; dbt runs 4 threads, so sums exceed wall time):",
        "",
        _table(("dbt nodes", "bare dbt build s", "full build s", "nightly s", "nightly / full"), _dbt_kind_rows(r)),
        "",
        "The slowest dbt nodes of the nightly run:",
        "",
        _table(("node", "materialized", "full build s", "nightly s", "nightly / full"), _dbt_top_rows(r)),
        "",
        "Largest derived tables after the nightly run:",
        "",
        _table(("table", "rows"), [[f"`{name}`", f"{rows:,}"] for name, rows in r.derived_rows]),
        "",
    ]
    return "\n".join(parts)
