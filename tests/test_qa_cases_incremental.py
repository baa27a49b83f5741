"""int_qa_cases is incremental: a run recomputes only the cases whose inputs changed, and equals a full rebuild.

docs: the model's header (dbt_project/models/intermediate/int_qa_cases.sql).
Day 1 (loaded 2030-01-01) builds the cases; day 2 (loaded 2030-01-02) brings
changes that reach cases through each path of the rule, worked by hand:

* show s1 of u1 changes category sneakers -> comics: u1's action a1 and
  its appeal p1 become comics (a late correction to an old show);
* order o1 changes buyer u2 -> u3: u2's action a2 loses its only event
  (other), u3's action a3 gains one (electronics) - the old buyer is found
  through the order's history;
* action a2's policy changes fraud -> shill_bidding: ticket t1, related to a2, takes
  the new policy;
* appeal p2 (of a3) is decided on day 2: its closed_at is set;
* order o3 of u7, placed after u7's action a5 on day 1, is moved to before
  it on day 2: a5 takes its category (toys) - a changed event reaches the
  actions at or after the earliest time of any of its versions.

Ticket t2 (no related action) and u4's action a4 are untouched, although
day 2 also brings u4 a new order o2: placed after a4, it cannot be a4's
latest event before it, so a4 is not recomputed. The incremental run leaves
their rows as day 1 wrote them. The incremental
warehouse then equals a `--full-refresh` build of the same raw rows on every
column but the lineage. A warehouse whose int_qa_cases an earlier trustqa
built as a table (no `_inputs_loaded_at`) is upgraded in place by the next
run: every case recomputed, the same rows.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.dbt_runner import create_raw_warehouse, run_dbt

pytestmark = pytest.mark.slow

DAY1, DAY2 = dt.date(2026, 11, 9), dt.date(2026, 11, 10)
LOADED_DAY2 = "2030-01-02 12:00:00"  # day 1's rows are loaded 2030-01-01 12:00 (tests/dbt_runner.py)
ACTED_AT = "2026-11-10T12:00:00Z"
SELECT = ["run", "--select", "+int_qa_cases"]
COLUMNS = "case_type, case_id, closed_at, queue, category, category_source, policy, action_id"


def action(action_id: str, user_id: str, policy: str) -> dict[str, object]:
    return {
        "action_id": action_id,
        "user_id": user_id,
        "action_type": "warning",
        "policy": policy,
        "detection_source": "user_report",
        "decided_by": "agent",
        "created_at": ACTED_AT,
        "updated_at": ACTED_AT,
        "_export_date": DAY1,
    }


def appeal(appeal_id: str, action_id: str, user_id: str) -> dict[str, object]:
    return {
        "appeal_id": appeal_id,
        "action_id": action_id,
        "user_id": user_id,
        "submitted_at": "2026-11-10T13:00:00Z",
        "review_level": "1",
        "updated_at": "2026-11-10T13:00:00Z",
        "_export_date": DAY1,
    }


def ticket(ticket_id: int, related_action_id: str | None) -> dict[str, object]:
    return {
        "ticket_id": str(ticket_id),
        "requester_user_id": "u9",
        "channel": "email",
        "queue": "trust_safety",
        "category": "coins",
        "priority": "normal",
        "status": "open",
        "created_at": "2026-11-09T08:00:00Z",
        "related_action_id": related_action_id,
        "updated_at": "2026-11-09T08:00:00Z",
        "_export_date": DAY1,
    }


RAW = {
    "shows": [
        {
            "show_id": "s1",
            "seller_id": "u1",
            "category": "sneakers",
            "started_at": "2026-11-08T10:00:00Z",
            "updated_at": "2026-11-08T10:00:00Z",
            "_export_date": DAY1,
        }
    ],
    "orders": [
        {
            "order_id": "o1",
            "buyer_id": "u2",
            "seller_id": "u5",
            "category": "electronics",
            "amount_usd": "10.00",
            "placed_at": "2026-11-09T10:00:00Z",
            "status": "placed",
            "updated_at": "2026-11-09T10:00:00Z",
            "_export_date": DAY1,
        },
        {
            "order_id": "o3",
            "buyer_id": "u7",
            "seller_id": "u8",
            "category": "toys",
            "amount_usd": "12.00",
            "placed_at": "2026-11-10T18:00:00Z",
            "status": "placed",
            "updated_at": "2026-11-10T18:00:00Z",
            "_export_date": DAY1,
        },
    ],
    "enforcement_actions": [
        action("a1", "u1", "counterfeit"),
        action("a2", "u2", "fraud"),
        action("a3", "u3", "harassment"),
        action("a4", "u4", "counterfeit"),
        action("a5", "u7", "fraud"),
    ],
    "appeals": [appeal("p1", "a1", "u1"), appeal("p2", "a3", "u3")],
    "tickets": [ticket(1, "a2"), ticket(2, None)],
}

# day 2: new versions, each a copy of a day-1 row with some columns replaced (o2: a new order)
DAY2_VERSIONS = [
    ("shows", "show_id = 's1'", "'comics' as category, '2026-11-10T09:00:00Z' as updated_at"),
    ("orders", "order_id = 'o1'", "'u3' as buyer_id, '2026-11-10T09:00:00Z' as updated_at"),
    (
        "orders",
        "order_id = 'o1'",
        "'o2' as order_id, 'u4' as buyer_id, 'u6' as seller_id, 'comics' as category, "
        "'2026-11-10T16:00:00Z' as placed_at, '2026-11-10T16:00:00Z' as updated_at",
    ),
    ("orders", "order_id = 'o3'", "'2026-11-10T11:00:00Z' as placed_at, '2026-11-10T19:00:00Z' as updated_at"),
    ("enforcement_actions", "action_id = 'a2'", "'shill_bidding' as policy, '2026-11-10T14:00:00Z' as updated_at"),
    (
        "appeals",
        "appeal_id = 'p2'",
        "'2026-11-10T15:00:00Z' as decided_at, 'upheld' as outcome, '2026-11-10T15:00:00Z' as updated_at",
    ),
]


def deliver_day2(db: Path) -> None:
    with duckdb.connect(str(db)) as con:
        for table, which, replaced in DAY2_VERSIONS:
            con.execute(
                f"insert into raw.{table} by name select * replace ({replaced}, date '{DAY2}' as _export_date, "
                f"'{table}/{DAY2}.csv' as _source_file, timestamp '{LOADED_DAY2}' as _loaded_at) "
                f"from raw.{table} where {which}"
            )


def cases(db: Path) -> dict[tuple[str, str], tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(f"select {COLUMNS}, _inputs_loaded_at from intermediate.int_qa_cases").fetchall()
    return {(r[0], r[1]): r for r in rows}


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(incremental, rebuilt): day 1 built, day 2 delivered and built incrementally; the same raw rebuilt."""
    work = tmp_path_factory.mktemp("qa_cases_incremental")
    incremental = work / "incremental" / "trustqa.duckdb"
    incremental.parent.mkdir()
    create_raw_warehouse(incremental, RAW)
    run_dbt(SELECT, incremental.parent, incremental)
    deliver_day2(incremental)
    rebuilt = work / "rebuilt" / "trustqa.duckdb"
    rebuilt.parent.mkdir()
    shutil.copyfile(incremental, rebuilt)
    run_dbt(SELECT, incremental.parent, incremental)
    run_dbt([*SELECT, "--full-refresh"], rebuilt.parent, rebuilt)
    return incremental, rebuilt


