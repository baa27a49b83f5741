"""dsa_statements_of_reasons is incremental: a run recomputes only the actions whose inputs changed.

docs: docs/dsa.md "How the statements are refreshed". Day 1 (loaded
2030-01-01) builds the statements of four actions; day 2 (loaded 2030-01-02)
brings changes worked by hand:

* a2 (suspension) becomes a warning: it restricts nothing, its statement goes;
* a4 (warning, no statement) becomes a ban: it gains one;
* u1 corrects their signup day: the content_date of a1 (a ban, an account
  decision, dated by the signup) moves to the new day;
* a5 is new (a listing removal).

a3 (a listing removal of u3) is untouched: the incremental run leaves its
row as day 1 wrote it. The incremental table then equals a `--full-refresh`
of the same raw rows on every column but the lineage; a changed mapping seed
recomputes every statement.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.dbt_runner import create_raw_warehouse, run_dbt

pytestmark = pytest.mark.slow

DAY1, DAY2 = dt.date(2026, 11, 9), dt.date(2026, 11, 10)
LOADED_DAY1, LOADED_DAY2 = dt.datetime(2030, 1, 1, 12, 0), dt.datetime(2030, 1, 2, 12, 0)  # tests/dbt_runner.py
BUILD = ["build", "--select", "+dsa_statements_of_reasons", "--resource-type", "seed", "--resource-type", "model"]
COLUMNS = "puid, action_type, policy, category, content_date, application_date, end_date_account_restriction"


def action(action_id: str, user_id: str, action_type: str, policy: str) -> dict[str, object]:
    return {
        "action_id": action_id,
        "user_id": user_id,
        "action_type": action_type,
        "policy": policy,
        "detection_source": "user_report",
        "decided_by": "agent",
        "created_at": "2026-11-09T12:00:00Z",
        "updated_at": "2026-11-09T12:00:00Z",
        "_export_date": DAY1,
    }


def user(user_id: str, signup_at: str) -> dict[str, object]:
    return {"user_id": user_id, "signup_at": signup_at, "updated_at": signup_at, "_export_date": DAY1}


RAW = {
    "users": [user(f"u{i}", f"2026-01-0{i}T08:00:00Z") for i in range(1, 6)],
    "enforcement_actions": [
        action("a1", "u1", "ban", "fraud"),
        action("a2", "u2", "suspension", "harassment"),
        action("a3", "u3", "listing_removal", "counterfeit"),
        action("a4", "u4", "warning", "fraud"),
    ],
}

# day 2: new versions, each a copy of its day-1 row with some columns replaced, and one new action
DAY2_VERSIONS = [
    ("enforcement_actions", "action_id = 'a2'", "'warning' as action_type"),
    ("enforcement_actions", "action_id = 'a4'", "'ban' as action_type"),
    ("enforcement_actions", "action_id = 'a3'", "'a5' as action_id, 'u5' as user_id"),
    ("users", "user_id = 'u1'", "'2025-12-24T08:00:00Z' as signup_at"),
]


def deliver_day2(db: Path) -> None:
    with duckdb.connect(str(db)) as con:
        for table, which, replaced in DAY2_VERSIONS:
            con.execute(
                f"insert into raw.{table} by name select * replace ({replaced}, "
                f"'2026-11-10T09:00:00Z' as updated_at, date '{DAY2}' as _export_date, "
                f"'{table}/{DAY2}.csv' as _source_file, timestamp '{LOADED_DAY2}' as _loaded_at) "
                f"from raw.{table} where {which}"
            )


def statements(db: Path) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        query = f"select {COLUMNS}, _inputs_loaded_at from marts.dsa_statements_of_reasons"
        return {row[0]: row for row in con.execute(query).fetchall()}


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """incremental (day 1 built, day 2 built incrementally), rebuilt (the same raw, --full-refresh),
    remapped (the incremental one after a mapping seed changed)."""
    work = tmp_path_factory.mktemp("dsa_incremental")
    paths = {name: work / name / "trustqa.duckdb" for name in ("incremental", "rebuilt", "remapped")}
    for path in paths.values():
        path.parent.mkdir()
    incremental = paths["incremental"]
    create_raw_warehouse(incremental, RAW)
    run_dbt(BUILD, incremental.parent, incremental)
    deliver_day2(incremental)
    shutil.copyfile(incremental, paths["rebuilt"])
    run_dbt(BUILD, incremental.parent, incremental)
    run_dbt([*BUILD, "--full-refresh"], paths["rebuilt"].parent, paths["rebuilt"])
    shutil.copyfile(incremental, paths["remapped"])
    with duckdb.connect(str(paths["remapped"])) as con:
        con.execute("update reference.dsa_policy_categories set category = 'STATEMENT_CATEGORY_OTHER_VIOLATION_TC'")
    remap = ["run", "--select", "dsa_statements_of_reasons"]
    return {**paths, "remap_log": run_dbt(remap, paths["remapped"].parent, paths["remapped"])}


def test_each_change_reaches_its_statement(warehouses) -> None:
    got = {puid: row[1:5] for puid, row in statements(warehouses["incremental"]).items()}
    assert got == {
        "a1": ("ban", "fraud", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", dt.date(2025, 12, 24)),
        "a3": ("listing_removal", "counterfeit", "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS", DAY1),
        "a4": ("ban", "fraud", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", dt.date(2026, 1, 4)),
        "a5": ("listing_removal", "counterfeit", "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS", DAY1),
    }  # a2 became a warning: no statement


def test_only_the_changed_actions_were_rewritten(warehouses) -> None:
    loaded = {puid: row[-1] for puid, row in statements(warehouses["incremental"]).items()}
    assert loaded == {"a1": LOADED_DAY2, "a3": LOADED_DAY1, "a4": LOADED_DAY2, "a5": LOADED_DAY2}


def test_the_incremental_rows_equal_a_full_rebuild(warehouses) -> None:
    def without_lineage(db: Path) -> dict[str, tuple]:
        return {puid: row[:-1] for puid, row in statements(db).items()}

    assert without_lineage(warehouses["incremental"]) == without_lineage(warehouses["rebuilt"])


def test_a_changed_mapping_seed_recomputes_every_statement(warehouses) -> None:
    remapped = statements(warehouses["remapped"])
    assert {row[3] for row in remapped.values()} == {"STATEMENT_CATEGORY_OTHER_VIOLATION_TC"}
    assert set(remapped) == {"a1", "a3", "a4", "a5"}
    assert "every statement recomputed" in warehouses["remap_log"]
