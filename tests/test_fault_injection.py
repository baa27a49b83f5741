"""Fault injection: each kind is injected where it says, deterministically, and the real loader reacts as documented."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import statistics
from pathlib import Path

import pytest

from dagster_project.cli import main
from dagster_project.contract import TABLES_BY_NAME, table
from dagster_project.generator import generate_exports
from dagster_project.generator.faults import FAULT_KINDS, MANIFEST, InjectedFault, inject_faults
from dagster_project.loading.export_files import export_days
from dagster_project.loading.loader import connect, load_days
from dagster_project.loading.rules import RULES

START = dt.date(2026, 11, 1)
DAY = dt.date(2026, 11, 6)  # the last of the 6 generated days: the default fault day
LOADED_AT = dt.datetime(2030, 1, 1, 12, 0)
ALL_BUT_ZERO = [k for k in FAULT_KINDS if k != "zero_orders_day"]
QUARANTINED = [k for k, v in FAULT_KINDS.items() if v.expected == "quarantined"]
WHOLE_FILE_RULES = ("not_utf8", "header_mismatch", "file_name_not_a_date")
CONTRACT_BAD_INPUT = (
    "unparseable_row",
    "missing_column",
    "extra_column",
    "wrong_type",
    "unknown_enum",
    "timestamp_without_offset",
    "null_key",
    "null_updated_at",
    "updated_at_after_file_day",
    "duplicate_key_in_file",
    "file_name_not_a_date",
    "truncated_last_line",
    "not_utf8",
)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _load(root: Path, db: Path) -> Path:
    with connect(db) as con:
        for t in TABLES_BY_NAME.values():
            load_days(con, t, root, export_days(root), LOADED_AT)
    return db


def _query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with connect(db) as con:
        return con.execute(sql, params or []).fetchall()


def _records(root: Path, relative: str) -> int:
    """Data records in an export file, as Python's csv / json-lines reading sees them."""
    text = (root / relative).read_bytes().decode("utf-8", "replace")
    if relative.endswith(".csv"):
        return max(len(list(csv.reader(io.StringIO(text, newline="")))) - 1, 0)
    return sum(1 for line in text.split("\n") if line.strip())


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("base") / "exports"
    generate_exports(root, START, days=6, scale=0.1, seed=1)
    return root


def _copy(base: Path, dest: Path) -> Path:
    shutil.copytree(base, dest)
    return dest


@pytest.fixture(scope="module")
def faulty(base: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, InjectedFault]]:
    """Every kind but zero_orders_day injected together into the last day, every day loaded."""
    work = tmp_path_factory.mktemp("faulty")
    root = _copy(base, work / "exports")
    injected = {f.kind: f for f in inject_faults(root, ALL_BUT_ZERO, seed=7)}
    return root, _load(root, work / "w.duckdb"), injected


def test_kinds_are_described_consistently():
    assert set(CONTRACT_BAD_INPUT) <= set(QUARANTINED)
    for kind in FAULT_KINDS.values():
        system, name = kind.table.split("/")
        assert TABLES_BY_NAME[name].system == system
        assert kind.description and "\n" not in kind.description
        if kind.expected == "quarantined":
            assert kind.rule == kind.name and kind.rule in RULES and kind.gate is None
        else:
            assert kind.expected in ("blocked", "warned") and kind.gate and kind.rule is None


def test_every_kind_injected_once_into_the_last_day(faulty):
    root, _, injected = faulty
    assert set(injected) == set(ALL_BUT_ZERO)
    for fault in injected.values():
        assert fault.file.startswith(FAULT_KINDS[fault.kind].table + "/")
        assert DAY.isoformat() in fault.file and (root / fault.file).is_file()


@pytest.mark.parametrize("kind", [k for k in QUARANTINED if k not in WHOLE_FILE_RULES])
def test_row_fault_is_quarantined_at_its_line_and_good_rows_load(faulty, kind):
    root, db, injected = faulty
    fault, name = injected[kind], FAULT_KINDS[kind].table_name
    rows = _query(db, f"select _source_line, rule from quarantine.{name} where _source_file = ?", [fault.file])
    assert (fault.line, kind) in rows
    loaded = _query(db, f"select count(*) from raw.{name} where _source_file = ?", [fault.file])[0][0]
    assert loaded > 0 and loaded + len(rows) == _records(root, fault.file)


def test_duplicate_key_in_file_quarantines_both_rows(faulty):
    _, db, injected = faulty
    fault = injected["duplicate_key_in_file"]
    lines = _query(db, "select _source_line from quarantine.users where rule = 'duplicate_key_in_file' order by 1")
    assert len(lines) == 2 and (fault.line,) in lines


@pytest.mark.parametrize("kind", WHOLE_FILE_RULES)
def test_whole_file_fault_quarantines_every_data_line(faulty, kind):
    root, db, injected = faulty
    fault, name = injected[kind], FAULT_KINDS[kind].table_name
    rows = _query(
        db, f"select rule, _export_date, raw_text from quarantine.{name} where _source_file = ?", [fault.file]
    )
    assert len(rows) == _records(root, fault.file) > 0
    assert {r[0] for r in rows} == {kind}
    assert _query(db, f"select count(*) from raw.{name} where _source_file = ?", [fault.file]) == [(0,)]
    if kind == "file_name_not_a_date":
        assert {r[1] for r in rows} == {None}
        assert fault.file == f"marketplace/reports/{DAY}-copy.csv"
    if kind == "not_utf8":
        line = _query(db, "select raw_text from quarantine.qa_reviews where _source_line = ?", [fault.line])[0][0]
        assert "\\XE9" in line.upper()


