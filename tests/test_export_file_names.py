"""File names the loader cannot load as named: dated in the future, not valid UTF-8; what loads around them."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from dagster_project.contract import table
from dagster_project.loading.export_files import (
    LoadableExports,
    export_days,
    future_files,
    loadable_exports,
    misnamed_files,
    table_files,
    utc_today,
)
from dagster_project.loading.loader import UnreadableExportFile, connect, load_days
from dagster_project.loading.rules import FILE_DATE_IN_FUTURE, FILE_NAME_NOT_A_DATE, RULES
from expectations.raw import _reconciliation_sql
from tests.export_builder import export_path, write_export
from tests.test_loading import GOOD_ORDER_LINE, HEADER, ORDER, TICKET

D1, D2, D3, D4 = (dt.date(2026, 11, day) for day in (1, 2, 3, 4))
TODAY = D2  # the UTC day the runs below happen on, unless a test moves it
LOADED_AT = dt.datetime(2026, 11, 2, 3, 0)
FUTURE_ORDERS = "marketplace/orders/2026-11-03.csv"


def order(day: dt.date, order_id: str = "o1") -> dict:
    stamp = f"{day}T10:00:00Z"
    return {**ORDER, "order_id": order_id, "placed_at": stamp, "updated_at": stamp}


def write_days(root: Path) -> None:
    """Orders for D1, D2 (today) and D3 (tomorrow: dated in the future); users and tickets for D2."""
    for day in (D1, D2, D3):
        write_export(root, "orders", day.isoformat(), [order(day), order(day, "o2")])
    write_export(
        root,
        "users",
        D2.isoformat(),
        [{"user_id": "u1", "is_seller": "false", "verification_status": "unverified", "updated_at": f"{D2}T08:00:00Z"}],
    )
    write_export(root, "tickets", D2.isoformat(), [TICKET])


def load(root: Path, table_name: str, days, today=TODAY, loaded_at=LOADED_AT, fast=True):
    with connect(root / "w.duckdb") as con:
        return load_days(con, table(table_name), root, list(days), loaded_at, fast=fast, today=today)


def query(root: Path, sql: str):
    with connect(root / "w.duckdb") as con:
        return con.execute(sql).fetchall()


def quarantine_rows(root: Path, table_name: str):
    return query(
        root,
        f"select _export_date, _source_file, _source_line, rule, detail, raw_text "
        f"from quarantine.{table_name} order by all",
    )


def audit_rows(root: Path, table_name: str):
    return query(
        root,
        "select export_date, source_file, data_records, loaded_rows, quarantined_rows from audit.raw_loads "
        f"where table_name = '{table_name}' order by all",
    )


def unreconciled(root: Path, table_name: str):
    """What the raw gate "reconciles with export file" reports (every loaded file: records = raw + quarantined)."""
    return query(root, _reconciliation_sql(table(table_name)).replace("{batch}", f"raw.{table_name}"))


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "judged"])
def test_a_future_dated_file_is_quarantined_and_the_other_files_load(tmp_path, fast):
    write_days(tmp_path)
    result = load(tmp_path, "orders", [D1, D2], fast=fast)
    assert result.days == [D1, D2]
    assert result.loaded == 4
    assert result.quarantined == {FILE_DATE_IN_FUTURE: 1}
    assert FILE_DATE_IN_FUTURE in RULES
    assert query(tmp_path, "select _export_date, count(*) from raw.orders group by 1 order by 1") == [(D1, 2), (D2, 2)]
    # recorded once, not read, in no day: the file and its date are named
    [(export_date, source_file, line, rule, detail, raw_text)] = quarantine_rows(tmp_path, "orders")
    assert (export_date, source_file, line, rule, raw_text) == (None, FUTURE_ORDERS, None, FILE_DATE_IN_FUTURE, None)
    assert "2026-11-03" in detail and "after the day it was found" in detail
    assert audit_rows(tmp_path, "orders") == [
        (D1, "marketplace/orders/2026-11-01.csv", 2, 2, 0),
        (D2, "marketplace/orders/2026-11-02.csv", 2, 2, 0),
        (None, FUTURE_ORDERS, 0, 0, 1),  # no export day: the volume gates never see a day in the future
    ]
    assert unreconciled(tmp_path, "orders") == []
    # the other tables of the same day load as usual
    assert load(tmp_path, "users", [D2], fast=fast).loaded == 1
    assert load(tmp_path, "tickets", [D2], fast=fast).loaded == 1
    assert quarantine_rows(tmp_path, "users") == quarantine_rows(tmp_path, "tickets") == []


def test_every_run_of_the_table_records_it_and_a_rerun_changes_nothing(tmp_path):
    write_days(tmp_path)
    load(tmp_path, "orders", [D1])  # a run of another day finds it too
    first = (quarantine_rows(tmp_path, "orders"), audit_rows(tmp_path, "orders"))
    assert [row[3] for row in first[0]] == [FILE_DATE_IN_FUTURE]
    load(tmp_path, "orders", [D1], loaded_at=LOADED_AT + dt.timedelta(hours=1))
    load(tmp_path, "orders", [D1, D2], loaded_at=LOADED_AT + dt.timedelta(hours=2))
    load(tmp_path, "orders", [D1, D2], loaded_at=LOADED_AT + dt.timedelta(hours=2))
    assert quarantine_rows(tmp_path, "orders") == first[0]
    assert audit_rows(tmp_path, "orders")[0] == first[1][0]
    assert audit_rows(tmp_path, "orders")[-1] == first[1][-1]
    assert query(tmp_path, "select count(*) from quarantine.orders")[0][0] == 1
    assert query(tmp_path, "select count(*) from audit.raw_loads where export_date is null")[0][0] == 1


def test_a_day_after_today_is_not_loaded_even_when_asked_for(tmp_path):
    write_days(tmp_path)
    result = load(tmp_path, "orders", [D2, D3])
    assert result.days == [D2]
    assert query(tmp_path, "select distinct _export_date from raw.orders") == [(D2,)]
    assert [(row[1], row[3]) for row in quarantine_rows(tmp_path, "orders")] == [(FUTURE_ORDERS, FILE_DATE_IN_FUTURE)]
    assert [row[0] for row in audit_rows(tmp_path, "orders")] == [D2, None]


def test_once_its_day_has_come_it_loads_with_its_day_and_its_record_goes(tmp_path):
    write_days(tmp_path)
    load(tmp_path, "orders", [D1, D2])
    # the next day: a run of an earlier day already drops the record (the file is no longer in the future)
    load(tmp_path, "orders", [D1], today=D3)
    assert quarantine_rows(tmp_path, "orders") == []
    assert [row[0] for row in audit_rows(tmp_path, "orders")] == [D1, D2]
    # and the run of its day loads it as an ordinary file
    result = load(tmp_path, "orders", [D3], today=D3)
    assert result.loaded == 2 and result.quarantined == {}
    assert query(tmp_path, "select _export_date, count(*) from raw.orders group by 1 order by 1") == [
        (D1, 2),
        (D2, 2),
        (D3, 2),
    ]
    assert audit_rows(tmp_path, "orders")[-1] == (D3, FUTURE_ORDERS, 2, 2, 0)
    assert unreconciled(tmp_path, "orders") == []


def test_its_day_loaded_directly_replaces_the_record(tmp_path):
    write_days(tmp_path)
    load(tmp_path, "orders", [D2])
    load(tmp_path, "orders", [D3], today=D3)
    assert quarantine_rows(tmp_path, "orders") == []
    assert audit_rows(tmp_path, "orders") == [
        (D2, "marketplace/orders/2026-11-02.csv", 2, 2, 0),
        (D3, FUTURE_ORDERS, 2, 2, 0),
    ]
    assert unreconciled(tmp_path, "orders") == []


def test_a_future_dated_file_is_never_read(tmp_path):
    """Not even an unreadable one (a dangling link) or one that is not UTF-8 stops the load of the others."""
    write_days(tmp_path)
    folder = export_path(tmp_path, "orders", D1.isoformat()).parent
    (folder / "2026-11-04.csv").symlink_to(folder / "nowhere.csv")
    (folder / "2026-11-03.csv").write_bytes(b"\xff\xfe not even CSV")
    result = load(tmp_path, "orders", [D1, D2])
    assert result.loaded == 4
    assert result.quarantined == {FILE_DATE_IN_FUTURE: 2}
    assert [(row[1], row[2], row[3]) for row in quarantine_rows(tmp_path, "orders")] == [
        (FUTURE_ORDERS, None, FILE_DATE_IN_FUTURE),
        ("marketplace/orders/2026-11-04.csv", None, FILE_DATE_IN_FUTURE),
    ]


def test_a_removed_future_dated_file_loses_its_record(tmp_path):
    write_days(tmp_path)
    load(tmp_path, "orders", [D1])
    export_path(tmp_path, "orders", D3.isoformat()).unlink()
    load(tmp_path, "orders", [D1])
    assert quarantine_rows(tmp_path, "orders") == []
    assert [row[0] for row in audit_rows(tmp_path, "orders")] == [D1]


def test_loadable_exports_leave_out_the_days_after_today(tmp_path):
    write_days(tmp_path)
    write_export(tmp_path, "tickets", D4.isoformat(), [TICKET])
    exports = loadable_exports(tmp_path, today=TODAY)
    assert isinstance(exports, LoadableExports)
    assert exports.today == TODAY
    assert exports.days == [D1, D2]
    assert [(f.relative_path, f.export_date) for f in exports.future_files] == [
        (FUTURE_ORDERS, D3),
        ("support/tickets/2026-11-04.jsonl", D4),
    ]
    assert export_days(tmp_path, through=TODAY) == [D1, D2]
    assert export_days(tmp_path) == [D1, D2, D3, D4]  # every dated file, as the generator sees its own output
    assert [f.relative_path for f in future_files(tmp_path, table("orders"), TODAY)] == [FUTURE_ORDERS]
    assert misnamed_files(tmp_path, table("orders")) == []
    # today's files are exports (today's partition exists); the default is the real UTC day
    assert loadable_exports(tmp_path, today=D3).days == [D1, D2, D3]
    assert loadable_exports(tmp_path).today == utc_today()
    assert loadable_exports(tmp_path).future_files == []  # 2026-11 is in the past of any real run


NON_UTF8_NAMES = [
    (b"\xff", "marketplace/orders/\\xff"),
    (b"\xff.csv", "marketplace/orders/\\xff.csv"),
    (b"2026-11-01\xff.csv", "marketplace/orders/2026-11-01\\xff.csv"),
    (b"caf\xe9.csv", "marketplace/orders/caf\\xe9.csv"),
]


@pytest.mark.parametrize(("name", "shown"), NON_UTF8_NAMES, ids=[n.decode("latin-1") for n, _ in NON_UTF8_NAMES])
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "judged"])
def test_a_file_name_that_is_not_utf8_is_a_bad_file_name(tmp_path, name, shown, fast):
    write_days(tmp_path)
    folder = export_path(tmp_path, "orders", D1.isoformat()).parent
    (folder / os.fsdecode(name)).write_bytes(f"{HEADER}\n{GOOD_ORDER_LINE}\n".encode())
    # finding files does not fail, and shows the name escaped
    assert shown in [f.relative_path for f in table_files(tmp_path, table("orders"))]
    assert [f.relative_path for f in misnamed_files(tmp_path, table("orders"))] == [shown]
    assert export_days(tmp_path) == [D1, D2, D3]
    assert loadable_exports(tmp_path, today=TODAY).days == [D1, D2]
    for _ in range(2):  # every run, the same
        result = load(tmp_path, "orders", [D1, D2], fast=fast)
        assert result.loaded == 4
        assert result.quarantined == {FILE_NAME_NOT_A_DATE: 1, FILE_DATE_IN_FUTURE: 1}
        rows = [row for row in quarantine_rows(tmp_path, "orders") if row[3] == FILE_NAME_NOT_A_DATE]
        assert rows == [
            (
                None,
                shown,
                2,
                FILE_NAME_NOT_A_DATE,
                "file name is not valid UTF-8 (bytes shown as \\xNN), so not <YYYY-MM-DD>.csv",
                GOOD_ORDER_LINE,
            )
        ]
        assert (None, shown, 1, 0, 1) in audit_rows(tmp_path, "orders")
        assert unreconciled(tmp_path, "orders") == []


def test_a_jsonl_file_name_that_is_not_utf8_and_empty_is_recorded_once(tmp_path):
    write_export(tmp_path, "tickets", D1.isoformat(), [TICKET])
    folder = export_path(tmp_path, "tickets", D1.isoformat()).parent
    (folder / os.fsdecode(b"\xfe\xff.jsonl")).write_bytes(b"")
    result = load(tmp_path, "tickets", [D1])
    assert result.loaded == 1
    assert [(row[1], row[2], row[3]) for row in quarantine_rows(tmp_path, "tickets")] == [
        ("support/tickets/\\xfe\\xff.jsonl", None, FILE_NAME_NOT_A_DATE)
    ]


def test_an_exports_folder_whose_path_is_not_utf8_fails_naming_it_and_changes_nothing(tmp_path):
    good = tmp_path / "good"
    write_days(good)
    load(good, "orders", [D1])
    bad = tmp_path / os.fsdecode(b"exp\xffrts")
    bad.mkdir()
    (good / "marketplace").rename(bad / "marketplace")
    with connect(good / "w.duckdb") as con:
        before = con.execute("select * from raw.orders order by all").fetchall()
        with pytest.raises(UnreadableExportFile, match=r"exp\\xffrts: the exports folder's path is not valid UTF-8"):
            load_days(con, table("orders"), bad, [D1, D2], LOADED_AT, today=TODAY)
        assert con.execute("select * from raw.orders order by all").fetchall() == before


def test_the_loader_leaves_nothing_open_on_its_connection(tmp_path):
    """No scratch schema, no temporary table (a file's text), no transaction: after a load and after a failure."""
    write_days(tmp_path)
    (export_path(tmp_path, "orders", D1.isoformat()).parent / "copy.csv").write_text(f"{HEADER}\n{GOOD_ORDER_LINE}\n")
    export_path(tmp_path, "orders", "2026-10-31").mkdir()  # a "file" that cannot be read
    with connect(tmp_path / "w.duckdb") as con:

        def leftovers():
            schemas = con.execute(
                "select schema_name from duckdb_schemas() where schema_name like '\\_loading%' escape '\\'"
            ).fetchall()
            return schemas + con.execute("select table_name from duckdb_tables() where temporary").fetchall()

        load_days(con, table("orders"), tmp_path, [D1, D2], LOADED_AT, today=TODAY)
        assert leftovers() == []
        with pytest.raises(UnreadableExportFile):
            load_days(con, table("orders"), tmp_path, [dt.date(2026, 10, 31), D1], LOADED_AT, today=TODAY)
        assert leftovers() == []
        con.execute("begin transaction")  # no transaction was left open
        con.execute("rollback")
