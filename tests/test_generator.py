"""The synthetic exports generator: contract conformance, change-feed semantics, determinism, sample."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from dagster_project.contract import TABLES, TABLES_BY_NAME, Table
from dagster_project.generator import SAMPLE_ARGS, generate_exports

ARGS = {"start": dt.date(2026, 11, 1), "days": 10, "scale": 0.05, "seed": 123}
SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6})?(Z|[+-]\d{2}:\d{2})$")


def _tree(root: Path) -> dict[str, bytes]:
    """Every export file under ``root`` (marketplace/ and support/), by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for system in ("marketplace", "support")
        for p in sorted((root / system).rglob("*"))
        if p.is_file()
    }


def _read(table: Table, text: str) -> list[dict]:
    if table.file_format == "csv":
        return list(csv.DictReader(io.StringIO(text, newline="")))
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="session")
def exports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("exports")
    return out, generate_exports(out, **ARGS)


@pytest.fixture(scope="session")
def files(exports: tuple[Path, dict[str, int]]) -> dict[str, dict[str, bytes]]:
    """table name -> {file date: raw bytes}."""
    root = exports[0]
    return {t.name: {p.stem: p.read_bytes() for p in sorted(Path(t.folder(str(root))).iterdir())} for t in TABLES}


@pytest.fixture(scope="session")
def rows(files: dict[str, dict[str, bytes]]) -> dict[str, list[tuple[str, dict]]]:
    """table name -> [(file date, row)] in file order."""
    return {
        name: [(day, row) for day, raw in by_day.items() for row in _read(TABLES_BY_NAME[name], raw.decode("utf-8"))]
        for name, by_day in files.items()
    }


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _key(table: Table, row: dict) -> str:
    return str(row[table.key])


