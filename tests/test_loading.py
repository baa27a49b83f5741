"""Raw loading: known rows load exactly, reloads replace, bad input is quarantined with file, line and rule."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

from dagster_project.contract import TABLES, table
from dagster_project.loading.fast_path import CleanCandidate, clean_insert_sql, keeps_reader_order
from dagster_project.loading.loader import UnreadableExportFile, connect, load_days
from dagster_project.loading.raw_schema import create_schemas_sql
from dagster_project.loading.rules import RULES
from tests.export_builder import csv_text, export_path, jsonl_text, write_export

DAY = dt.date(2026, 11, 1)
LOADED_AT = dt.datetime(2026, 11, 2, 3, 0)

ORDER = {
    "order_id": "o1",
    "buyer_id": "u1",
    "seller_id": "u2",
    "show_id": "s1",
    "category": "sneakers",
    "amount_usd": "10.50",
    "placed_at": "2026-11-01T10:00:00Z",
    "status": "placed",
    "payment_method": "card",
    "updated_at": "2026-11-01T10:00:00Z",
}
TICKET = {
    "ticket_id": 7,
    "requester_user_id": "u1",
    "subject": "Where is my order?",
    "description": "Please mail me at a@example.com",
    "channel": "chat",
    "queue": "general",
    "category": "sneakers",
    "priority": "normal",
    "status": "new",
    "tags": ["shipping", "vip"],
    "created_at": "2026-11-01T09:00:00-05:00",
    "updated_at": "2026-11-01T09:00:00.250-05:00",
}


def load(root: Path, table_name: str, days=(DAY,)):
    with connect(root / "w.duckdb") as con:
        return load_days(con, table(table_name), root, list(days), LOADED_AT)


def query(root: Path, sql: str):
    with connect(root / "w.duckdb") as con:
        return con.execute(sql).fetchall()


def quarantined(root: Path, table_name: str):
    return query(root, f"select _source_line, rule from quarantine.{table_name} order by _source_file, _source_line")


def test_known_rows_load_exactly(tmp_path):
    write_export(
        tmp_path,
        "users",
        "2026-11-01",
        [
            {
                "user_id": "u1",
                "email": "a@example.com",
                "display_name": 'Ann "the, seller"',
                "country": "US",
                "signup_at": "2026-10-01T08:00:00+02:00",
                "is_seller": "true",
                "seller_tier": "top",
                "verification_status": "id_verified",
                "updated_at": "2026-11-01T08:00:00+02:00",
            },
            {
                "user_id": "u2",
                "display_name": "two\nlines",
                "is_seller": "false",
                "verification_status": "unverified",
                "updated_at": "2026-11-01T23:59:59.999999Z",
            },
        ],
    )
    write_export(tmp_path, "tickets", "2026-11-01", [TICKET, {**TICKET, "ticket_id": 8, "tags": None}])

    assert load(tmp_path, "users").loaded == 2
    assert load(tmp_path, "tickets").loaded == 2

    users = query(
        tmp_path,
        "select user_id, display_name, country, is_seller, seller_tier, signup_at, "
        "_export_date, _source_file, _source_line, _loaded_at from raw.users order by user_id",
    )
    assert users == [
        (
            "u1",
            'Ann "the, seller"',
            "US",
            True,
            "top",
            "2026-10-01T08:00:00+02:00",
            DAY,
            "marketplace/users/2026-11-01.csv",
            2,
            LOADED_AT,
        ),
        # the multi-line display name makes u2's record start on physical line 3
        ("u2", "two\nlines", None, False, None, None, DAY, "marketplace/users/2026-11-01.csv", 3, LOADED_AT),
    ]
    tickets = query(
        tmp_path, "select ticket_id, tags, created_at, updated_at, _source_line from raw.tickets order by 1"
    )
    assert tickets == [
        (7, '["shipping","vip"]', "2026-11-01T09:00:00-05:00", "2026-11-01T09:00:00.250-05:00", 1),
        (8, None, "2026-11-01T09:00:00-05:00", "2026-11-01T09:00:00.250-05:00", 2),
    ]
    assert query(tmp_path, "select count(*) from quarantine.users")[0][0] == 0


def test_reloading_a_day_replaces_it(tmp_path):
    write_export(tmp_path, "orders", "2026-11-01", [ORDER, {**ORDER, "order_id": "o2", "amount_usd": "3"}])
    write_export(
        tmp_path, "orders", "2026-11-02", [{**ORDER, "status": "shipped", "updated_at": "2026-11-02T01:00:00Z"}]
    )
    load(tmp_path, "orders", [DAY, DAY + dt.timedelta(days=1)])
    load(tmp_path, "orders", [DAY])  # same day again: no duplicates
    assert query(tmp_path, "select _export_date, order_id, amount_usd from raw.orders order by 1, 2") == [
        (DAY, "o1", Decimal("10.50")),
        (DAY, "o2", Decimal("3.00")),
        (DAY + dt.timedelta(days=1), "o1", Decimal("10.50")),
    ]
    # the file of day 1 is corrected: reloading day 1 replaces its rows, day 2 is untouched
    write_export(tmp_path, "orders", "2026-11-01", [{**ORDER, "amount_usd": "11.00"}])
    load(tmp_path, "orders", [DAY])
    assert query(tmp_path, "select _export_date, order_id, amount_usd from raw.orders order by 1, 2") == [
        (DAY, "o1", Decimal("11.00")),
        (DAY + dt.timedelta(days=1), "o1", Decimal("10.50")),
    ]


GOOD_ORDER_LINE = csv_text("orders", [ORDER]).splitlines()[1]
HEADER = csv_text("orders", []).strip()


def order_line(**changes) -> str:
    return csv_text("orders", [{**ORDER, **changes}]).splitlines()[1]


def ticket_line(**changes) -> str:
    return jsonl_text("tickets", [{**TICKET, **changes}]).strip()


# (name, table, file name, file bytes, expected quarantine [(line, rule)], rows loaded)
BAD_INPUT = [
    (
        "unparseable CSV row",
        "orders",
        "2026-11-01.csv",
        f'{HEADER}\n{GOOD_ORDER_LINE}\no9,u1,"u2"x,s1\n'.encode(),
        [(3, "unparseable_row")],
        1,
    ),
    (
        "unparseable JSON line",
        "tickets",
        "2026-11-01.jsonl",
        f'{ticket_line()}\n{{"ticket_id": 8,\n'.encode(),
        [(2, "unparseable_row")],
        1,
    ),
    (
        "CSV row missing a column",
        "orders",
        "2026-11-01.csv",
        f"{HEADER}\n{GOOD_ORDER_LINE}\n{order_line(order_id='o2').rsplit(',', 1)[0]}\n".encode(),
        [(3, "missing_column")],
        1,
    ),
    (
        "CSV row with an extra column",
        "orders",
        "2026-11-01.csv",
        f"{HEADER}\n{order_line(order_id='o2')},x\n{GOOD_ORDER_LINE}\n".encode(),
        [(2, "extra_column")],
        1,
    ),
    (
        "JSON object missing a field",
        "tickets",
        "2026-11-01.jsonl",
        f'{ticket_line()}\n{{"ticket_id": 9, "updated_at": "2026-11-01T10:00:00Z"}}\n'.encode(),
        [(2, "missing_column")],
        1,
    ),
    (
        "JSON object with an extra field",
        "tickets",
        "2026-11-01.jsonl",
        f'{ticket_line()[:-1]}, "mood": "ok"}}\n{ticket_line(ticket_id=9)}\n'.encode(),
        [(1, "extra_column")],
        1,
    ),
    (
        "CSV wrong type",
        "orders",
        "2026-11-01.csv",
        f"{HEADER}\n{order_line(order_id='o2', amount_usd='12.345')}\n{GOOD_ORDER_LINE}\n".encode(),
        [(2, "wrong_type")],
        1,
    ),
    (
        "JSON wrong type (integer as string)",
        "tickets",
        "2026-11-01.jsonl",
        f"{ticket_line(ticket_id='9')}\n{ticket_line()}\n".encode(),
        [(1, "wrong_type")],
        1,
    ),
    (
        "unknown enum value",
        "orders",
        "2026-11-01.csv",
        f"{HEADER}\n{GOOD_ORDER_LINE}\n{order_line(order_id='o2', status='lost')}\n".encode(),
        [(3, "unknown_enum")],
        1,
    ),
    (
        "timestamp without offset",
        "tickets",
        "2026-11-01.jsonl",
        f"{ticket_line(created_at='2026-11-01T09:00:00')}\n{ticket_line(ticket_id=9)}\n".encode(),
        [(1, "timestamp_without_offset")],
        1,
    ),
    (
        "null key",
        "orders",
        "2026-11-01.csv",
        f"{HEADER}\n{order_line(order_id=None)}\n{GOOD_ORDER_LINE}\n".encode(),
        [(2, "null_key")],
        1,
    ),
    (
        "null updated_at",
        "tickets",
        "2026-11-01.jsonl",
        f"{ticket_line()}\n{ticket_line(ticket_id=9, updated_at=None)}\n".encode(),
        [(2, "null_updated_at")],
        1,
    ),
    (
        "updated_at after the end of the file's day",
        "orders",
        "2026-11-01.csv",
        f"{HEADER}\n{GOOD_ORDER_LINE}\n{order_line(order_id='o2', updated_at='2026-11-01T20:00:00-04:00')}\n".encode(),
        [(3, "updated_at_after_file_day")],
        1,
    ),
    (
        "duplicate key inside one file: every such row",
        "orders",
        "2026-11-01.csv",
        f"{HEADER}\n{order_line(order_id='o2')}\n{GOOD_ORDER_LINE}\n{order_line(order_id='o2', status='shipped')}\n".encode(),
        [(2, "duplicate_key_in_file"), (4, "duplicate_key_in_file")],
        1,
    ),
    (
        "file whose name is not a date: each data line",
        "orders",
        "2026-11-31.csv",
        f"{HEADER}\n{GOOD_ORDER_LINE}\n{order_line(order_id='o2')}\n".encode(),
        [(2, "file_name_not_a_date"), (3, "file_name_not_a_date")],
        0,
    ),
    (
        "file whose name is not a date, with no data lines: recorded once",
        "tickets",
        "latest.jsonl",
        b"",
        [(None, "file_name_not_a_date")],
        0,
    ),
    (
        "file dated in the future: recorded once, not read",
        "orders",
        "2999-01-01.csv",
        f"{HEADER}\n{GOOD_ORDER_LINE}\n".encode(),
        [(None, "file_date_in_future")],
        0,
    ),
    (
        "truncated last line",
        "orders",
        "2026-11-01.csv",
        f"{HEADER}\n{GOOD_ORDER_LINE}\n{order_line(order_id='o2')[:-9]}".encode(),
        [(3, "truncated_last_line")],
        1,
    ),
    (
        "truncated last JSON line",
        "tickets",
        "2026-11-01.jsonl",
        f"{ticket_line()}\n{ticket_line(ticket_id=9)[:-20]}".encode(),
        [(2, "truncated_last_line")],
        1,
    ),
    (
        "file that is not UTF-8: each data line",
        "orders",
        "2026-11-01.csv",
        f"{HEADER}\n{GOOD_ORDER_LINE}\n".encode()
        + order_line(order_id="o2", show_id="caf\xe9").encode("latin-1")
        + b"\n",
        [(2, "not_utf8"), (3, "not_utf8")],
        0,
    ),
    (
        "CSV header missing a column: each data line",
        "orders",
        "2026-11-01.csv",
        (HEADER.replace(",payment_method", "") + "\n" + GOOD_ORDER_LINE + "\n").encode(),
        [(2, "header_mismatch")],
        0,
    ),
]


@pytest.mark.parametrize(
    ("case", "table_name", "file_name", "content", "expected", "loaded"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_is_quarantined_with_its_rule(tmp_path, case, table_name, file_name, content, expected, loaded):
    path = export_path(tmp_path, table_name, "2026-11-01").with_name(file_name)
    path.write_bytes(content)
    result = load(tmp_path, table_name)
    assert quarantined(tmp_path, table_name) == expected
    assert set(result.quarantined) == {rule for _, rule in expected} <= set(RULES)  # every rule is documented
    assert query(tmp_path, f"select count(*) from raw.{table_name}")[0][0] == loaded == result.loaded
    files = query(tmp_path, f"select distinct _source_file from quarantine.{table_name}")
    assert files == [(path.relative_to(tmp_path).as_posix(),)]
    # detail and raw text say what was wrong and keep the line (nothing is lost)
    details = query(tmp_path, f"select detail, raw_text from quarantine.{table_name} where _source_line is not null")
    for detail, raw_text in details:
        assert detail and raw_text
    # a second load of the same day changes nothing
    load(tmp_path, table_name)
    assert quarantined(tmp_path, table_name) == expected


def test_quarantine_detail_names_the_value(tmp_path):
    export_path(tmp_path, "orders", "2026-11-01").write_text(
        f"{HEADER}\n{order_line(status='lost')}\n", encoding="utf-8"
    )
    load(tmp_path, "orders")
    [(rule, detail, raw_text)] = query(tmp_path, "select rule, detail, raw_text from quarantine.orders")
    assert rule == "unknown_enum"
    assert "status='lost' not in (placed, shipped, delivered, cancelled, refunded)" in detail
    assert raw_text == order_line(status="lost")


def test_valid_oddities_load(tmp_path):
    """A byte-order mark, CRLF line ends, blank lines and an empty file are all valid."""
    export_path(tmp_path, "orders", "2026-11-01").write_bytes(
        b"\xef\xbb\xbf" + f"{HEADER}\r\n\r\n{GOOD_ORDER_LINE}\r\n\r\n".encode()
    )
    export_path(tmp_path, "tickets", "2026-11-01").write_bytes(f"\n{ticket_line()}\r\n\n".encode())
    export_path(tmp_path, "users", "2026-11-01").write_bytes(b"")
    assert load(tmp_path, "orders").loaded == 1
    assert load(tmp_path, "tickets").loaded == 1
    assert load(tmp_path, "users").loaded == 0
    assert query(tmp_path, "select _source_line from raw.orders") == [(3,)]
    assert query(tmp_path, "select _source_line from raw.tickets") == [(2,)]
    for name in ("orders", "tickets", "users"):
        assert quarantined(tmp_path, name) == []


def test_lines_after_a_stray_quote_and_a_multi_line_record(tmp_path):
    """A quote inside an unquoted field (read as text) does not shift the lines of the records after it."""
    multi_line = csv_text("orders", [{**ORDER, "order_id": "o_multi", "show_id": "s1\nsecond line"}]).split("\n", 1)[1]
    stray_quote = order_line(order_id="o2", show_id='a"b', status="lost")
    missing = order_line(order_id="o3").rsplit(",", 1)[0]
    export_path(tmp_path, "orders", "2026-11-01").write_text(
        f"{HEADER}\n{GOOD_ORDER_LINE}\n{stray_quote}\n{multi_line}{missing}\n{order_line(order_id='o4')}\n"
    )
    load(tmp_path, "orders")
    assert query(tmp_path, "select _source_line, order_id from raw.orders order by 1") == [
        (2, "o1"),
        (4, "o_multi"),
        (7, "o4"),
    ]
    assert query(tmp_path, "select _source_line, rule, raw_text from quarantine.orders order by 1") == [
        (3, "unknown_enum", stray_quote),
        (6, "missing_column", missing),
    ]


def test_a_file_name_that_is_not_utf8_is_quarantined(tmp_path):
    name = os.fsdecode(b"caf\xe9.csv")  # DuckDB cannot open this path: Python reads the file
    (export_path(tmp_path, "orders", "2026-11-01").parent / name).write_text(f"{HEADER}\n{GOOD_ORDER_LINE}\n")
    assert load(tmp_path, "orders").quarantined == {"file_name_not_a_date": 1}
    assert query(tmp_path, "select _source_file, _source_line, rule, raw_text from quarantine.orders") == [
        ("marketplace/orders/caf\\xe9.csv", 2, "file_name_not_a_date", GOOD_ORDER_LINE)
    ]


def test_unreadable_file_fails_the_partition_and_changes_nothing(tmp_path):
    write_export(tmp_path, "orders", "2026-11-01", [ORDER])
    load(tmp_path, "orders")
    export_path(tmp_path, "orders", "2026-11-02").mkdir()  # a "file" that cannot be read
    write_export(tmp_path, "orders", "2026-11-01", [ORDER, {**ORDER, "order_id": "o2"}])
    with pytest.raises(UnreadableExportFile, match=r"marketplace/orders/2026-11-02\.csv: cannot read export file"):
        load(tmp_path, "orders", [DAY, DAY + dt.timedelta(days=1)])
    assert query(tmp_path, "select order_id from raw.orders") == [("o1",)]  # rolled back: day 1 as before


def test_batching_does_not_change_what_loads(tmp_path):
    """Files judged one per batch or all in one batch give the same rows, lines and quarantine.

    The days mix the shapes the loader numbers differently: one record per
    line (numbered by position), a quoted field spanning two lines, blank
    lines, a rejected record, a value-rule failure, and a cut-off last line.
    """
    day = lambda i: (DAY + dt.timedelta(days=i)).isoformat()  # noqa: E731
    multi_line = csv_text(
        "orders", [{**ORDER, "order_id": "o_multi", "show_id": "s1\nsecond line"}, {**ORDER, "order_id": "o_after"}]
    )
    files = {
        day(0): f"{HEADER}\n{GOOD_ORDER_LINE}\n{order_line(order_id='o2')}\n",
        day(1): multi_line,
        day(2): f"{HEADER}\n\n{order_line(order_id='o3')}\n\n{order_line(order_id='o4')}\n",
        day(3): f'{HEADER}\n{order_line(order_id="o5")}\no9,u1,"u2"x,s1\n{order_line(order_id="o6")}\n',
        day(4): f"{HEADER}\n{order_line(order_id='o7', status='lost')}\n{order_line(order_id='o8')}\n",
        day(5): f"{HEADER}\n{order_line(order_id='o10')}\n{order_line(order_id='o11')}",
    }
    for name, text in files.items():
        export_path(tmp_path, "orders", name).write_text(text)
    days = [DAY + dt.timedelta(days=i) for i in range(len(files))]

    one_per_batch = _full_state(tmp_path / "one", tmp_path, "orders", days, batch_bytes=1, fast_batch_bytes=1)
    all_in_one = _full_state(tmp_path / "all", tmp_path, "orders", days, batch_bytes=1 << 30, fast_batch_bytes=1 << 30)
    assert one_per_batch == all_in_one
    rows = query(tmp_path / "all", "select _source_file, _source_line, order_id, show_id from raw.orders order by all")
    bad = query(
        tmp_path / "all", "select _source_file, _source_line, rule, raw_text from quarantine.orders order by all"
    )
    lines = {(f.rsplit("/", 1)[1][:10], line, order) for f, line, order, _ in rows}
    assert {(day(1), 2, "o_multi"), (day(1), 4, "o_after")} <= lines  # the quoted field spans lines 2-3
    assert {(day(2), 3, "o3"), (day(2), 5, "o4")} <= lines  # blank lines keep their numbers
    assert {(day(3), 2, "o5"), (day(3), 4, "o6")} <= lines  # around the rejected line 3
    assert ("o_multi", "s1\nsecond line") in {(order, show) for _, _, order, show in rows}
    assert [(f.rsplit("/", 1)[1][:10], line, rule) for f, line, rule, _ in bad] == [
        (day(3), 3, "unparseable_row"),
        (day(4), 2, "unknown_enum"),
        (day(5), 3, "truncated_last_line"),
    ]
    assert [raw for *_, raw in bad][1:] == [order_line(order_id="o7", status="lost"), order_line(order_id="o11")]


def _full_state(root: Path, exports: Path, table_name: str, days: list[dt.date], **options):
    """Everything a load leaves behind: per-file results, raw rows with types, quarantine, audit."""
    with connect(root / "w.duckdb") as con:
        result = load_days(con, table(table_name), exports, days, LOADED_AT, **options)
        rows = con.execute(f"select * from raw.{table_name} order by _source_file, _source_line").fetchall()
        types = con.execute(
            f"select column_name, data_type from duckdb_columns() where table_name = '{table_name}' order by all"
        ).fetchall()
        bad = con.execute(f"select * from quarantine.{table_name} order by all").fetchall()
        audit = con.execute("select * from audit.raw_loads order by all").fetchall()
    files = [(f.source_file, f.loaded, dict(f.quarantined), f.data_records) for f in result.files]
    return files, rows, types, bad, audit


def _assert_fast_equals_general(tmp_path: Path, table_name: str, days: list[dt.date]):
    general = _full_state(tmp_path / "general", tmp_path, table_name, days, fast=False)
    for batch_bytes in (1, 1 << 30):
        fast = _full_state(
            tmp_path / f"fast{batch_bytes}",
            tmp_path,
            table_name,
            days,
            batch_bytes=batch_bytes,
            fast_batch_bytes=batch_bytes,
        )
        assert fast == general
    return general


def test_fast_path_equals_general_path_for_csv(tmp_path):
    """Clean files go straight into raw; files with problems fall back; the result is the general path's, exactly."""
    day = lambda i: (DAY + dt.timedelta(days=i)).isoformat()  # noqa: E731
    multi_line = csv_text(
        "orders", [{**ORDER, "order_id": "o_multi", "show_id": "s1\nsecond line"}, {**ORDER, "order_id": "o_after"}]
    )
    files = {
        day(
            0
        ): f"{HEADER}\n{GOOD_ORDER_LINE}\n{order_line(order_id='o2', amount_usd='7', shipped_at='2026-11-01 11:00:00.5+01')}\n",
        day(1): multi_line,
        day(2): f"{HEADER}\n\n{order_line(order_id='o3')}\n\n{order_line(order_id='o4')}\n",
        day(3): f'{HEADER}\n{order_line(order_id="o5")}\no9,u1,"u2"x,s1\n{order_line(order_id="o6")}\n',
        day(4): f"{HEADER}\n{order_line(order_id='o7', status='lost')}\n{order_line(order_id='o8')}\n",
        day(5): f"{HEADER}\n{order_line(order_id='o10')}\n{order_line(order_id='o11')}",
        day(6): f"{HEADER}\n{order_line(order_id='o12')}\n{order_line(order_id='o12')}\n",  # duplicate key
        day(7): f"{HEADER}\r\n{order_line(order_id='o13', placed_at='2026-11-01T10:00:00')}\r\n"  # no offset, CRLF
        f"{order_line(order_id='o14', delivered_at='2026-02-30T10:00:00Z')}\r\n",  # not a real timestamp
        day(
            8
        ): f"{HEADER}\n{order_line(order_id='o15', updated_at='2026-11-10T00:00:00+00:00')}\n",  # after the file day
        day(9): f"{HEADER}\n",  # header only
        day(10): f"\ufeff{HEADER}\n{order_line(order_id='o16', category='comics')}\n",  # byte-order mark
        day(11): f"{HEADER}\r\n{order_line(order_id='o17')}\r\n{order_line(order_id='o18')}\r\n",  # clean, CRLF
        day(12): csv_text(
            "orders", [{**ORDER, "show_id": 's1, "the" show'}, {**ORDER, "order_id": "o19", "show_id": ""}]
        ),
    }
    for name, text in files.items():
        export_path(tmp_path, "orders", name).write_text(text, newline="")
    days = [DAY + dt.timedelta(days=i) for i in range(len(files) + 1)]  # the last day has no file
    _files_result, rows, _, bad, _ = _assert_fast_equals_general(tmp_path, "orders", days)
    assert {r[0] for r in rows} >= {"o1", "o2", "o_multi", "o3", "o6", "o8", "o10", "o16", "o17", "o18", "o19"}
    assert ('s1, "the" show', 2) in {(r[3], r[15]) for r in rows}
    assert {rule for _, _, _, rule, *_ in bad} == {
        "unparseable_row",
        "unknown_enum",
        "truncated_last_line",
        "duplicate_key_in_file",
        "timestamp_without_offset",
        "wrong_type",
        "updated_at_after_file_day",
    }


