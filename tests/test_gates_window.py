"""Gates restricted to what a run could have changed (a run over a partition window).

On a copy of the sample warehouse (the session's ``trustqa materialize`` of
``seeds/``, export days 2026-09-14 .. 2026-11-14, all loaded at once and
accepted by the history tables), a few rows are broken by hand, some
inside the window 2026-11-14 (raw: rows of that export day; staging: rows
loaded after the history's latest ``_loaded_at``), some outside it. The
restricted gates (``window=``) must report exactly the rows inside, with
the right expectation; the whole-table gates (no window: ``trustqa docs``,
the bench, an unpartitioned run) must report both. The feature mart's gate
of a windowed run validates the days its latest build rewrote (the
greatest `_built_at`).
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from dagster_project.contract import TABLES_BY_NAME
from dagster_project.defs.gate_checks import GATE_CHECK_NAME, run_window
from dagster_project.gates.outcomes import FAILED, PASSED, WHOLE_TABLE, SuiteOutcome
from dagster_project.gates.validate import validate_duckdb
from expectations import all_suites, raw, staging
from expectations.suite import Window

pytestmark = pytest.mark.slow

NIGHT = Window(dt.date(2026, 11, 14), dt.date(2026, 11, 14))
FEATURES = next(s for s in all_suites() if s.name == "marts.fct_user_risk_features_daily")
RAW_ORDERS = next(s for s in all_suites() if s.name == "raw.orders")
APPEALS = next(s for s in all_suites() if s.name == "staging.stg_marketplace__appeals")
NEW = "(select max(_loaded_at) from intermediate.int_appeals_history) + interval 1 hour"


def copy_of(sample_warehouse, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    assert sample_warehouse.first_run.returncode == 0, sample_warehouse.first_run.stderr[-2000:]
    path = tmp_path_factory.mktemp(name) / "trustqa.duckdb"
    shutil.copy(sample_warehouse.path, path)
    return path


def one(con: duckdb.DuckDBPyConnection, query: str) -> str:
    return con.execute(query).fetchone()[0]


@dataclass
class Broken:
    path: Path
    order_in: str  # raw.orders, exported 11-14: updated_at set null
    order_out: str  # raw.orders, exported 11-05: updated_at set null
    order_dropped: str  # raw.orders, exported 11-14: row deleted (its file no longer reconciles)
    bogus_in: str  # stg appeals, reloaded after the history: outcome 'bogus'
    bogus_out: str  # stg appeals, loaded before: outcome 'bogus'
    duplicated: str  # stg appeals: an old row and a new copy of it
    orphan: str  # stg appeals, reloaded: action_id of no action
    resent_in: str  # raw appeals: an old version of it arrives again after the history (staging row unchanged)
    resent_out: str  # raw appeals: an old version of it arrived twice before


@pytest.fixture(scope="module")
def broken(sample_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Broken:
    path = copy_of(sample_warehouse, tmp_path_factory, "gates_window")
    with duckdb.connect(str(path)) as con:

        def order(day: str, offset: int) -> str:
            return one(
                con,
                f"select order_id from raw.orders where _export_date = date '{day}' "
                f"order by order_id limit 1 offset {offset}",
            )

        order_in, order_dropped, order_out = order("2026-11-14", 0), order("2026-11-14", 1), order("2026-11-05", 0)
        con.execute(
            "update raw.orders set updated_at = null where order_id in (?, ?) and _export_date in "
            "(date '2026-11-14', date '2026-11-05')",
            [order_in, order_out],
        )
        con.execute("delete from raw.orders where order_id = ? and _export_date = date '2026-11-14'", [order_dropped])
        # an empty day outside the window (its file said so too: reconciliation stays clean)
        con.execute("delete from raw.orders where _export_date = date '2026-11-10'")
        con.execute(
            "update audit.raw_loads set data_records = 0 where table_name = 'orders' "
            "and export_date = date '2026-11-10'"
        )

        appeals = [
            r[0]
            for r in con.execute(
                "select appeal_id from staging.stg_marketplace__appeals where outcome is not null "
                "order by appeal_id limit 4"
            ).fetchall()
        ]
        bogus_in, bogus_out, duplicated, orphan = appeals
        con.execute(
            f"update staging.stg_marketplace__appeals set outcome = 'bogus', _loaded_at = {NEW} where appeal_id = ?",
            [bogus_in],
        )
        con.execute("update staging.stg_marketplace__appeals set outcome = 'bogus' where appeal_id = ?", [bogus_out])
        con.execute(
            f"update staging.stg_marketplace__appeals set action_id = 'no-such-action', _loaded_at = {NEW} "
            "where appeal_id = ?",
            [orphan],
        )
        con.execute(
            f"insert into staging.stg_marketplace__appeals "
            f"select * replace ({NEW} as _loaded_at) from staging.stg_marketplace__appeals "
            "where appeal_id = ?",
            [duplicated],
        )
        # a version of two other appeals sent again in a file of its own (neither file's reconciliation is
        # validated here); distinct: an appeal has several raw versions
        resent_in, resent_out = [
            r[0]
            for r in con.execute(
                "select distinct appeal_id from raw.appeals where appeal_id not in (?, ?, ?, ?) "
                "order by appeal_id limit 2",
                appeals,
            ).fetchall()
        ]
        for appeal_id, loaded_at in ((resent_in, NEW), (resent_out, "_loaded_at")):
            con.execute(
                f"insert into raw.appeals select * replace ('resent.csv' as _source_file, "
                f"date '2026-11-14' as _export_date, {loaded_at} as _loaded_at) "
                "from raw.appeals where appeal_id = ? order by _export_date limit 1",
                [appeal_id],
            )
    return Broken(
        path, order_in, order_out, order_dropped, bogus_in, bogus_out, duplicated, orphan, resent_in, resent_out
    )


@pytest.fixture(scope="module")
def nightly(broken: Broken) -> dict[str, SuiteOutcome]:
    return {o.suite_name: o for o in validate_duckdb(broken.path, [RAW_ORDERS, APPEALS], window=NIGHT)}


@pytest.fixture(scope="module")
def whole(broken: Broken) -> dict[str, SuiteOutcome]:
    return {o.suite_name: o for o in validate_duckdb(broken.path, [RAW_ORDERS, APPEALS])}


def failed(outcome: SuiteOutcome) -> dict[str, object]:
    return {e.gate: e for e in outcome.expectations if not e.success}


def test_raw_rows_of_the_window_fail_the_restricted_gate(nightly, broken: Broken) -> None:
    outcome = nightly["raw.orders"]
    assert outcome.scope == "export days 2026-11-14 .. 2026-11-14"
    assert all(e.error is None for e in outcome.expectations), [e.error for e in outcome.expectations]
    assert (outcome.status, set(failed(outcome))) == (FAILED, {"updated_at not null", "reconciles with export file"})
    not_null = failed(outcome)["updated_at not null"]
    assert (not_null.unexpected_count, not_null.sample_rows) == (1, [{"order_id": broken.order_in}])
    (row,) = failed(outcome)["reconciles with export file"].sample_rows
    assert (row["source_file"].endswith("2026-11-14.csv"), row["raw_rows"], row["quarantined_rows"]) == (
        True,
        row["data_records"] - 1,
        0,
    )


def test_raw_rows_outside_the_window_are_left_to_the_whole_table_gate(whole, broken: Broken) -> None:
    outcome = whole["raw.orders"]
    assert outcome.scope == WHOLE_TABLE
    assert set(failed(outcome)) == {"updated_at not null", "reconciles with export file", "no empty day"}
    not_null = failed(outcome)["updated_at not null"]
    assert sorted(r["order_id"] for r in not_null.sample_rows) == sorted([broken.order_in, broken.order_out])
    assert failed(outcome)["no empty day"].sample_rows[0]["export_date"] == "2026-11-10"


def test_volume_of_a_window_day_is_still_compared_with_the_days_before(broken: Broken) -> None:
    """Window 11-10 (the empty day): its trailing median comes from 11-03..11-09, outside the batch."""
    (outcome,) = validate_duckdb(broken.path, [RAW_ORDERS], window=Window(dt.date(2026, 11, 10), dt.date(2026, 11, 10)))
    assert outcome.scope == "export days 2026-11-10 .. 2026-11-10"
    assert set(failed(outcome)) == {"no empty day"}
    (row,) = failed(outcome)["no empty day"].sample_rows
    assert (row["export_date"], row["row_count"]) == ("2026-11-10", 0)
    with duckdb.connect(str(broken.path), read_only=True) as con:
        median = one(
            con,
            "select median(n) from (select count(*) as n from raw.orders "
            "where _export_date between date '2026-11-03' and date '2026-11-09' group by _export_date)",
        )
    assert row["trailing_median"] == median > 50


def test_staging_rows_reloaded_in_the_run_fail_the_restricted_gate(nightly, broken: Broken) -> None:
    outcome = nightly["staging.stg_marketplace__appeals"]
    assert outcome.scope.startswith("rows loaded after ")
    assert all(e.error is None for e in outcome.expectations), [e.error for e in outcome.expectations]
    gates = failed(outcome)
    assert set(gates) == {
        "outcome accepted values",
        "appeal_id unique",
        "action_id references stg_marketplace__enforcement_actions",
        "no key re-sent with the same updated_at",
    }
    assert [e.gate for e in outcome.failed_warnings] == [
        "no key re-sent with the same updated_at",
        "action_id references stg_marketplace__enforcement_actions",
    ]
    # an old version that arrived again: its staging row did not change, the raw arrival is found
    assert [r["appeal_id"] for r in gates["no key re-sent with the same updated_at"].sample_rows] == [broken.resent_in]
    assert (gates["outcome accepted values"].unexpected_count, gates["outcome accepted values"].sample_rows) == (
        1,
        [{"appeal_id": broken.bogus_in}],
    )
    # only the new copy is in the batch; the old row is found in the whole table
    assert gates["appeal_id unique"].sample_rows == [{"appeal_id": broken.duplicated, "copies": 2}]
    orphans = gates["action_id references stg_marketplace__enforcement_actions"]
    assert orphans.sample_rows == [{"appeal_id": broken.orphan, "action_id": "no-such-action"}]
    # the share of unknown actions is over the validated rows: the orphan among the 3 reloaded rows is 33% > 5%,
    # but 1 row is fewer than the 10 it takes to block (staging.MIN_UNKNOWN_ROWS_TO_BLOCK): it passes
    (share,) = [e for e in outcome.expectations if e.gate == "unknown action_id share at most 5% or under 10 rows"]
    assert (share.blocking, share.success) == (True, True)


def test_staging_rows_outside_the_run_are_left_to_the_whole_table_gate(whole, broken: Broken) -> None:
    outcome = whole["staging.stg_marketplace__appeals"]
    assert outcome.scope == WHOLE_TABLE
    bogus = failed(outcome)["outcome accepted values"]
    assert sorted(r["appeal_id"] for r in bogus.sample_rows) == sorted([broken.bogus_in, broken.bogus_out])
    resent = failed(outcome)["no key re-sent with the same updated_at"]
    assert sorted(r["appeal_id"] for r in resent.sample_rows) == sorted([broken.resent_in, broken.resent_out])
    # the orphan is 1 of every appeal: reported, below the blocking share
    orphans = failed(outcome)["action_id references stg_marketplace__enforcement_actions"]
    assert (orphans.blocking, orphans.sample_rows) == (
        False,
        [{"appeal_id": broken.orphan, "action_id": "no-such-action"}],
    )
    assert "unknown action_id share at most 5% or under 10 rows" not in failed(outcome)


def test_a_blocked_load_is_validated_again_by_the_next_run(sample_warehouse, tmp_path_factory) -> None:
    """Day 11-05 loaded after the history's watermark (its run was blocked): the 11-14 run checks it too."""
    path = copy_of(sample_warehouse, tmp_path_factory, "gates_window_blocked")
    with duckdb.connect(str(path)) as con:
        con.execute(
            "update raw.orders set updated_at = null where order_id = "
            "(select min(order_id) from raw.orders where _export_date = date '2026-11-05') "
            "and _export_date = date '2026-11-05'"
        )
        con.execute(
            "update audit.raw_loads set loaded_at = loaded_at + interval 1 hour "
            "where table_name = 'orders' and export_date = date '2026-11-05'"
        )
    (outcome,) = validate_duckdb(path, [RAW_ORDERS], window=NIGHT)
    assert outcome.scope == "export days 2026-11-05 .. 2026-11-14"
    assert set(failed(outcome)) == {"updated_at not null"}


