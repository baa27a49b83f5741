"""The generic test not_null_columns (dbt_project/tests/generic/not_null_columns.sql).

One dbt node for a model's not-null columns instead of one per column: the
same rule as dbt's not_null, counted per column. Worked by hand on three
staging orders: orders 1 and 2 lose updated_at, orders 2 and 3 export_date:
2 + 2 = 4 null values in two columns; order_id has none and is not listed.
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest

from tests.dbt_runner import DbtFailed, create_raw_warehouse, run_dbt

pytestmark = pytest.mark.slow

DAY = dt.date(2025, 3, 1)
TEST = "not_null_columns_stg_marketplace__orders"


def _order(order_id: int) -> dict:
    return {
        "order_id": str(order_id),
        "buyer_id": "b1",
        "seller_id": "s1",
        "show_id": None,
        "category": "trading_cards",
        "amount_usd": "12.50",
        "placed_at": f"{DAY}T09:00:00Z",
        "status": "placed",
        "cancelled_by": None,
        "payment_method": "card",
        "shipped_at": None,
        "delivered_at": None,
        "updated_at": f"{DAY}T10:00:00Z",
        "_export_date": DAY,
        "_source_line": order_id,
    }


def test_nulls_are_counted_per_column_and_fail_the_test(tmp_path) -> None:
    db = tmp_path / "trustqa.duckdb"
    create_raw_warehouse(db, {"orders": [_order(1), _order(2), _order(3)]})
    run_dbt(["run", "--select", "stg_marketplace__orders"], tmp_path, db)
    passed = run_dbt(["test", "--select", TEST], tmp_path, db)
    assert re.search(rf"PASS {TEST}\b", re.sub(r"\x1b\[[0-9;]*m", "", passed))

    with duckdb.connect(str(db)) as con:
        con.execute("update staging.stg_marketplace__orders set updated_at = null where order_id in ('1', '2')")
        con.execute("update staging.stg_marketplace__orders set export_date = null where order_id in ('2', '3')")
    with pytest.raises(DbtFailed) as failed:
        run_dbt(["test", "--select", TEST, "--store-failures"], tmp_path, db)
    assert "Got 4 results" in str(failed.value)  # the failure count is the number of null values
    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.execute(f"select null_column, null_values from dbt_test__audit.{TEST} order by 1").fetchall()
    assert stored == [("export_date", 2), ("updated_at", 2)]  # order_id, never null, is not listed