def test_fast_path_equals_general_path_for_jsonl(tmp_path):
    import json

    def line(**changes) -> str:
        return jsonl_text("tickets", [{**TICKET, **changes}]).rstrip("\n")

    day = lambda i: (DAY + dt.timedelta(days=i)).isoformat()  # noqa: E731
    files = {
        day(0): f"{line()}\n{line(ticket_id=8, tags=[])}\n" + line(ticket_id=9).replace('", "', '",  "') + "\n",
        day(1): f"{line()}\n\n{line(ticket_id=8)}\n",  # a blank line
        day(2): f"{line()}\nnot json\n[1]\n{line(ticket_id=8)}{line(ticket_id=9)}\n",
        day(3): f"{line(ticket_id='7')}\n{line(ticket_id=8, tags=[1])}\n{line(ticket_id=9, channel='fax')}\n",
        day(4): f"{line()}\r\n{line(ticket_id=8)}\r\n",  # CRLF
        day(5): f"{line()}\n"
        + line(ticket_id=8).replace('"subject": "Where is my order?", ', "")
        + "\n"
        + json.dumps({**json.loads(line(ticket_id=9)), "extra": 1})
        + "\n",
        day(6): f"{line()}\n{line()}\n",  # duplicate key
        day(7): f"{line()}\n{line(ticket_id=8)}",  # cut off
        day(8): "",  # empty
    }
    for name, text in files.items():
        export_path(tmp_path, "tickets", name).write_text(text, newline="")
    days = [DAY + dt.timedelta(days=i) for i in range(len(files))]
    _files_result, rows, _, bad, _ = _assert_fast_equals_general(tmp_path, "tickets", days)
    assert len(rows) > 5
    assert {rule for _, _, _, rule, *_ in bad} >= {
        "unparseable_row",
        "wrong_type",
        "unknown_enum",
        "missing_column",
        "extra_column",
        "duplicate_key_in_file",
        "truncated_last_line",
    }