def test_a_clean_warehouse_passes_restricted(sample_warehouse) -> None:
    outcomes = validate_duckdb(sample_warehouse.path, [RAW_ORDERS, APPEALS], window=NIGHT)
    assert [(o.status, o.scope) for o in outcomes] == [
        (PASSED, "export days 2026-11-14 .. 2026-11-14"),
        (PASSED, outcomes[1].scope),
    ]
    # nothing was loaded after the history: no staging row to validate, and that passes
    assert outcomes[1].scope.startswith("rows loaded after ")


def test_without_history_staging_is_validated_whole() -> None:
    """First run on an empty warehouse: the history table does not exist yet."""
    table = TABLES_BY_NAME["appeals"]
    assert staging.restrict(table, APPEALS, NIGHT, lambda query: None) is None


def test_days_to_validate_widen_the_window_to_unaccepted_loads() -> None:
    table = TABLES_BY_NAME["orders"]
    answers = {
        "max(_loaded_at)": (dt.datetime(2026, 11, 15, 3, 0, 0, 120000),),
        "min(export_date)": (dt.date(2026, 11, 12), dt.date(2026, 11, 13)),
    }
    queries = []

    def lookup(query: str):
        queries.append(query)
        return next(row for key, row in answers.items() if key in query)

    assert raw.days_to_validate(table, NIGHT, lookup) == (dt.date(2026, 11, 12), dt.date(2026, 11, 14))
    assert "intermediate.int_orders_history" in queries[0]
    assert "loaded_at > cast('2026-11-15 03:00:00.120000' as timestamp)" in queries[1]
    answers["min(export_date)"] = (None, None)
    assert raw.days_to_validate(table, NIGHT, lookup) == (NIGHT.first, NIGHT.last)