def test_each_change_reaches_its_cases(warehouses) -> None:
    incremental, _ = warehouses
    got = {key: row[4:7] for key, row in cases(incremental).items()}  # category, category_source, policy
    assert got == {
        ("enforcement", "a1"): ("comics", "show", "counterfeit"),
        ("appeal", "p1"): ("comics", "show", "counterfeit"),
        ("enforcement", "a2"): ("other", "none", "shill_bidding"),
        ("enforcement", "a3"): ("electronics", "order", "harassment"),
        ("appeal", "p2"): ("electronics", "order", "harassment"),
        ("enforcement", "a4"): ("other", "none", "counterfeit"),
        ("enforcement", "a5"): ("toys", "order", "fraud"),
        ("ticket", "1"): ("coins", "ticket", "shill_bidding"),
        ("ticket", "2"): ("coins", "ticket", None),
    }
    assert cases(incremental)[("appeal", "p2")][2] == dt.datetime(2026, 11, 10, 15, 0)


def test_only_the_changed_cases_were_rewritten(warehouses) -> None:
    incremental, _ = warehouses
    rewritten = {key for key, row in cases(incremental).items() if row[-1] == dt.datetime(2030, 1, 2, 12, 0)}
    untouched = {key for key, row in cases(incremental).items() if row[-1] == dt.datetime(2030, 1, 1, 12, 0)}
    assert untouched == {("enforcement", "a4"), ("ticket", "2")}
    assert rewritten == {
        ("enforcement", "a1"),
        ("appeal", "p1"),
        ("enforcement", "a2"),
        ("enforcement", "a3"),
        ("appeal", "p2"),
        ("enforcement", "a5"),
        ("ticket", "1"),
    }


def test_the_incremental_rows_equal_a_full_rebuild(warehouses) -> None:
    incremental, rebuilt = warehouses
    without_lineage = [{key: row[:-1] for key, row in cases(db).items()} for db in (incremental, rebuilt)]
    assert without_lineage[0] == without_lineage[1]
    assert len(without_lineage[1]) == 9


def test_a_table_built_before_the_watermark_is_recomputed_in_place(warehouses, tmp_path) -> None:
    _, rebuilt = warehouses
    upgraded = tmp_path / "trustqa.duckdb"
    shutil.copyfile(rebuilt, upgraded)
    with duckdb.connect(str(upgraded)) as con:  # as the table model left it
        con.execute("alter table intermediate.int_qa_cases drop column _inputs_loaded_at")
    run_dbt(SELECT, tmp_path, upgraded)
    assert cases(upgraded) == cases(rebuilt)  # every case recomputed: the watermark of the latest load