def test_clean_files_skip_the_general_path(tmp_path, monkeypatch):
    """Clean files are read once, straight into raw: nothing is judged into the scratch schema."""
    import dagster_project.loading.loader as loader_module

    write_export(tmp_path, "orders", DAY.isoformat(), [ORDER, {**ORDER, "order_id": "o2"}])
    judged = []
    monkeypatch.setattr(loader_module, "judge_batch", lambda *args, **kwargs: judged.append(args))
    result = load(tmp_path, "orders")
    assert (result.loaded, judged) == (2, [])
    assert query(tmp_path, "select order_id, _source_line from raw.orders order by 2") == [("o1", 2), ("o2", 3)]


@pytest.mark.parametrize("table_name", [t.name for t in TABLES])
def test_the_fast_insert_keeps_the_reader_order(tmp_path, table_name):
    """Line numbers come from the inserted rows' order, so every table's fast insert must be planned as an
    order-preserving batch insert: a rule the planner turns into a join (a long IN list does) would not be."""
    path = write_export(tmp_path, table_name, DAY.isoformat(), [])
    files = [CleanCandidate(0, path, DAY, "f", 0)]
    header = table(table_name).column_names if table(table_name).file_format == "csv" else None
    insert = clean_insert_sql(table(table_name), files, header, "timestamp '2026-11-02 03:00:00'")
    with connect(tmp_path / "w.duckdb") as con:
        for statement in create_schemas_sql(table(table_name)):
            con.execute(statement)
        assert keeps_reader_order(con, insert)
        # the guard itself: the same rows through a join are not promised in reader order
        joined = insert.replace("where not", "where _source_file in (select unnest(['f', 'g'])) and not", 1)
        assert not keeps_reader_order(con, joined)


