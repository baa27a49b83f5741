"""The day loop: simulate a day, finalise its versions, write every table's file for that day."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from dagster_project.contract import TABLES, Table
from dagster_project.generator.calibration import calibration_sessions
from dagster_project.generator.feed import VersionBuffer, finalize
from dagster_project.generator.marketplace import generate_orders, generate_shows
from dagster_project.generator.population import bootstrap_users, signups
from dagster_project.generator.rand import FEED, FORMAT
from dagster_project.generator.render import Renderer
from dagster_project.generator.roster import agent_versions, build_roster
from dagster_project.generator.support import generate_tickets
from dagster_project.generator.timestamps import pick_offsets
from dagster_project.generator.trust import generate_actions, generate_reports
from dagster_project.generator.world import Context, World
from dagster_project.generator.writer import write_export

ARROW_TYPES = {"integer": pa.int64(), "boolean": pa.bool_()}


def simulate_day(ctx: Context, world: World, day: int) -> dict[str, list[pd.DataFrame]]:
    """Every version created on ``day`` (some dated later: records carry their whole future)."""
    out: dict[str, list[pd.DataFrame]] = defaultdict(list)
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


def _file_rows(t: Table, rows: pd.DataFrame | None) -> pd.DataFrame | None:
    """A day's rows in file order (updated_at, key); checks the one-row-per-key rule."""
    if rows is None or rows.empty:
        return None
    order = np.lexsort((rows[t.key].to_numpy(), rows["updated_at"].to_numpy()))
    rows = rows.iloc[order].reset_index(drop=True)
    if rows[t.key].duplicated().any():
        raise AssertionError(f"{t.name}: duplicate {t.key} in one export file")
    return rows


def _empty_columns(t: Table) -> dict[str, pa.Array]:
    return {c.name: pa.array([], ARROW_TYPES.get(c.kind, pa.string())) for c in t.columns}


def generate_exports(out_dir: Path, start: dt.date, days: int, scale: float, seed: int) -> dict[str, int]:
    """Write ``days`` daily export files per table under ``out_dir``; returns rows written per table."""
    if days < 1 or scale <= 0:
        raise ValueError(f"need days >= 1 and scale > 0 (got days={days}, scale={scale})")
    out_dir = Path(out_dir)
    ctx = Context(start=start, days=days, scale=scale, seed=seed)
    world = World(ctx)
    buffer = VersionBuffer()
    renderer = Renderer(seed)
    written = {t.name: 0 for t in TABLES}
    for day in range(days):
        batches = simulate_day(ctx, world, day)
        for i, t in enumerate(TABLES):
            frames = [f for f in batches.get(t.name, []) if len(f)]
            if frames:
                versions = pd.concat(frames, ignore_index=True)
                buffer.add(t.name, finalize(versions, t.key, ctx.rng(FEED, day, i), days))
        for i, t in enumerate(TABLES):
            rows = _file_rows(t, buffer.pop(t.name, day))
            if rows is None:
                columns = _empty_columns(t)
            else:
                columns = renderer.render(t.name, rows, pick_offsets(ctx.rng(FORMAT, day, i), len(rows)))
                written[t.name] += len(rows)
            write_export(out_dir, t, ctx.date(day), columns)
    return written
