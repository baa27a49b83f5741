"""dbt tests on the incremental models: in a windowed run, the keys or days the run rewrote; otherwise everything.

macros/tests/get_where_subquery.sql turns the `__rebuilt_keys__` placeholder
(dbt_project.yml, every intermediate and marts test) into "rows with the
model's greatest _built_at" when the run has a partition window and the model
opts in (the histories rewrite every version of a key they touch, so these
rows are whole histories).

A small warehouse: orders 1 and 2 exported on day 1, a new version of order 2
on day 2, built once without and once with the day-2 window. Then a duplicate
row is planted, for a key the day-2 run did not touch and for one it did.

The staging models (delete+insert, one row per key) are scoped the same way
in a Dagster run, which sets TRUSTQA_DBT_TESTS_ON_LATEST_BUILD (the staging
step has no partition window): the same warehouse's `stg_marketplace__orders`
gets a duplicate of the untouched order and of the rewritten one.

The feature mart (strategy `replace_days`) rewrites whole days: its tests
check the rows of the greatest `_built_at`. On a copy of the sample warehouse
whose last two days carry a later build's stamp, a duplicate (as_of_day,
user_id) is planted in a rewritten day and in an older one.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import SampleWarehouse
from tests.dbt_runner import DbtFailed, create_raw_warehouse, run_dbt

pytestmark = pytest.mark.slow

# day 2 is past the late-data lookback (2 days) of day 1: the windowed run does not revisit day 1
DAY1, DAY2 = dt.date(2025, 3, 1), dt.date(2025, 3, 10)
WINDOW = ["--vars", json.dumps({"min_date": str(DAY2), "max_date": str(DAY2)})]
HISTORY = "intermediate.int_orders_history"


def _order(order_id: int, day: dt.date, updated: str, status: str = "placed", line: int = 1) -> dict:
    return {
        "order_id": str(order_id),
        "buyer_id": 10 + order_id,
        "seller_id": 20,
        "show_id": None,
        "category": "trading_cards",
        "amount_usd": "12.50",
        "placed_at": f"{DAY1}T09:00:00Z",
        "status": status,
        "cancelled_by": None,
        "payment_method": "card",
        "shipped_at": None,
        "delivered_at": None,
        "updated_at": updated,
        "_export_date": day,
        "_source_line": line,
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("rebuilt_keys")
    db = work / "trustqa.duckdb"
    create_raw_warehouse(
        db,
        {
            "orders": [
                _order(1, DAY1, f"{DAY1}T10:00:00Z", line=1),
                _order(2, DAY1, f"{DAY1}T11:00:00Z", line=2),
            ]
        },
    )
    run_dbt(["run", "--select", "+int_orders_history"], work, db)
    with duckdb.connect(str(db)) as con:  # day 2 arrives: a new version of order 2
        con.execute(
            "insert into raw.orders by name select * replace ('2' as order_id, 'shipped' as status, "
            f"'{DAY2}T08:00:00Z' as updated_at, date '{DAY2}' as _export_date, "
            f"'marketplace/orders/{DAY2}.csv' as _source_file, timestamp '2030-01-02 03:00' as _loaded_at) "
            "from raw.orders where order_id = '2'"
        )
    run_dbt(["run", "--select", "+int_orders_history", *WINDOW], work, db)
    return db


def _tampered(built: Path, tmp_path: Path, order_id: int, relation: str = HISTORY) -> Path:
    """A copy of the warehouse where a row of `order_id` appears twice (same row, same _built_at): the
    first version in the history, the current one in staging."""
    first = " and version_number = 1" if relation == HISTORY else ""
    db = tmp_path / "trustqa.duckdb"
    shutil.copyfile(built, db)
    with duckdb.connect(str(db)) as con:
        con.execute(f"insert into {relation} select * from {relation} where order_id = ?{first}", [str(order_id)])
    return db


def _test_history(db: Path, work: Path, *args: str) -> None:
    run_dbt(["test", "--select", "int_orders_history,test_type:data", *args], work, db)


def test_the_windowed_run_rewrote_only_the_key_it_touched(built: Path) -> None:
    """...and every version of it, old ones included: the rows of the greatest _built_at are whole histories."""
    with duckdb.connect(str(built), read_only=True) as con:
        stamps = {
            key: (first, last)
            for key, first, last in con.execute(
                f"select order_id, min(_built_at), max(_built_at) from {HISTORY} group by order_id"
            ).fetchall()
        }
        versions = con.execute(f"select count(*) from {HISTORY} where order_id = '2'").fetchone()[0]
    assert stamps["2"][0] == stamps["2"][1] > stamps["1"][1]
    assert versions == 2


def test_a_duplicate_in_an_untouched_key_is_left_to_the_whole_table_run(built: Path, tmp_path: Path) -> None:
    db = _tampered(built, tmp_path, order_id=1)
    _test_history(db, tmp_path, *WINDOW)  # the windowed run checks order 2 only: passes
    with pytest.raises(DbtFailed, match="unique_combination_of_columns_int_orders_history_order_id__version_number"):
        _test_history(db, tmp_path)  # no window: the whole table


def test_a_duplicate_in_a_rewritten_key_fails_the_windowed_run(built: Path, tmp_path: Path) -> None:
    db = _tampered(built, tmp_path, order_id=2)
    with pytest.raises(DbtFailed) as failed:
        _test_history(db, tmp_path, *WINDOW)
    output = str(failed.value)
    assert "FAIL 1 unique_combination_of_columns_int_orders_history_order_id__version_number" in output
    assert "valid_history_intervals_int_orders_history_order_id" in output


STAGING = "staging.stg_marketplace__orders"
STAGING_UNIQUE = "unique_stg_marketplace__orders_order_id"
PIPELINE = {"TRUSTQA_DBT_TESTS_ON_LATEST_BUILD": "true"}  # what every dbt step of a Dagster run sets


def _test_staging(db: Path, work: Path, extra_env: dict[str, str] | None = None) -> None:
    run_dbt(["test", "--select", "stg_marketplace__orders,test_type:data"], work, db, extra_env)


def test_staging_rows_carry_the_stamp_of_the_build_that_wrote_their_key(built: Path) -> None:
    with duckdb.connect(str(built), read_only=True) as con:
        stamps = dict(con.execute(f"select order_id, _built_at from {STAGING}").fetchall())
    assert stamps["2"] > stamps["1"]  # the day-2 run recomputed order 2 only (its new version)


def test_a_staging_duplicate_of_an_untouched_key_is_left_to_the_whole_table_run(built: Path, tmp_path: Path) -> None:
    db = _tampered(built, tmp_path, order_id=1, relation=STAGING)
    _test_staging(db, tmp_path, PIPELINE)  # a Dagster run's tests read order 2's row only: pass
    with pytest.raises(DbtFailed, match=f"FAIL 1 {STAGING_UNIQUE}"):
        _test_staging(db, tmp_path)  # `dbt test` by hand: the whole table


def test_a_staging_duplicate_of_a_rewritten_key_fails_the_pipeline_run(built: Path, tmp_path: Path) -> None:
    db = _tampered(built, tmp_path, order_id=2, relation=STAGING)
    with pytest.raises(DbtFailed, match=f"FAIL 1 {STAGING_UNIQUE}"):
        _test_staging(db, tmp_path, PIPELINE)


FEATURES = "marts.fct_user_risk_features_daily"
FEATURES_UNIQUE = "unique_combination_of_columns_fct_user_risk_features_daily_as_of_day__user_id"
# the nightly of the sample's last day (the fixture marks 11-13 and 11-14 as its build's days)
NIGHT = ["--vars", json.dumps({"min_date": "2026-11-14", "max_date": "2026-11-14"})]


@pytest.fixture(scope="module")
def features(sample_warehouse: SampleWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample: 11-13 and 11-14 of the feature mart rewritten by a later build, and one
    (as_of_day, user_id) row duplicated on 11-14 and one on 11-05 (each copy keeps its day's stamp)."""
    assert sample_warehouse.first_run.returncode == 0, sample_warehouse.first_run.stderr[-2000:]
    db = tmp_path_factory.mktemp("rebuilt_days") / "trustqa.duckdb"
    shutil.copyfile(sample_warehouse.path, db)
    with duckdb.connect(str(db)) as con:
        con.execute(
            f"update {FEATURES} set _built_at = (select max(_built_at) from {FEATURES}) + interval 1 hour "
            "where as_of_day >= date '2026-11-13'"
        )
        for day in ("2026-11-14", "2026-11-05"):
            con.execute(
                f"insert into {FEATURES} select * from {FEATURES} where as_of_day = date '{day}' "
                f"and user_id = (select min(user_id) from {FEATURES} where as_of_day = date '{day}')"
            )
    return db