def test_one_thread_keeps_the_reader_order(tmp_path):
    """On one thread DuckDB plans a plain insert, which keeps the order too: the fast path stays on."""
    path = write_export(tmp_path, "orders", DAY.isoformat(), [])
    insert = clean_insert_sql(
        table("orders"), [CleanCandidate(0, path, DAY, "f", 0)], table("orders").column_names, "now()"
    )
    with connect(tmp_path / "w.duckdb") as con:
        for statement in create_schemas_sql(table("orders")):
            con.execute(statement)
        con.execute("set threads = 1")
        assert keeps_reader_order(con, insert)


def test_an_insert_that_would_lose_the_order_leaves_the_files_to_the_general_path(tmp_path, monkeypatch):
    """When DuckDB would not keep the reader's order, no line number is guessed: the general path loads
    the clean files, with the same rows, lines and audit as when the fast path takes them."""
    import dagster_project.loading.fast_path as fast_path_module
    import dagster_project.loading.loader as loader_module

    write_export(tmp_path, "orders", DAY.isoformat(), [ORDER, {**ORDER, "order_id": "o2"}, {**ORDER, "order_id": "o3"}])
    expected = _full_state(tmp_path / "fast", tmp_path, "orders", [DAY])
    judged = []
    judge_batch = loader_module.judge_batch
    monkeypatch.setattr(
        loader_module, "judge_batch", lambda *args, **kwargs: judged.append(args) or judge_batch(*args, **kwargs)
    )
    monkeypatch.setattr(fast_path_module, "keeps_reader_order", lambda con, insert: False)
    assert _full_state(tmp_path / "guarded", tmp_path, "orders", [DAY]) == expected
    assert len(judged) == 1  # the clean file was judged record by record


