"""Staging and history: version order, UTC normalisation, intervals, no PII.

One hand-made raw dataset, one `dbt build` (run in the America/New_York time
zone, so a conversion that leaned on the session time zone would show).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from dagster_project.contract import TABLES
from dagster_project.settings import DBT_PROJECT_DIR
from tests.dbt_runner import Warehouse, build_warehouse

pytestmark = pytest.mark.slow

D1, D2, D3 = "2026-11-01", "2026-11-02", "2026-11-03"

# Intermediate models that read marts: left out of this module's staging + intermediate build.
MART_READERS = ("int_shift_units", "int_shift_rubric_units")


def user(export_date: str, user_id: str, updated_at: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "_export_date": export_date,
        "user_id": user_id,
        "email": f"{user_id}@example.com",
        "display_name": f"Name of {user_id}",
        "country": "US",
        "signup_at": "2026-10-01T00:00:00Z",
        "is_seller": False,
        "verification_status": "email_verified",
        "updated_at": updated_at,
    }
    row.update(values)
    return row


RAW = {
    "users": [
        # u_plain: a normal update in a later file -> v2 (DE) is current.
        user(D1, "u_plain", "2026-11-01T10:00:00Z", country="US"),
        user(D2, "u_plain", "2026-11-02T09:00:00+01:00", country="DE"),  # 08:00 UTC
        # u_tie: the same instant written with two offsets, in two files:
        # 12:00Z in the 11-01 file and 13:00+01:00 (= 12:00Z) in the 11-02
        # file. A tie on updated_at: the later file (IT) wins; FR is never valid.
        user(D1, "u_tie", "2026-11-01T12:00:00Z", country="FR"),
        user(D2, "u_tie", "2026-11-01T13:00:00+01:00", country="IT"),
        # u_backdated: a back-dated correction (18:00 < 20:00) arriving in a
        # later file does not become current: GB stays current, ES slots in
        # before it in the history ([18:00, 20:00)).
        user(D1, "u_backdated", "2026-11-01T20:00:00Z", country="GB"),
        user(D3, "u_backdated", "2026-11-01T18:00:00Z", country="ES"),
        # Time zones (signup_at): expected UTC values in TIMEZONE_CASES below.
        user(D1, "u_tz_minus5", "2026-11-01T23:50:00Z", signup_at="2026-11-01T23:30:00-05:00"),
        user(D1, "u_tz_plus0530", "2026-11-01T23:50:00Z", signup_at="2026-11-01T10:00:00+05:30"),
        user(D1, "u_tz_fraction", "2026-11-01T23:50:00Z", signup_at="2026-11-01T15:03:22.5+01:00"),
        user(D1, "u_tz_micro", "2026-11-01T23:50:00Z", signup_at="2026-11-01T00:00:00.123456-00:30"),
        user(D1, "u_tz_zulu", "2026-11-01T23:50:00Z", signup_at="2026-11-01T14:03:22Z"),
        user(D1, "u_tz_dst", "2026-11-01T23:50:00Z", signup_at="2026-11-01T01:30:00-04:00"),
        # A fractional-second updated_at tie-breaker: 10:00:00.5 beats 10:00:00.25
        # even though the .25 version sits in the later file.
        user(D1, "u_fraction", "2026-11-01T10:00:00.5Z", country="NL"),
        user(D2, "u_fraction", "2026-11-01T11:00:00.25+01:00", country="BE"),  # 10:00:00.25 UTC
        # u_redelivered: the 11-02 file was loaded twice; only the copy
        # loaded last (CH) counts, so there are two versions, not three.
        user(D1, "u_redelivered", "2026-11-01T09:00:00Z", country="AT"),
        user(D2, "u_redelivered", "2026-11-02T09:00:00Z", country="PL", _loaded_at=dt.datetime(2030, 1, 1, 1)),
        user(D2, "u_redelivered", "2026-11-02T09:00:00Z", country="CH", _loaded_at=dt.datetime(2030, 1, 2, 1)),
    ],
    "tickets": [
        {
            "_export_date": D1,
            "ticket_id": 7,
            "requester_user_id": "u_plain",
            "subject": "Where is my order?",
            "description": "Mail me at a@example.com",
            "channel": "chat",
            "queue": "general",
            "category": "sneakers",
            "priority": "normal",
            "status": "new",
            "tags": '["shipping", "vip"]',
            "created_at": "2026-11-01T08:00:00Z",
            "updated_at": "2026-11-01T08:00:00Z",
        },
        {
            "_export_date": D2,
            "ticket_id": 7,
            "requester_user_id": "u_plain",
            "subject": "Where is my order?",
            "description": "Mail me at a@example.com",
            "channel": "chat",
            "queue": "general",
            "category": "sneakers",
            "priority": "high",
            "status": "solved",
            "tags": "[]",
            "created_at": "2026-11-01T08:00:00Z",
            "solved_at": "2026-11-02T10:00:00+02:00",
            "updated_at": "2026-11-02T10:00:00+02:00",
        },
        {
            "_export_date": D1,
            "ticket_id": 8,
            "channel": "email",
            "tags": None,
            "created_at": "2026-11-01T08:00:00Z",
            "updated_at": "2026-11-01T08:00:00Z",
        },
    ],
    "satisfaction_ratings": [
        {
            "_export_date": D2,
            "rating_id": "r1",
            "ticket_id": 7,
            "score": 5,
            "comment": "Great, thanks Anna",
            "created_at": "2026-11-02T10:00:00Z",
            "updated_at": "2026-11-02T10:00:00Z",
        },
        {
            "_export_date": D2,
            "rating_id": "r2",
            "ticket_id": 8,
            "score": 2,
            "comment": "   ",
            "created_at": "2026-11-02T10:00:00Z",
            "updated_at": "2026-11-02T10:00:00Z",
        },
    ],
    "agents": [
        {
            "_export_date": D1,
            "agent_id": "a1",
            "display_name": "Anna Agent",
            "email": " Anna@Example.com ",
            "team": "t&s",
            "site": "dublin",
            "role": "agent",
            "hired_at": "2025-01-01T09:00:00+01:00",
            "active": True,
            "updated_at": "2026-11-01T09:00:00Z",
        },
    ],
}

# signup_at text -> the UTC instant expected in staging.
TIMEZONE_CASES = {
    "u_tz_minus5": dt.datetime(2026, 11, 2, 4, 30),  # 23:30 at -05:00 is 04:30 next day UTC
    "u_tz_plus0530": dt.datetime(2026, 11, 1, 4, 30),  # 10:00 at +05:30 is 04:30 UTC
    "u_tz_fraction": dt.datetime(2026, 11, 1, 14, 3, 22, 500000),  # 15:03:22.5 at +01:00
    "u_tz_micro": dt.datetime(2026, 11, 1, 0, 30, 0, 123456),  # 00:00:00.123456 at -00:30
    "u_tz_zulu": dt.datetime(2026, 11, 1, 14, 3, 22),  # Z is UTC
    "u_tz_dst": dt.datetime(2026, 11, 1, 5, 30),  # 01:30 at -04:00 (the ambiguous New York hour)
}

PII_COLUMNS = {c.name for t in TABLES for c in t.columns if c.pii}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    built = build_warehouse(
        tmp_path_factory.mktemp("staging"),
        RAW,
        dbt_args=[
            "build",
            "--select",
            "source:*",
            "path:models/staging",
            "path:models/intermediate",
            "ticket_sla_targets",  # the seed int_ticket_first_reply_sla reads
            # the weekly shift units read marts (fct_qa_reviews, fct_csat_daily), which this build leaves out
            "--exclude",
            *MART_READERS,
        ],
        extra_env={"TZ": "America/New_York"},
    )
    yield built
    built.close()


def current_users(warehouse: Warehouse) -> dict[str, dict[str, object]]:
    return {r["user_id"]: r for r in warehouse.rows("select * from staging.stg_marketplace__users")}


def user_history(warehouse: Warehouse, user_id: str) -> list[dict[str, object]]:
    return warehouse.rows(
        "select * from intermediate.int_users_history where user_id = ? order by version_number", [user_id]
    )


# -- current state ---------------------------------------------------------


def test_one_row_per_key(warehouse: Warehouse) -> None:
    users = current_users(warehouse)
    assert len(users) == len({r["user_id"] for r in RAW["users"]})


def test_latest_version_is_current(warehouse: Warehouse) -> None:
    row = current_users(warehouse)["u_plain"]
    assert row["country"] == "DE"
    assert row["updated_at"] == dt.datetime(2026, 11, 2, 8, 0)
    assert row["export_date"] == dt.date(2026, 11, 2)


def test_updated_at_tie_goes_to_the_later_file(warehouse: Warehouse) -> None:
    row = current_users(warehouse)["u_tie"]
    assert row["country"] == "IT"
    assert row["export_date"] == dt.date(2026, 11, 2)


def test_backdated_correction_does_not_become_current(warehouse: Warehouse) -> None:
    row = current_users(warehouse)["u_backdated"]
    assert row["country"] == "GB"
    assert row["export_date"] == dt.date(2026, 11, 1)


def test_fractional_seconds_order_versions(warehouse: Warehouse) -> None:
    assert current_users(warehouse)["u_fraction"]["country"] == "NL"


def test_redelivered_file_counts_once(warehouse: Warehouse) -> None:
    assert current_users(warehouse)["u_redelivered"]["country"] == "CH"
    assert [r["country"] for r in user_history(warehouse, "u_redelivered")] == ["AT", "CH"]


# -- time zones --------------------------------------------------------------


@pytest.mark.parametrize("user_id", sorted(TIMEZONE_CASES))
def test_timestamps_become_utc(warehouse: Warehouse, user_id: str) -> None:
    assert current_users(warehouse)[user_id]["signup_at"] == TIMEZONE_CASES[user_id]


@pytest.mark.parametrize("session_tz", ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"])
def test_conversion_ignores_the_session_time_zone(warehouse: Warehouse, session_tz: str) -> None:
    # The conversion to UTC is done in SQL by dbt's session: reading the
    # staging tables from a session in another TimeZone must not change any
    # value (they hold naive UTC timestamps, not instants shown in the zone).
    warehouse.con.execute(f"set timezone = '{session_tz}'")
    try:
        signups = {
            r["user_id"]: r["signup_at"]
            for r in warehouse.rows("select user_id, signup_at from staging.stg_marketplace__users")
        }
        types = warehouse.rows(
            "select data_type from information_schema.columns "
            "where table_schema = 'staging' and table_name = 'stg_marketplace__users' "
            "and column_name in ('signup_at', 'updated_at')"
        )
    finally:
        warehouse.con.execute("set timezone = 'UTC'")
    assert {k: signups[k] for k in TIMEZONE_CASES} == TIMEZONE_CASES
    assert {r["data_type"] for r in types} == {"TIMESTAMP"}


def test_every_staging_and_history_timestamp_is_naive_utc(warehouse: Warehouse) -> None:
    timestamp_columns = {(t.name, c.name) for t in TABLES for c in t.columns if c.kind == "timestamp"}
    types = {
        (r["table_name"], r["column_name"]): r["data_type"]
        for r in warehouse.rows(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema in ('staging', 'intermediate')"
        )
    }
    for table_name, column in timestamp_columns:
        system = next(t.system for t in TABLES if t.name == table_name)
        assert types[(f"stg_{system}__{table_name}", column)] == "TIMESTAMP"
        assert types[(f"int_{table_name}_history", column)] == "TIMESTAMP"


# -- history -----------------------------------------------------------------


def test_history_keeps_every_version_with_lineage(warehouse: Warehouse) -> None:
    rows = user_history(warehouse, "u_plain")
    assert [(r["version_number"], r["country"], r["export_date"]) for r in rows] == [
        (1, "US", dt.date(2026, 11, 1)),
        (2, "DE", dt.date(2026, 11, 2)),
    ]
    assert [r["_source_file"] for r in rows] == [
        "marketplace/users/2026-11-01.csv",
        "marketplace/users/2026-11-02.csv",
    ]
    assert all(isinstance(r["_source_line"], int) for r in rows)


def test_history_intervals(warehouse: Warehouse) -> None:
    rows = user_history(warehouse, "u_plain")
    assert [(r["valid_from"], r["valid_to"], r["is_current"]) for r in rows] == [
        (dt.datetime(2026, 11, 1, 10), dt.datetime(2026, 11, 2, 8), False),
        (dt.datetime(2026, 11, 2, 8), None, True),
    ]


def test_tie_loser_has_an_empty_interval(warehouse: Warehouse) -> None:
    noon = dt.datetime(2026, 11, 1, 12)
    rows = user_history(warehouse, "u_tie")
    assert [(r["country"], r["valid_from"], r["valid_to"], r["is_current"]) for r in rows] == [
        ("FR", noon, noon, False),  # never valid at any instant
        ("IT", noon, None, True),
    ]


def test_backdated_correction_slots_into_history(warehouse: Warehouse) -> None:
    rows = user_history(warehouse, "u_backdated")
    assert [(r["country"], r["export_date"], r["valid_from"], r["valid_to"], r["is_current"]) for r in rows] == [
        ("ES", dt.date(2026, 11, 3), dt.datetime(2026, 11, 1, 18), dt.datetime(2026, 11, 1, 20), False),
        ("GB", dt.date(2026, 11, 1), dt.datetime(2026, 11, 1, 20), None, True),
    ]


@pytest.mark.parametrize("table_name", ["users", "tickets", "satisfaction_ratings", "agents"])
def test_intervals_contiguous_and_never_overlapping(warehouse: Warehouse, table_name: str) -> None:
    key = next(t.key for t in TABLES if t.name == table_name)
    rows = warehouse.rows(
        f"select {key} as k, version_number, valid_from, valid_to, is_current "
        f"from intermediate.int_{table_name}_history order by {key}, version_number"
    )
    assert rows
    by_key: dict[object, list[dict[str, object]]] = {}
    for r in rows:
        by_key.setdefault(r["k"], []).append(r)
    for versions in by_key.values():
        assert [v["version_number"] for v in versions] == list(range(1, len(versions) + 1))
        assert [v["is_current"] for v in versions] == [False] * (len(versions) - 1) + [True]
        assert versions[-1]["valid_to"] is None
        for earlier, later in itertools.pairwise(versions):
            assert earlier["valid_to"] == later["valid_from"]  # contiguous
            assert earlier["valid_from"] <= earlier["valid_to"]  # never negative, so never overlapping


def test_history_current_rows_match_staging(warehouse: Warehouse) -> None:
    columns = (
        "user_id, email_hash, country, signup_at, is_seller, seller_tier, verification_status, updated_at, export_date"
    )
    staging = warehouse.rows(f"select {columns} from staging.stg_marketplace__users order by user_id")
    current = warehouse.rows(f"select {columns} from intermediate.int_users_history where is_current order by user_id")
    assert staging == current


# -- other typing ------------------------------------------------------------


def test_tags_become_a_list(warehouse: Warehouse) -> None:
    tags = {
        r["ticket_id"]: r["tags"] for r in warehouse.rows("select ticket_id, tags from staging.stg_support__tickets")
    }
    assert tags == {7: [], 8: None}
    history = warehouse.rows(
        "select tags from intermediate.int_tickets_history where ticket_id = 7 order by version_number"
    )
    assert [r["tags"] for r in history] == [["shipping", "vip"], []]


def test_ticket_current_state_is_utc(warehouse: Warehouse) -> None:
    row = warehouse.rows("select * from staging.stg_support__tickets where ticket_id = 7")[0]
    assert (row["status"], row["priority"]) == ("solved", "high")
    assert row["solved_at"] == dt.datetime(2026, 11, 2, 8)  # 10:00 at +02:00


# -- PII ---------------------------------------------------------------------


def test_no_pii_column_outside_raw(warehouse: Warehouse) -> None:
    columns = warehouse.rows(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema in ('staging', 'intermediate', 'marts')"
    )
    assert {c["table_schema"] for c in columns} >= {"staging", "intermediate"}
    leaked = [c for c in columns if c["column_name"] in PII_COLUMNS]
    assert leaked == []


def test_no_pii_value_outside_raw(warehouse: Warehouse) -> None:
    # No free text or address from the fixture appears in any text column.
    needles = ["example.com", "Name of", "Anna", "Where is my order", "Great, thanks"]
    text_columns = warehouse.rows(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema in ('staging', 'intermediate', 'marts') and data_type = 'VARCHAR'"
    )
    for c in text_columns:
        for needle in needles:
            hits = warehouse.scalar(
                f'select count(*) from {c["table_schema"]}.{c["table_name"]} where "{c["column_name"]}" ilike ?',
                [f"%{needle}%"],
            )
            assert hits == 0, (c, needle)


def test_emails_are_hashed_case_and_space_insensitively(warehouse: Warehouse) -> None:
    import hashlib

    agent = warehouse.rows("select email_hash from staging.stg_support__agents")[0]
    assert agent["email_hash"] == hashlib.sha256(b"anna@example.com").hexdigest()
    users = current_users(warehouse)
    assert users["u_plain"]["email_hash"] == hashlib.sha256(b"u_plain@example.com").hexdigest()


def test_comment_becomes_a_presence_flag(warehouse: Warehouse) -> None:
    flags = {
        r["rating_id"]: r["has_comment"]
        for r in warehouse.rows("select rating_id, has_comment from staging.stg_support__satisfaction_ratings")
    }
    assert flags == {"r1": True, "r2": False}  # r2's comment is blank


# -- the source YAML follows the contract ------------------------------------


def test_source_yaml_documents_the_contract() -> None:
    documented: dict[str, dict[str, dict[str, object]]] = {}
    for path in (DBT_PROJECT_DIR / "models" / "staging").glob("*/_*__sources.yml"):
        for source in yaml.safe_load(path.read_text())["sources"]:
            assert source["schema"] == "raw"
            assert source["config"]["loaded_at_field"] == "_loaded_at"
            for t in source["tables"]:
                documented[t["name"]] = {c["name"]: c for c in t["columns"]}
                assert t.get("description")
    assert set(documented) == {t.name for t in TABLES}
    for t in TABLES:
        columns = documented[t.name]
        assert [n for n in columns if not n.startswith("_")] == list(t.column_names)
        for c in t.columns:
            meta = (columns[c.name].get("config") or {}).get("meta") or {}
            assert columns[c.name].get("description")
            assert bool(meta.get("pii")) == c.pii, (t.name, c.name)
            if c.kind in ("timestamp", "string_list"):
                assert meta.get("kind") == c.kind, (t.name, c.name)


def _model_files() -> list[Path]:
    return sorted((DBT_PROJECT_DIR / "models").rglob("*.sql"))


def test_staging_and_history_documented_column_by_column(warehouse: Warehouse) -> None:
    documented: dict[str, set[str]] = {}
    for path in (DBT_PROJECT_DIR / "models").rglob("_*.yml"):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            assert model.get("description"), model["name"]
            documented[model["name"]] = {c["name"] for c in model["columns"] if c.get("description")}
    schemas = {"stg": "staging", "int": "intermediate"}
    for path in _model_files():
        if path.stem.split("_")[0] not in schemas or path.stem in MART_READERS:
            continue  # the intermediate models that read marts are not built here (tests/test_metric_shifts.py)
        name = path.stem
        actual = set(warehouse.columns(schemas[name.split("_")[0]], name))
        assert actual, name
        assert documented.get(name) == actual, name
