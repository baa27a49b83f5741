"""A re-run keeps a day whose export file is byte for byte the one of its latest load; anything else reloads it.

docs: docs/loading.md "A day loaded again". Each case loads day 1 at FIRST,
then again at SECOND after one change worked by hand, and reads which load
time the rows carry: FIRST when the day was kept, SECOND when it was
reloaded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from pathlib import Path

from dagster_project.contract import table
from dagster_project.loading.loader import connect, load_days
from dagster_project.loading.unchanged_days import contract_sha256
from tests.export_builder import export_path, write_export
from tests.test_loading import ORDER

DAY, NEXT_DAY = dt.date(2026, 11, 1), dt.date(2026, 11, 2)
FIRST, SECOND = dt.datetime(2026, 11, 2, 3, 0), dt.datetime(2026, 11, 3, 3, 0)
ORDERS = table("orders")


def orders_file(root: Path, day: dt.date = DAY, *, status: str = "placed") -> None:
    write_export(
        root,
        "orders",
        str(day),
        [ORDER, {**ORDER, "order_id": "o2", "status": status}, {**ORDER, "order_id": "o3", "amount_usd": "ten"}],
    )


def load(root: Path, loaded_at: dt.datetime, days=(DAY,), orders=ORDERS, **options):
    with connect(root / "w.duckdb") as con:
        return load_days(con, orders, root, list(days), loaded_at, **options)


def state(root: Path) -> tuple[list, list, list]:
    """(raw rows: order, status, load time), (quarantine: line, rule, load time), (audit: day, file, load time)."""
    with connect(root / "w.duckdb") as con:
        return (
            con.execute("select order_id, status, _loaded_at from raw.orders order by all").fetchall(),
            con.execute("select _source_line, rule, _loaded_at from quarantine.orders order by all").fetchall(),
            con.execute("select export_date, source_file, loaded_at from audit.raw_loads order by all").fetchall(),
        )


def execute(root: Path, sql: str) -> None:
    with connect(root / "w.duckdb") as con:
        con.execute(sql)


def test_an_unchanged_day_is_kept_with_its_load_time_and_its_result(tmp_path: Path) -> None:
    orders_file(tmp_path)
    first = load(tmp_path, FIRST)
    before = state(tmp_path)
    again = load(tmp_path, SECOND)
    assert state(tmp_path) == before  # nothing rewritten: every row still says FIRST
    assert [row[-1] for row in before[0]] == [FIRST, FIRST]  # o1, o2 loaded; o3 ("ten") quarantined
    (kept,) = again.files
    assert kept.kept_from == FIRST and again.unchanged == [kept]
    # the same figures the first load gave: 3 records, 2 loaded, 1 quarantined as wrong_type
    assert (kept.source_file, kept.data_records, kept.loaded, kept.quarantined) == (
        "marketplace/orders/2026-11-01.csv",
        3,
        2,
        Counter({"wrong_type": 1}),
    )
    assert [(f.loaded, f.quarantined, f.data_records) for f in first.files] == [(2, Counter({"wrong_type": 1}), 3)]


def test_a_changed_file_reloads_its_day(tmp_path: Path) -> None:
    orders_file(tmp_path)
    load(tmp_path, FIRST)
    orders_file(tmp_path, status="shipped")  # o2's status changed: other bytes, same size class
    result = load(tmp_path, SECOND)
    raw, quarantine, audit = state(tmp_path)
    assert raw == [("o1", "placed", SECOND), ("o2", "shipped", SECOND)]
    assert quarantine == [(4, "wrong_type", SECOND)]
    assert audit == [(DAY, "marketplace/orders/2026-11-01.csv", SECOND)]
    assert result.unchanged == []


def test_only_the_changed_day_of_several_is_reloaded(tmp_path: Path) -> None:
    orders_file(tmp_path)
    orders_file(tmp_path, NEXT_DAY)
    load(tmp_path, FIRST, days=(DAY, NEXT_DAY))
    orders_file(tmp_path, NEXT_DAY, status="shipped")
    result = load(tmp_path, SECOND, days=(DAY, NEXT_DAY))
    with connect(tmp_path / "w.duckdb") as con:
        times = con.execute(
            "select _export_date, min(_loaded_at), max(_loaded_at) from raw.orders group by 1 order by 1"
        )
        assert times.fetchall() == [(DAY, FIRST, FIRST), (NEXT_DAY, SECOND, SECOND)]
    assert [f.kept_from for f in result.files] == [FIRST, None]


def test_rows_missing_from_raw_reload_the_day(tmp_path: Path) -> None:
    orders_file(tmp_path)
    load(tmp_path, FIRST)
    execute(tmp_path, "delete from raw.orders where order_id = 'o1'")
    load(tmp_path, SECOND)
    assert state(tmp_path)[0] == [("o1", "placed", SECOND), ("o2", "placed", SECOND)]


def test_a_deleted_audit_row_forces_the_reload(tmp_path: Path) -> None:
    orders_file(tmp_path)
    load(tmp_path, FIRST)
    execute(tmp_path, "delete from audit.raw_loads where export_date = date '2026-11-01'")
    load(tmp_path, SECOND)
    assert {row[-1] for row in state(tmp_path)[0]} == {SECOND}


def test_a_load_without_digests_is_reloaded(tmp_path: Path) -> None:
    """A warehouse written before the digests: its audit rows have none, so every day is loaded again once."""
    orders_file(tmp_path)
    load(tmp_path, FIRST)
    execute(tmp_path, "update audit.raw_loads set file_sha256 = null, contract_sha256 = null")
    load(tmp_path, SECOND)
    assert {row[-1] for row in state(tmp_path)[0]} == {SECOND}


def test_a_changed_contract_reloads_every_day(tmp_path: Path) -> None:
    """A new accepted value of status: the digest changes, so the file is judged again under the new rules."""
    orders_file(tmp_path)
    load(tmp_path, FIRST)
    status = next(c for c in ORDERS.columns if c.name == "status")
    widened = dataclasses.replace(status, values=(*status.values, "on_hold"))
    orders = dataclasses.replace(ORDERS, columns=tuple(widened if c is status else c for c in ORDERS.columns))
    assert contract_sha256(orders) != contract_sha256(ORDERS)
    load(tmp_path, SECOND, orders=orders)
    assert {row[-1] for row in state(tmp_path)[0]} == {SECOND}


def test_a_day_still_without_a_file_is_kept_and_a_file_that_arrives_loads(tmp_path: Path) -> None:
    orders_file(tmp_path)
    load(tmp_path, FIRST, days=(DAY, NEXT_DAY))  # NEXT_DAY has no file yet: an audit row with no file
    load(tmp_path, SECOND, days=(DAY, NEXT_DAY))
    assert state(tmp_path)[2] == [(DAY, "marketplace/orders/2026-11-01.csv", FIRST), (NEXT_DAY, None, FIRST)]
    orders_file(tmp_path, NEXT_DAY)
    load(tmp_path, SECOND, days=(DAY, NEXT_DAY))
    assert state(tmp_path)[2] == [
        (DAY, "marketplace/orders/2026-11-01.csv", FIRST),
        (NEXT_DAY, "marketplace/orders/2026-11-02.csv", SECOND),
    ]


def test_a_file_that_went_away_reloads_its_day_as_empty(tmp_path: Path) -> None:
    orders_file(tmp_path)
    load(tmp_path, FIRST)
    export_path(tmp_path, "orders", "2026-11-01").unlink()
    load(tmp_path, SECOND)
    raw, quarantine, audit = state(tmp_path)
    assert (raw, quarantine, audit) == ([], [], [(DAY, None, SECOND)])


def test_keep_unchanged_false_reloads_every_day(tmp_path: Path) -> None:
    """What the Snowflake push asks for: it replaces the days in Snowflake with the rows of this load."""
    orders_file(tmp_path)
    load(tmp_path, FIRST)
    load(tmp_path, SECOND, keep_unchanged=False)
    assert {row[-1] for row in state(tmp_path)[0]} == {SECOND}


def test_the_contract_digest_is_the_same_in_every_process() -> None:
    """sha256 of fixed text (no set order or object address in it): a fresh interpreter gets the same digest."""
    import subprocess
    import sys

    code = "from dagster_project.contract import table; from dagster_project.loading.unchanged_days import "
    code += "contract_sha256; print(contract_sha256(table('orders')))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert other.stdout.strip() == contract_sha256(ORDERS)
