"""fct_user_risk_features_daily on the bundled sample: no leakage, incremental = full refresh.

One module fixture walks one warehouse through a nightly life, with the real
loader and dbt (each step one dbt run):

1. load the sample's export days up to CUT (2026-09-14 .. 11-04) and build;
2. load the ten days after it (11-05 .. 11-14) and build again (incremental);
   a copy of the warehouse is then rebuilt with --full-refresh;
3. tamper with an old day's rows and run again with nothing new loaded;
4. re-deliver the 11-02 orders file and run again.
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
REDELIVERED_DAY = dt.date(2026, 11, 2)
TAMPERED_DAY = dt.date(2026, 11, 1)
FIRST_LOAD = dt.datetime(2030, 1, 1, 3, 0)
SECOND_LOAD = dt.datetime(2030, 1, 2, 3, 0)
REDELIVERY = dt.datetime(2030, 1, 3, 3, 0)
MODEL = "marts.fct_user_risk_features_daily"


def snapshot(db_path: Path) -> list[tuple[Any, ...]]:
    """Every row of the mart, ordered by its grain, without `_built_at` (when the build that wrote it ran)."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(f"select * exclude (_built_at) from {MODEL} order by as_of_day, user_id").fetchall()


def column_names(db_path: Path) -> list[str]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return [d[0] for d in con.execute(f"select * exclude (_built_at) from {MODEL} limit 0").description]


def latest_build_days(db_path: Path) -> set[Any]:
    """The days whose rows the latest build wrote (the greatest `_built_at`)."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        query = f"select distinct as_of_day from {MODEL} where _built_at = (select max(_built_at) from {MODEL})"
        return {row[0] for row in con.execute(query).fetchall()}


@dataclass
class Nightly:
    columns: list[str]
    up_to_cut: list[tuple[Any, ...]]
    incremental: list[tuple[Any, ...]]
    incremental_run_sql: str
    incremental_build_days: set[Any]
    full_refresh: list[tuple[Any, ...]]
    rerun_after_tamper: list[tuple[Any, ...]]
    after_redelivery: list[tuple[Any, ...]]

    def index(self, column: str) -> int:
        return self.columns.index(column)


@pytest.fixture(scope="module")
def nightly(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nightly]:
    work_dir = tmp_path_factory.mktemp("risk_incremental")
    db_path = work_dir / "trustqa.duckdb"
    days = export_days(SAMPLE)
    select = ["--select", "+fct_user_risk_features_daily"]

    load_exports(db_path, SAMPLE, [d for d in days if d <= CUT], FIRST_LOAD)
    run_dbt(["build", *select], work_dir, db_path)
    up_to_cut = snapshot(db_path)

    load_exports(db_path, SAMPLE, [d for d in days if d > CUT], SECOND_LOAD)
    run_dbt(["build", *select], work_dir, db_path)
    incremental = snapshot(db_path)
    incremental_build_days = latest_build_days(db_path)
    run_sql = next((work_dir / "target" / "run").rglob("fct_user_risk_features_daily.sql")).read_text()

    full_dir = work_dir / "full_refresh"
    full_dir.mkdir()
    shutil.copy(db_path, full_dir / "trustqa.duckdb")
    run_dbt(
        ["run", "--full-refresh", "--select", "fct_user_risk_features_daily"], full_dir, full_dir / "trustqa.duckdb"
    )
    full_refresh = snapshot(full_dir / "trustqa.duckdb")

    with duckdb.connect(str(db_path)) as con:
        con.execute(f"update {MODEL} set tickets_opened_30d = -1 where as_of_day = ?", [TAMPERED_DAY])
    run_dbt(["run", "--select", "fct_user_risk_features_daily"], work_dir, db_path)
    rerun_after_tamper = snapshot(db_path)

    # the same bytes again, reloaded as a corrected file would be (an unchanged file is kept: docs/loading.md)
    load_exports(db_path, SAMPLE, [REDELIVERED_DAY], REDELIVERY, tables=["orders"], keep_unchanged=False)
    run_dbt(["run", "--select", "int_orders_history", "fct_user_risk_features_daily"], work_dir, db_path)
    after_redelivery = snapshot(db_path)

    yield Nightly(
        column_names(db_path),
        up_to_cut,
        incremental,
        run_sql,
        incremental_build_days,
        full_refresh,
        rerun_after_tamper,
        after_redelivery,
    )


def test_sample_has_features_on_every_day(nightly: Nightly) -> None:
    day = nightly.index("as_of_day")
    assert {row[day] for row in nightly.incremental} == set(export_days(SAMPLE))
    assert {row[day] for row in nightly.up_to_cut} == {d for d in export_days(SAMPLE) if d <= CUT}


def test_no_leakage_later_exports_leave_past_days_unchanged(nightly: Nightly) -> None:
    day = nightly.index("as_of_day")
    before = nightly.up_to_cut
    after = [row for row in nightly.incremental if row[day] <= CUT]
    assert len(before) > 1000
    assert after == before


def test_incremental_run_replaced_only_the_lookback_and_new_days(nightly: Nightly) -> None:
    # last built day 11-04, lookback 2 -> from 11-03; the new files start at 11-05
    assert "where as_of_day >= cast('2026-11-03' as date)" in nightly.incremental_run_sql


def test_the_days_the_incremental_run_rewrote_carry_its_build_stamp(nightly: Nightly) -> None:
    """The nightly gate validates these days (expectations/marts.py): the lookback from 11-03 and the new days."""
    day = nightly.index("as_of_day")
    assert nightly.incremental_build_days == {
        row[day] for row in nightly.incremental if row[day] >= dt.date(2026, 11, 3)
    }


def test_incremental_equals_full_refresh(nightly: Nightly) -> None:
    assert nightly.full_refresh == nightly.incremental


def test_rerun_with_nothing_new_changes_nothing_before_the_lookback(nightly: Nightly) -> None:
    day, tickets = nightly.index("as_of_day"), nightly.index("tickets_opened_30d")
    tampered = [row for row in nightly.rerun_after_tamper if row[day] == TAMPERED_DAY]
    assert tampered and all(row[tickets] == -1 for row in tampered)  # 11-01 was not recomputed
    untampered = [row for row in nightly.rerun_after_tamper if row[day] != TAMPERED_DAY]
    assert untampered == [row for row in nightly.incremental if row[day] != TAMPERED_DAY]


def test_redelivered_file_restates_from_its_export_day(nightly: Nightly) -> None:
    day, tickets, loaded = (nightly.index(c) for c in ("as_of_day", "tickets_opened_30d", "_inputs_loaded_at"))
    rows = nightly.after_redelivery
    assert all(row[tickets] == -1 for row in rows if row[day] == TAMPERED_DAY)  # before the file: untouched
    restated = [row for row in rows if row[day] >= REDELIVERED_DAY]
    assert {row[loaded] for row in restated} == {REDELIVERY}
    same_file_content = [row[:loaded] + row[loaded + 1 :] for row in restated]
    expected = [row[:loaded] + row[loaded + 1 :] for row in nightly.incremental if row[day] >= REDELIVERED_DAY]
    assert same_file_content == expected