def test_same_arguments_give_identical_files(exports: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    assert generate_exports(tmp_path, **ARGS) == exports[1]
    assert _tree(tmp_path) == _tree(exports[0])


def test_another_seed_gives_other_data(exports: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    generate_exports(tmp_path, **{**ARGS, "seed": ARGS["seed"] + 1})
    other, ours = _tree(tmp_path), _tree(exports[0])
    assert other.keys() == ours.keys()
    assert other["marketplace/orders/2026-11-01.csv"] != ours["marketplace/orders/2026-11-01.csv"]


def test_one_file_per_table_and_day(files: dict[str, dict[str, bytes]]) -> None:
    days = [(ARGS["start"] + dt.timedelta(days=i)).isoformat() for i in range(ARGS["days"])]
    for t in TABLES:
        assert list(files[t.name]) == days, t.name


def test_files_are_utf8_with_unix_newlines(files: dict[str, dict[str, bytes]]) -> None:
    for name, by_day in files.items():
        for day, raw in by_day.items():
            raw.decode("utf-8")
            assert b"\r\n" not in raw, (name, day)
            assert raw == b"" or raw.endswith(b"\n"), (name, day)


def test_returned_counts_match_the_files(exports: tuple[Path, dict[str, int]], rows: dict) -> None:
    assert exports[1] == {name: len(found) for name, found in rows.items()}
    assert all(exports[1][t.name] > 0 for t in TABLES)


def test_csv_header_is_exactly_the_contract_columns(files: dict[str, dict[str, bytes]]) -> None:
    for t in TABLES:
        if t.file_format != "csv":
            continue
        for day, raw in files[t.name].items():
            records = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
            assert tuple(records[0]) == t.column_names, (t.name, day)
            assert all(len(r) == len(t.column_names) for r in records[1:]), (t.name, day)


def test_jsonl_objects_have_exactly_the_contract_fields_in_order(rows: dict) -> None:
    for t in TABLES:
        if t.file_format == "jsonl":
            for day, row in rows[t.name]:
                assert tuple(row) == t.column_names, (t.name, day)


def _check_value(t: Table, column, value, day: str) -> None:
    where = (t.name, column.name, day, value)
    if value is None or value == "":
        assert value is None or t.file_format == "csv", where
        return
    if column.values is not None:
        assert str(value) in column.values, where
    kind, jsonl = column.kind, t.file_format == "jsonl"
    if kind == "integer":
        assert (type(value) is int) if jsonl else re.fullmatch(r"-?\d+", value), where
    elif kind == "boolean":
        assert (type(value) is bool) if jsonl else value in ("true", "false"), where
    elif kind == "number":
        assert type(value) in (int, float), where
    elif kind == "decimal":
        assert re.fullmatch(r"\d+\.\d{2}", value), where
    elif kind == "string_list":
        assert isinstance(value, list) and all(isinstance(v, str) for v in value), where
    elif kind == "timestamp":
        assert isinstance(value, str) and ISO_WITH_OFFSET.match(value), where
    else:
        assert isinstance(value, str), where
    if column.pattern:
        assert re.fullmatch(column.pattern, value), where


def test_values_have_contract_types_enums_and_formats(rows: dict) -> None:
    for t in TABLES:
        for day, row in rows[t.name]:
            for column in t.columns:
                _check_value(t, column, row[column.name], day)
            assert row[t.key] not in (None, "") and row["updated_at"] not in (None, ""), (t.name, day)


def test_csv_quoting_round_trips_commas_quotes_and_unicode(rows: dict) -> None:
    titles = [r["title"] for _, r in rows["shows"]]
    names = [r["display_name"] for _, r in rows["users"]]
    assert any("," in v for v in titles + names)
    assert any('"' in v for v in titles + names)
    assert any(not v.isascii() for v in titles + names)


def test_no_key_twice_in_one_file(rows: dict) -> None:
    for t in TABLES:
        seen: set[tuple[str, str]] = set()
        for day, row in rows[t.name]:
            assert (day, _key(t, row)) not in seen, (t.name, day, row[t.key])
            seen.add((day, _key(t, row)))


def test_updated_at_never_after_the_files_day(rows: dict) -> None:
    late = total = 0
    for t in TABLES:
        for day, row in rows[t.name]:
            start = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)
            updated = _instant(row["updated_at"])
            assert updated < start + dt.timedelta(days=1), (t.name, day, row["updated_at"])
            total += 1
            late += updated < start and day != ARGS["start"].isoformat()
    assert 0 < late < 0.02 * total  # a few back-dated corrections, no more


def test_offsets_vary_and_instants_are_right(rows: dict) -> None:
    offsets = {re.search(r"(Z|[+-]\d{2}:\d{2})$", r["updated_at"]).group(1) for _, r in rows["orders"]}
    assert {"Z", "+00:00", "-05:00", "+05:30"} <= offsets
    assert any("." in r["updated_at"] for _, r in rows["orders"])


def test_records_reappear_with_a_later_updated_at(rows: dict) -> None:
    for name, minimum in (("orders", 100), ("tickets", 20), ("appeals", 5), ("users", 5)):
        t = TABLES_BY_NAME[name]
        history: dict[str, list[tuple[str, dt.datetime]]] = defaultdict(list)
        for day, row in rows[name]:
            history[_key(t, row)].append((day, _instant(row["updated_at"])))
        repeated = [versions for versions in history.values() if len(versions) >= 2]
        assert len(repeated) >= minimum, name
        for versions in repeated:
            days = [d for d, _ in versions]
            stamps = [u for _, u in versions]
            assert days == sorted(days) and stamps == sorted(stamps) and len(set(stamps)) == len(stamps), name


def _ids(rows: dict, table: str, column: str) -> set:
    return {r[column] for _, r in rows[table] if r[column] not in (None, "")}


def test_foreign_keys_point_to_exported_records(rows: dict) -> None:
    users, agents = _ids(rows, "users", "user_id"), _ids(rows, "agents", "agent_id")
    checks = [
        (_ids(rows, "appeals", "action_id"), _ids(rows, "enforcement_actions", "action_id")),
        (_ids(rows, "satisfaction_ratings", "ticket_id"), _ids(rows, "tickets", "ticket_id")),
        (_ids(rows, "orders", "buyer_id") | _ids(rows, "orders", "seller_id"), users),
        (_ids(rows, "orders", "show_id") | _ids(rows, "reports", "show_id"), _ids(rows, "shows", "show_id")),
        (
            _ids(rows, "disputes", "order_id") | _ids(rows, "tickets", "related_order_id"),
            _ids(rows, "orders", "order_id"),
        ),
        (_ids(rows, "tickets", "related_action_id"), _ids(rows, "enforcement_actions", "action_id")),
        (_ids(rows, "reports", "reporter_id") | _ids(rows, "reports", "reported_user_id"), users),
        (_ids(rows, "enforcement_actions", "user_id") | _ids(rows, "tickets", "requester_user_id"), users),
        (_ids(rows, "qa_reviews", "agent_id") | _ids(rows, "qa_reviews", "reviewer_id"), agents),
        (_ids(rows, "tickets", "assignee_agent_id") | _ids(rows, "appeals", "assigned_agent_id"), agents),
    ]
    for referenced, existing in checks:
        assert referenced and referenced <= existing, sorted(referenced - existing)[:5]
    cases = {r["case_id"] for _, r in rows["qa_reviews"]}
    known = {str(t) for t in _ids(rows, "tickets", "ticket_id")} | _ids(rows, "enforcement_actions", "action_id")
    assert cases <= known | _ids(rows, "appeals", "appeal_id")


ORDERED = {  # per table: timestamp columns that must not decrease, in order
    "orders": ("placed_at", "shipped_at", "delivered_at", "updated_at"),
    "appeals": ("submitted_at", "decided_at", "updated_at"),
    "tickets": ("created_at", "first_reply_at", "solved_at", "updated_at"),
    "enforcement_actions": ("created_at", "reversed_at", "updated_at"),
    "disputes": ("opened_at", "resolved_at", "updated_at"),
    "shows": ("started_at", "ended_at", "updated_at"),
    "satisfaction_ratings": ("created_at", "updated_at"),
    "qa_reviews": ("reviewed_at", "updated_at"),
}


def test_business_timestamps_are_consistent(rows: dict) -> None:
    for name, columns in ORDERED.items():
        for day, row in rows[name]:
            stamps = [_instant(row[c]) for c in columns if row[c] not in (None, "")]
            assert stamps == sorted(stamps), (name, day, row)


def test_shape_has_the_documented_ingredients(rows: dict) -> None:
    def current(name: str) -> list[dict]:
        t = TABLES_BY_NAME[name]
        return list({_key(t, r): r for _, r in rows[name]}.values())

    statuses = {r["status"] for r in current("orders")}
    assert {"placed", "shipped", "delivered", "cancelled"} <= statuses
    assert {r["role"] for r in current("agents")} == {"agent", "specialist", "lead", "qa_reviewer"}
    assert {r["outcome"] for r in current("appeals")} >= {"upheld", "overturned"}
    assert {r["status"] for r in current("tickets")} >= {"new", "open", "solved", "closed"}
    reviews = current("qa_reviews")
    assert {r["sampling_method"] for r in reviews} >= {"random", "calibration"}
    assert all((r["calibration_session_id"] is None) == (r["sampling_method"] != "calibration") for r in reviews)
    assert all((r["communication_score"] is None) == (r["case_type"] != "ticket") for r in reviews)
    automated = [r for r in current("enforcement_actions") if r["decided_by"] == "automated"]
    assert automated and all(r["agent_id"] == "" for r in automated)


def test_bundled_sample_is_reproduced_exactly(tmp_path: Path) -> None:
    counts = generate_exports(tmp_path, **SAMPLE_ARGS)
    expected, produced = _tree(SEEDS_DIR), _tree(tmp_path)
    assert sorted(produced) == sorted(expected)
    changed = [path for path in produced if produced[path] != expected[path]]
    assert not changed, changed[:5]
    assert counts["appeals"] > 0
    readme = (SEEDS_DIR / "README.md").read_text()
    assert f"--scale {SAMPLE_ARGS['scale']} --seed {SAMPLE_ARGS['seed']}" in readme


def test_parallel_writer_gives_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster_project.generator import run

    small = {**ARGS, "days": 3, "scale": 0.02}
    inline = generate_exports(tmp_path / "inline", **small)
    monkeypatch.setattr(run, "PARALLEL_WRITER_MIN_WORK", 0.0)
    assert generate_exports(tmp_path / "process", **small) == inline
    assert _tree(tmp_path / "process") == _tree(tmp_path / "inline")
