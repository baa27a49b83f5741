"""dim_user_risk_current is incremental: a run recomputes the users whose features can have changed.

docs: docs/metrics.md "How the current risk profile is refreshed" and the
macros in dbt_project/macros/metrics/user_risk_refresh.sql. One module
fixture walks one warehouse of the bundled sample through its nightly life
with the real loader and dbt, and after every step compares the table with a
`--full-refresh` of a copy of the same warehouse:

1. the export days up to CUT (11-04), built whole (the first build);
2. one new day (11-05): only the users it can change are recomputed, the
   others move to 11-05 with their account age;
3. the nine days after it in one run (11-06 .. 11-14);
4. the 11-02 orders file re-delivered (a late correction to an old day):
   every user recomputed;
5. a threshold of the seed risk_tier_rules changed: every user recomputed;
6. the same run again with nothing new: nothing recomputed, the histories
   not searched.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dagster_project.loading.export_files import export_days
from dagster_project.settings import PROJECT_ROOT
from tests.dbt_runner import run_dbt
from tests.pipeline_runner import load_exports

pytestmark = pytest.mark.slow

SAMPLE = PROJECT_ROOT / "seeds"
CUT = dt.date(2026, 11, 4)
NEXT_DAY = dt.date(2026, 11, 5)
REDELIVERED_DAY = dt.date(2026, 11, 2)
LOADS = [dt.datetime(2030, 1, day, 3, 0) for day in range(1, 5)]
MODEL = "marts.dim_user_risk_current"
STEPS = ("first build", "one new day", "nine new days", "re-delivered file", "changed rule", "nothing new")


def rows(db_path: Path) -> dict[str, dict[str, Any]]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        cursor = con.execute(f"select * from {MODEL} order by user_id")
        names = [d[0] for d in cursor.description]
        return {row[1]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def without_lineage(table: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        user: {k: v for k, v in row.items() if k not in ("_inputs_loaded_at", "_risk_rules_fingerprint")}
        for user, row in table.items()
    }


def full_refresh_of(db_path: Path, work_dir: Path) -> dict[str, dict[str, Any]]:
    """The table a `--full-refresh` of the model gives on a copy of the warehouse."""
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir()
    copy = work_dir / "trustqa.duckdb"
    shutil.copy(db_path, copy)
    run_dbt(["run", "--full-refresh", "--select", "dim_user_risk_current"], work_dir, copy)
    return rows(copy)


@dataclass
class Step:
    table: dict[str, dict[str, Any]]
    full_refresh: dict[str, dict[str, Any]]
    log: str


@dataclass
class Walk:
    db_path: Path
    steps: dict[str, Step]


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    work_dir = tmp_path_factory.mktemp("risk_current")
    db_path = work_dir / "trustqa.duckdb"
    days = export_days(SAMPLE)
    model_and_inputs = ["run", "--select", "+dim_user_risk_current"]
    steps: dict[str, Step] = {}

    def record(step: str, log: str) -> None:
        # the first build is a full build, and the last run must equal the one before it (tested)
        full = rows(db_path) if step in (STEPS[0], STEPS[5]) else full_refresh_of(db_path, work_dir / step[:3])
        steps[step] = Step(rows(db_path), full, log)

    load_exports(db_path, SAMPLE, [d for d in days if d <= CUT], LOADS[0])
    first_build = ["build", "--select", "+dim_user_risk_current", "--resource-type", "seed", "--resource-type", "model"]
    record(STEPS[0], run_dbt(first_build, work_dir, db_path))

    load_exports(db_path, SAMPLE, [NEXT_DAY], LOADS[1])
    record(STEPS[1], run_dbt(model_and_inputs, work_dir, db_path))

    load_exports(db_path, SAMPLE, [d for d in days if d > NEXT_DAY], LOADS[2])
    record(STEPS[2], run_dbt(model_and_inputs, work_dir, db_path))

    # the same bytes again, reloaded as a corrected file would be (an unchanged file is kept: docs/loading.md)
    load_exports(db_path, SAMPLE, [REDELIVERED_DAY], LOADS[3], tables=["orders"], keep_unchanged=False)
    record(STEPS[3], run_dbt(model_and_inputs, work_dir, db_path))

    with duckdb.connect(str(db_path)) as con:
        con.execute("update reference.risk_tier_rules set elevated_at = 1 where rule_name = 'distinct_reporters'")
    record(STEPS[4], run_dbt(["run", "--select", "dim_user_risk_current"], work_dir, db_path))

    record(STEPS[5], run_dbt(["run", "--select", "dim_user_risk_current"], work_dir, db_path))
    yield Walk(db_path, steps)


def recomputed(step: Step) -> set[str]:
    """The users whose rows the step's run wrote (their watermark is the newest)."""
    newest = max(row["_inputs_loaded_at"] for row in step.table.values())
    return {user for user, row in step.table.items() if row["_inputs_loaded_at"] == newest}


@pytest.mark.parametrize("step", STEPS[1:5])
def test_each_step_equals_a_full_refresh(walk: Walk, step: str) -> None:
    table, full = walk.steps[step].table, walk.steps[step].full_refresh
    assert len(table) > 100
    assert without_lineage(table) == without_lineage(full)


def test_one_new_day_recomputes_only_the_users_it_can_change(walk: Walk) -> None:
    after = walk.steps[STEPS[1]].table
    changed = recomputed(walk.steps[STEPS[1]])
    assert 0 < len(changed) < len(after) / 2
    # worked from the raw rows: the buyer and seller of every order exported on the new day
    with duckdb.connect(str(walk.db_path), read_only=True) as con:
        traders = con.execute(
            "select buyer_id from raw.orders where _export_date = ? union select seller_id from raw.orders"
            " where _export_date = ?",
            [NEXT_DAY, NEXT_DAY],
        ).fetchall()
    assert traders and {user for (user,) in traders} <= changed
    assert all(row["as_of_day"] == NEXT_DAY for row in after.values())


def test_a_kept_row_is_the_row_of_the_day_before_one_day_older(walk: Walk) -> None:
    before, after = walk.steps[STEPS[0]].table, walk.steps[STEPS[1]].table
    kept = set(before) - recomputed(walk.steps[STEPS[1]])
    assert kept
    for user in kept:
        old, new = dict(before[user]), dict(after[user])
        assert (old["as_of_day"], new["as_of_day"]) == (CUT, NEXT_DAY)
        old_age, new_age = old.pop("account_age_days"), new.pop("account_age_days")
        assert new_age == (None if old_age is None else old_age + 1)
        del old["as_of_day"], new["as_of_day"]
        assert new == old


@pytest.mark.parametrize("step", [STEPS[3], STEPS[4]])
def test_a_late_file_or_a_changed_rule_recomputes_every_user(walk: Walk, step: str) -> None:
    assert recomputed(walk.steps[step]) == set(walk.steps[step].table)
    reason = "late or re-delivered export" if step == STEPS[3] else "risk_tier_rules changed"
    assert f"every user recomputed ({reason})" in walk.steps[step].log


def test_a_rerun_with_nothing_new_recomputes_no_user(walk: Walk) -> None:
    assert walk.steps[STEPS[5]].table == walk.steps[STEPS[4]].table
    assert "every user recomputed" not in walk.steps[STEPS[5]].log
    # the same as-of day with nothing loaded since: no search of the histories, every row kept
    assert "nothing new since its last build, every row kept" in walk.steps[STEPS[5]].log
    assert "nothing new since its last build" not in walk.steps[STEPS[1]].log