def _test_features(db: Path, work: Path, *args: str) -> str:
    with pytest.raises(DbtFailed) as failed:
        run_dbt(["test", "--select", "fct_user_risk_features_daily,test_type:data", *args], work, db)
    return str(failed.value)


def test_the_feature_mart_tests_of_a_windowed_run_check_the_days_its_build_rewrote(
    features: Path, tmp_path: Path
) -> None:
    output = _test_features(features, tmp_path, *NIGHT)
    assert f"FAIL 1 {FEATURES_UNIQUE}" in output  # the duplicate of 11-14; 11-05's is left to the whole table
    assert "PASS=2" in output  # the row rules of the rewritten days hold


def test_the_feature_mart_tests_without_a_window_check_every_day(features: Path, tmp_path: Path) -> None:
    assert f"FAIL 2 {FEATURES_UNIQUE}" in _test_features(features, tmp_path)


def _compiled_tests(work: Path, model: str) -> dict[str, str]:
    folder = work / "target" / "compiled" / "trustqa" / "models"
    return {path.stem: path.read_text() for path in folder.rglob("*.sql") if model in path.stem}


def test_only_models_that_opt_in_are_scoped(built: Path, tmp_path: Path) -> None:
    """In a windowed compile, the history (meta tests_on_latest_build) reads its latest build's rows;
    int_qa_cases (incremental on two key columns, without the flag or `_built_at`) is tested whole."""
    selectors = ["int_orders_history,test_type:data", "int_qa_cases,test_type:data"]
    run_dbt(["compile", "--select", *selectors, *WINDOW], tmp_path, built)
    history, cases = _compiled_tests(tmp_path, "int_orders_history"), _compiled_tests(tmp_path, "int_qa_cases")
    assert history and cases
    assert all("where _built_at = (select max(latest._built_at)" in sql for sql in history.values())
    assert all("where true) dbt_subquery" in sql and "_built_at" not in sql for sql in cases.values())