def test_appeal_decided_before_submitted(faulty):
    _, db, injected = faulty
    bad = _query(
        db,
        "select _source_line from raw.appeals where _export_date = ? "
        "and decided_at::timestamptz < submitted_at::timestamptz",
        [DAY],
    )
    assert bad == [(injected["appeal_decided_before_submitted"].line,)]


def test_rating_for_missing_ticket(faulty):
    _, db, injected = faulty
    orphans = _query(
        db,
        "select _source_line from raw.satisfaction_ratings r "
        "where not exists (select 1 from raw.tickets t where t.ticket_id = r.ticket_id)",
    )
    assert orphans == [(injected["rating_for_missing_ticket"].line,)]


def test_duplicate_key_across_files(faulty):
    _, db, injected = faulty
    pairs = _query(
        db,
        "select ticket_id, updated_at, list(_source_file order by _source_file), list(_source_line order by _source_file) "
        "from raw.tickets group by 1, 2 having count(distinct _source_file) > 1",
    )
    assert len(pairs) == 1
    files, lines = pairs[0][2], pairs[0][3]
    assert (
        files[-1] == injected["duplicate_key_across_files"].file
        and lines[-1] == injected["duplicate_key_across_files"].line
    )
    assert files[0] < files[-1]


def test_volume_spike(faulty):
    _, db, _ = faulty
    per_day = dict(_query(db, "select _export_date, count(*) from raw.orders group by 1"))
    usual = statistics.median(n for d, n in per_day.items() if d != DAY)
    assert per_day[DAY] >= 8 * usual
    assert _query(db, "select count(*) - count(distinct order_id) from raw.orders where _export_date = ?", [DAY]) == [
        (0,)
    ]


def test_zero_orders_day(base, tmp_path):
    root = _copy(base, tmp_path / "exports")
    (fault,) = inject_faults(root, ["zero_orders_day"])
    assert fault.file == f"marketplace/orders/{DAY}.csv" and fault.line is None
    assert (root / fault.file).read_text() == ",".join(table("orders").column_names) + "\n"
    with connect(tmp_path / "w.duckdb") as con:
        load_days(con, table("orders"), root, export_days(root), LOADED_AT)
        per_day = dict(con.execute("select _export_date, count(*) from raw.orders group by 1").fetchall())
        assert con.execute("select count(*) from quarantine.orders").fetchone() == (0,)
    assert DAY not in per_day and len(per_day) == (DAY - START).days


def test_manifest_is_written_and_ignored_by_the_loader(base, faulty):
    root, _, injected = faulty
    manifest = json.loads((root / MANIFEST).read_text())["faults"]
    assert [(f["kind"], f["file"], f["line"]) for f in manifest] == [
        (f.kind, f.file, f.line) for f in injected.values()
    ]
    assert {f["expected"] for f in manifest} == {"quarantined", "blocked", "warned"}
    assert export_days(root) == export_days(base)


def test_deterministic_and_independent_of_kind_order(base, tmp_path):
    one, two = _copy(base, tmp_path / "one"), _copy(base, tmp_path / "two")
    first = inject_faults(one, ALL_BUT_ZERO, DAY, seed=3)
    second = inject_faults(two, list(reversed(ALL_BUT_ZERO)), DAY, seed=3)
    assert first == second
    assert _tree(one) == _tree(two)


def test_fault_day_can_be_chosen(base, tmp_path):
    root = _copy(base, tmp_path / "exports")
    (fault,) = inject_faults(root, ["null_key"], dt.date(2026, 11, 2))
    assert fault.file == "marketplace/reports/2026-11-02.csv"
    with pytest.raises(ValueError, match="not an export day"):
        inject_faults(root, ["null_key"], dt.date(2027, 1, 1))


def test_unknown_and_incompatible_kinds_raise(base, tmp_path):
    root = _copy(base, tmp_path / "exports")
    before = _tree(root)
    with pytest.raises(ValueError, match=r"valid: unparseable_row, .*volume_spike"):
        inject_faults(root, ["null_key", "no_such_fault"])
    with pytest.raises(ValueError, match=r"zero_orders_day .* volume_spike"):
        inject_faults(root, ["zero_orders_day", "volume_spike"])
    assert _tree(root) == before


def test_cli_generates_and_injects(tmp_path, capsys):
    out = tmp_path / "exports"
    args = ["generate", "--out", str(out), "--start", "2026-11-01", "--days", "2", "--scale", "0.1", "--seed", "4"]
    assert main([*args, "--inject-faults", "unknown_enum,rating_for_missing_ticket"]) == 0
    printed = capsys.readouterr().out
    manifest = json.loads((out / MANIFEST).read_text())["faults"]
    assert [f["kind"] for f in manifest] == ["unknown_enum", "rating_for_missing_ticket"]
    for fault in manifest:
        assert f"{fault['file']}:{fault['line']}" in printed and "2026-11-02" in fault["file"]
    assert main([*args, "--inject-faults", "bogus"]) == 2
    assert "valid: unparseable_row" in capsys.readouterr().err


def test_cli_lists_kinds(capsys):
    assert main(["generate", "--list-faults"]) == 0
    printed = capsys.readouterr().out
    assert all(name in printed for name in FAULT_KINDS)
    assert "staging.stg_marketplace__appeals: decided_at >= submitted_at" in printed