@pytest.mark.parametrize(
    ("tags", "window"),
    [
        ({"dagster/partition": "2026-11-14"}, NIGHT),
        (
            {"dagster/asset_partition_range_start": "2026-11-01", "dagster/asset_partition_range_end": "2026-11-14"},
            Window(dt.date(2026, 11, 1), dt.date(2026, 11, 14)),
        ),
        ({}, None),
        ({"dagster/partition": "not-a-day"}, None),
    ],
)
def test_run_window_from_tags(tags: dict[str, str], window: Window | None) -> None:
    assert run_window(tags) == window


def test_the_checks_of_a_run_report_their_scope(sample_warehouse) -> None:
    """The sample's run (range 09-14..11-14, empty warehouse): raw by export days; staging whole (no history
    yet); the feature mart by its build (all of it, here); the other marts whole."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(sample_warehouse.dagster_home)) as instance:
        scopes = {}
        for suite in all_suites():
            key = dg.AssetCheckKey(dg.AssetKey(list(suite.asset_key_path)), GATE_CHECK_NAME)
            (record,) = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
            evaluation = record.event.dagster_event.event_specific_data
            scopes[suite.name] = evaluation.metadata["scope"].value
    assert scopes["raw.orders"] == "export days 2026-09-14 .. 2026-11-14"
    assert scopes.pop(FEATURES.name).startswith("rows written by the build of ")
    assert {scopes[s.name] for s in all_suites() if s.layer != "raw" and s.name in scopes} == {WHOLE_TABLE}


REBUILT = "(select max(_built_at) from marts.fct_user_risk_features_daily) + interval 1 hour"


@pytest.fixture(scope="module")
def features(sample_warehouse, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The feature mart with 11-13 and 11-14 rewritten by a later build, a rate out of bounds in each half."""
    path = copy_of(sample_warehouse, tmp_path_factory, "gates_window_features")
    with duckdb.connect(str(path)) as con:
        con.execute(
            f"update marts.fct_user_risk_features_daily set _built_at = {REBUILT} where as_of_day >= '2026-11-13'"
        )

        def user(day: str) -> str:
            return one(
                con,
                f"select user_id from marts.fct_user_risk_features_daily where as_of_day = date '{day}' "
                "order by user_id limit 1",
            )

        rewritten, old = user("2026-11-14"), user("2026-11-05")
        for day, user_id in (("2026-11-14", rewritten), ("2026-11-05", old)):
            con.execute(
                "update marts.fct_user_risk_features_daily set seller_cancel_rate_30d = 2 "
                "where as_of_day = ? and user_id = ?",
                [day, user_id],
            )
    return path, rewritten, old


def test_the_feature_mart_gate_of_a_nightly_validates_the_days_its_build_rewrote(features) -> None:
    path, rewritten, old = features
    (nightly,) = validate_duckdb(path, [FEATURES], window=NIGHT)
    assert nightly.scope.startswith("rows written by the build of ")
    assert all(e.error is None for e in nightly.expectations), [e.error for e in nightly.expectations]
    assert set(failed(nightly)) == {"seller_cancel_rate_30d in 0..1"}
    out_of_bounds = failed(nightly)["seller_cancel_rate_30d in 0..1"]
    assert [r["user_id"] for r in out_of_bounds.sample_rows] == [rewritten]

    (whole,) = validate_duckdb(path, [FEATURES])
    assert whole.scope == WHOLE_TABLE
    out_of_bounds = failed(whole)["seller_cancel_rate_30d in 0..1"]
    assert sorted(r["user_id"] for r in out_of_bounds.sample_rows) == sorted({rewritten, old})
