"""The day loop: simulate a day, finalise its versions, write every table's file for that day."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa

from dagster_project.contract import TABLES, Table
from dagster_project.generator.calibration import calibration_sessions
from dagster_project.generator.feed import VersionBuffer, finalize
from dagster_project.generator.marketplace import generate_orders, generate_shows
from dagster_project.generator.planted import MANIFEST as PLANTED_MANIFEST
from dagster_project.generator.planted import PlantedShift
from dagster_project.generator.planted import manifest as planted_manifest
from dagster_project.generator.population import bootstrap_users, signups
from dagster_project.generator.rand import FEED, FORMAT
from dagster_project.generator.render import Renderer
from dagster_project.generator.roster import agent_versions, build_roster
from dagster_project.generator.rows import Rows
from dagster_project.generator.support import generate_tickets
from dagster_project.generator.timestamps import pick_offsets
from dagster_project.generator.trust import generate_actions, generate_reports
from dagster_project.generator.world import Context, World
from dagster_project.generator.writer import write_export

ARROW_TYPES = {"integer": pa.int64(), "boolean": pa.bool_()}


def simulate_day(ctx: Context, world: World, day: int) -> dict[str, list[Rows]]:
    """Every version created on ``day`` (some dated later: records carry their whole future)."""
    out: dict[str, list[Rows]] = defaultdict(list)
    if day == 0:
        world.agents = build_roster(ctx)
        out["agents"].append(agent_versions(ctx, world.agents))
        out["users"].append(bootstrap_users(ctx, world))
    out["users"].append(signups(ctx, world, day))
    show_versions, shows = generate_shows(ctx, world, day)
    out["shows"].append(show_versions)
    orders, disputes = generate_orders(ctx, world, day, shows)
    out["orders"].append(orders)
    out["disputes"].append(disputes)
    out["reports"].append(generate_reports(ctx, world, day, shows))
    for source in (generate_actions(ctx, world, day), generate_tickets(ctx, world, day)):
        for name, frame in source.items():
            out[name].append(frame)
    out["qa_reviews"].append(calibration_sessions(ctx, world, day))
    return out


def _file_rows(t: Table, rows: Rows | None) -> Rows | None:
    """A day's rows in file order (updated_at, key); checks the one-row-per-key rule."""
    if rows is None or rows.empty:
        return None
    rows = rows.take(np.lexsort((rows[t.key], rows["updated_at"])))
    if np.unique(rows[t.key]).size != len(rows):
        raise AssertionError(f"{t.name}: duplicate {t.key} in one export file")
    return rows


def _empty_columns(t: Table) -> dict[str, pa.Array]:
    return {c.name: pa.array([], ARROW_TYPES.get(c.kind, pa.string())) for c in t.columns}


# Above this much work (scale x days) the files are rendered and written by a second process while the
# main one simulates the next day; below it everything runs inline. The bytes are the same either way.
PARALLEL_WRITER_MIN_WORK = 60.0


class _Inline:
    """A stand-in for an executor that runs each task at once (small runs: no process start-up)."""

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Callable[..., object], /, *args: object, **kwargs: object) -> Future:
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def _main_is_importable() -> bool:
    """A spawned process re-imports ``__main__`` from its file: only possible when that file exists."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return main_file is None or os.path.exists(main_file)


def _writer(scale: float, days: int) -> ProcessPoolExecutor | _Inline:
    if scale * days < PARALLEL_WRITER_MIN_WORK or not _main_is_importable():
        return _Inline()
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


def _write_day(out_dir: Path, ctx: Context, day: int, tables: list[tuple[int, Table, Rows | None]]) -> None:
    """Render and write every table's file for ``day``."""
    renderer = Renderer(ctx.seed)
    for i, t, rows in tables:
        if rows is None:
            columns = _empty_columns(t)
        else:
            columns = renderer.render(t.name, rows, pick_offsets(ctx.rng(FORMAT, day, i), len(rows)))
        write_export(out_dir, t, ctx.date(day), columns)


def generate_exports(
    out_dir: Path,
    start: dt.date,
    days: int,
    scale: float,
    seed: int,
    support_scale: float | None = None,
    qa_sampling: float = 1.0,
    plant_shifts: Sequence[PlantedShift] = (),
) -> dict[str, int]:
    """Write ``days`` daily export files per table under ``out_dir``; returns rows written per table.

    Day by day: simulate the day (new records with their whole future), finalise the versions (end of
    day state, a few late arrivals), then write every table's file for the day. Memory holds the world
    (small per-user arrays) and the versions still waiting for their export day.

    ``support_scale`` scales the new tickets instead of ``scale`` (their ratings and QA samples follow;
    appeals-queue tickets follow the appeals); ``qa_sampling`` multiplies every QA sampling rate (more
    cases reviewed, so a few more enforcement actions reversed by a QA correction); ``plant_shifts``
    move the QA scores they match (``planted.py``) and are listed, with the reviews they changed, in
    ``planted_shifts.json`` at the folder's root (removed when none is planted).
    """
    if days < 1 or scale <= 0 or qa_sampling <= 0 or (support_scale is not None and support_scale <= 0):
        raise ValueError(
            "need days >= 1 and scale, support_scale, qa_sampling > 0 "
            f"(got days={days}, scale={scale}, support_scale={support_scale}, qa_sampling={qa_sampling})"
        )
    out_dir = Path(out_dir)
    ctx = Context(start, days, scale, seed, support_scale, qa_sampling, tuple(plant_shifts))
    world = World(ctx)
    buffer = VersionBuffer()
    written = {t.name: 0 for t in TABLES}
    with _writer(scale, days) as writer:
        pending: Future | None = None
        for day in range(days):
            batches = simulate_day(ctx, world, day)
            for i, t in enumerate(TABLES):
                frames = [f for f in batches.get(t.name, []) if len(f)]
                if frames:
                    buffer.add(t.name, finalize(Rows.concat(frames), t.key, ctx.rng(FEED, day, i), days))
            today = [(i, t, _file_rows(t, buffer.pop(t.name, day))) for i, t in enumerate(TABLES)]
            for _, t, rows in today:
                written[t.name] += 0 if rows is None else len(rows)
            if pending is not None:
                pending.result()
            pending = writer.submit(_write_day, out_dir, ctx, day, today)
        if pending is not None:
            pending.result()
    _write_manifest(out_dir, ctx, world)
    return written


def _write_manifest(out_dir: Path, ctx: Context, world: World) -> None:
    path = out_dir / PLANTED_MANIFEST
    if not ctx.planted:
        path.unlink(missing_ok=True)
        return
    text = json.dumps(planted_manifest(ctx.planted, world.planted), indent=2)
    path.write_text(text + "\n", encoding="utf-8")