def test_a_failed_fast_read_falls_back_to_the_general_path(tmp_path, monkeypatch):
    """If the fast read fails as a whole, the transaction is rolled back and the general path loads the same rows."""
    import duckdb

    import dagster_project.loading.loader as loader_module

    write_export(tmp_path, "orders", DAY.isoformat(), [ORDER, {**ORDER, "order_id": "o2", "status": "lost"}])
    expected = _full_state(tmp_path / "general", tmp_path, "orders", [DAY], fast=False)

    def broken(con, *args):
        con.execute("insert into raw.orders select * from raw.orders")  # something written, then a failure
        raise duckdb.IOException("read failed")

    monkeypatch.setattr(loader_module, "insert_clean", broken)
    assert _full_state(tmp_path / "fast", tmp_path, "orders", [DAY]) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-01T10:00:00Z",
        "2026-11-01 10:00:00z",
        "2026-11-01T10:00:00.123456789+05:30",
        "2026-11-01T10:00:00-0700",
        "2026-11-01T10:00:00+05",
        "2026-11-01T10:00:00",
        "2026-11-01T10:00:00.5",
        "2026-02-30T10:00:00Z",
        "2026-11-01T10:00:00.1234567890Z",
        "2026-11-01",
        "2026-11-01T10:00Z",
        "x",
        "",
        None,
        "2026-11-01T25:00:00Z",
        "2026-11-01T10:00:00+5:30",
        "2026-11-01T10:00:00 Z",
        "2026-11-02T00:00:00+00:00",
        "2026-11-01T23:59:59.999-00:01",
    ],
)
def test_timestamp_rules_match_their_regular_expressions(value):
    """The cheaper timestamp checks fire exactly as the contract's regular expressions say."""
    import duckdb

    from dagster_project.loading.rules import column_checks, helpers_sql

    # The contract's two forms, written out: what the loader's cheaper checks must agree with.
    iso_datetime = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    iso_with_offset = "^" + iso_datetime + r"(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$"
    iso_without_offset = "^" + iso_datetime + "$"

    users = table("users")
    checks = {(c.rule, c.condition) for c in column_checks(users, "csv") if "updated_at" in c.condition}
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        row = f"select ?::varchar as updated_at, date '{DAY}' as _export_date"
        fired = con.execute(
            f"select {', '.join(f'coalesce({cond}, false)' for _, cond in sorted(checks))} "
            f"from (select *, {', '.join(h for h in helpers_sql(users) if h.endswith(('updated_at__iso', 'updated_at__bare', 'updated_at__ts')))} from ({row}))",
            [value],
        ).fetchone()
        without, with_offset, ts = con.execute(
            "select regexp_full_match(v, ?), regexp_full_match(v, ?), try_cast(v as timestamptz) from (select ?::varchar as v)",
            [iso_without_offset, iso_with_offset, value],
        ).fetchone()
        bound = con.execute(f"select (date '{DAY}' + 1)::timestamp at time zone 'UTC'").fetchone()[0]
    expected = {
        "timestamp_without_offset": bool(without),
        "wrong_type": value is not None and not without and (not with_offset or ts is None),
        "updated_at_after_file_day": bool(with_offset) and ts is not None and ts >= bound,
    }
    by_rule = {}
    for (rule, _), hit in zip(sorted(checks), fired, strict=True):
        by_rule[rule] = by_rule.get(rule, False) or hit
    assert {rule: by_rule[rule] for rule in expected} == expected
