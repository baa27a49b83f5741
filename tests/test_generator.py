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
    assert (tmp_path / "planted_shifts.json").read_bytes() == (SEEDS_DIR / "planted_shifts.json").read_bytes()
    readme = " ".join((SEEDS_DIR / "README.md").read_text().split())
    a = SAMPLE_ARGS
    command = (
        f"trustqa generate --out seeds --start {a['start']} --days {a['days']} --scale {a['scale']} --seed {a['seed']} "
        f"--support-scale {a['support_scale']} --qa-sampling {a['qa_sampling']:g} "
    )
    for shift in a["plant_shifts"]:
        spec = f"category={shift.category},agents={'+'.join(shift.agents)}"
        command += f"--plant-shift {spec},weeks={'+'.join(map(str, shift.weeks))},size={shift.size:g}"
    assert command in readme


def test_parallel_writer_gives_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster_project.generator import run

    small = {**ARGS, "days": 3, "scale": 0.02}
    inline = generate_exports(tmp_path / "inline", **small)
    monkeypatch.setattr(run, "PARALLEL_WRITER_MIN_WORK", 0.0)
    assert generate_exports(tmp_path / "process", **small) == inline
    assert _tree(tmp_path / "process") == _tree(tmp_path / "inline")


# -- planted shifts and the volume knobs -----------------------------------------------------------------------

SHIFT_ARGS = {
    "start": dt.date(2026, 10, 26),
    "days": 14,
    "scale": 0.02,
    "seed": 7,
    "support_scale": 0.5,
    "qa_sampling": 6.0,
}
SHIFT_WEEK = dt.date(2026, 11, 2)
SHIFT_CATEGORY = "trading_cards"
SHIFT_SIZE = -15.0


def _week_of(stamp: str) -> dt.date:
    day = _instant(stamp).astimezone(dt.UTC).date()
    return day - dt.timedelta(days=day.weekday())


def _versions(root: Path, name: str) -> list[dict]:
    """Every row of a table, in file order."""
    t = TABLES_BY_NAME[name]
    return [row for p in sorted(Path(t.folder(str(root))).iterdir()) for row in _read(t, p.read_text("utf-8"))]


@pytest.fixture(scope="module")
def shifted(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The same run without and with a planted shift on the two agents with the most matching reviews."""
    from dagster_project.generator.planted import PlantedShift

    base = tmp_path_factory.mktemp("unshifted")
    generate_exports(base, **SHIFT_ARGS)
    category = {str(r["ticket_id"]): r["category"] for r in _versions(base, "tickets")}
    firsts = list({r["review_id"]: r for r in reversed(_versions(base, "qa_reviews"))}.values())
    per_agent: dict[str, int] = defaultdict(int)
    for r in firsts:
        if r["case_type"] == "ticket" and category[r["case_id"]] == SHIFT_CATEGORY:
            per_agent[r["agent_id"]] += _week_of(r["reviewed_at"]) == SHIFT_WEEK
    agents = tuple(sorted(sorted(per_agent, key=lambda a: (-per_agent[a], a))[:2]))
    shift = PlantedShift(weeks=(SHIFT_WEEK,), size=SHIFT_SIZE, category=SHIFT_CATEGORY, agents=agents)
    out = tmp_path_factory.mktemp("shifted")
    generate_exports(out, **SHIFT_ARGS, plant_shifts=[shift])
    return {"base": base, "out": out, "agents": agents, "category": category}


def _matches(review: dict, agents: tuple[str, ...], category: dict[str, str]) -> bool:
    """The documented rule: a sampled review of one of the agents, reviewed in the week, of a ticket of the category."""
    return (
        review["sampling_method"] != "calibration"
        and review["agent_id"] in agents
        and _week_of(review["reviewed_at"]) == SHIFT_WEEK
        and review["case_type"] == "ticket"
        and category[review["case_id"]] == SHIFT_CATEGORY
    )


def test_a_planted_shift_changes_only_the_matching_reviews(shifted: dict) -> None:
    base, out = _tree(shifted["base"]), _tree(shifted["out"])
    assert base.keys() == out.keys()
    assert [p for p in base if base[p] != out[p] and not p.startswith("support/qa_reviews/")] == []
    before, after = _versions(shifted["base"], "qa_reviews"), _versions(shifted["out"], "qa_reviews")
    assert [r["review_id"] for r in before] == [r["review_id"] for r in after]
    matched = set()
    for old, new in zip(before, after, strict=True):
        if _matches(old, shifted["agents"], shifted["category"]):
            matched.add(old["review_id"])
        else:
            assert new == old
            continue
        moved = {k for k in old if old[k] != new[k]}
        assert moved <= {"overall_score", "resolution_correct"}, moved
        assert new["overall_score"] == max(0.0, round(old["overall_score"] + SHIFT_SIZE, 1))
        assert new["resolution_correct"] in (old["resolution_correct"], False)  # a drop only fails items
    assert len(matched) >= 10  # enough to mean something (two busy agents, one week)
    assert {r["agent_id"] for r in after if r["review_id"] in matched} == set(shifted["agents"])


def test_a_planted_shift_moves_the_scores_by_its_size_on_average(shifted: dict) -> None:
    """First versions of the matching reviews: mean moved by the size (clipped at 0), resolutions fail more."""
    from dagster_project.generator.planted import MANIFEST

    def firsts(root: Path) -> dict[str, dict]:
        return {r["review_id"]: r for r in reversed(_versions(root, "qa_reviews"))}

    before, after = firsts(shifted["base"]), firsts(shifted["out"])
    ids = sorted(k for k, r in before.items() if _matches(r, shifted["agents"], shifted["category"]))
    old = [before[k]["overall_score"] for k in ids]
    new = [after[k]["overall_score"] for k in ids]
    expected = sum(max(0.0, s + SHIFT_SIZE) - s for s in old) / len(ids)
    assert sum(new) / len(ids) - sum(old) / len(ids) == pytest.approx(expected, abs=1e-9)
    assert -15.0 <= expected < -14.0  # clipping at 0 barely matters: a real 15-point drop
    failed_before = sum(before[k]["resolution_correct"] is False for k in ids)
    failed_after = sum(after[k]["resolution_correct"] is False for k in ids)
    assert failed_after > failed_before
    manifest = json.loads((shifted["out"] / MANIFEST).read_text())
    assert manifest == [
        {
            "category": SHIFT_CATEGORY,
            "agents": list(shifted["agents"]),
            "weeks": [SHIFT_WEEK.isoformat()],
            "size": SHIFT_SIZE,
            "reviews_shifted": len(ids),
            "mean_overall_score_before": round(sum(old) / len(ids), 2),
            "mean_overall_score_after": round(sum(new) / len(ids), 2),
            "resolution_failed_before": failed_before,
            "resolution_failed_after": failed_after,
            "review_ids": ids,
        }
    ]
    assert not (shifted["base"] / MANIFEST).exists()


def test_a_planted_shift_is_deterministic(shifted: dict, tmp_path: Path) -> None:
    from dagster_project.generator.planted import PlantedShift

    shift = PlantedShift(weeks=(SHIFT_WEEK,), size=SHIFT_SIZE, category=SHIFT_CATEGORY, agents=shifted["agents"])
    generate_exports(tmp_path, **SHIFT_ARGS, plant_shifts=[shift])
    assert _tree(tmp_path) == _tree(shifted["out"])
    assert (tmp_path / "planted_shifts.json").read_bytes() == (shifted["out"] / "planted_shifts.json").read_bytes()


def test_plant_shift_specification() -> None:
    from dagster_project.generator.planted import PlantedShift

    shift = PlantedShift.parse("category=trading_cards,agents=ag_0012+ag_0040,weeks=2026-11-02+2026-11-09,size=-15")
    assert shift == PlantedShift(
        weeks=(dt.date(2026, 11, 2), dt.date(2026, 11, 9)),
        size=-15.0,
        category="trading_cards",
        agents=("ag_0012", "ag_0040"),
    )
    assert PlantedShift.parse("weeks=2026-11-02,size=4.5") == PlantedShift(weeks=(dt.date(2026, 11, 2),), size=4.5)
    for spec, message in (
        ("weeks=2026-11-03,size=-15", "not a Monday .* starts on 2026-11-02"),
        ("category=trading_cards,weeks=2026-11-02", "size required"),
        ("category=cards,weeks=2026-11-02,size=-15", "unknown category 'cards'"),
        ("agents=12,weeks=2026-11-02,size=-15", "not an agent id"),
        ("weeks=2026-11-02,size=-150", "between -100 and 100"),
        ("weeks=2026-11-02,size=0", "non-zero"),
        ("team=x,weeks=2026-11-02,size=-15", "KEY=VALUE with KEY in category, agents, weeks, size"),
        ("weeks=2 Nov,size=-15", "YYYY-MM-DD Mondays"),
    ):
        with pytest.raises(ValueError, match=message):
            PlantedShift.parse(spec)


def test_the_cli_plants_a_shift_and_says_what_it_changed(
    shifted: dict, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from dagster_project.cli import main

    args = SHIFT_ARGS
    command = ["generate", "--out", str(tmp_path), "--start", args["start"].isoformat(), "--days", str(args["days"])]
    command += [
        "--scale",
        str(args["scale"]),
        "--seed",
        str(args["seed"]),
        "--support-scale",
        str(args["support_scale"]),
    ]
    command += ["--qa-sampling", str(args["qa_sampling"])]
    spec = f"category={SHIFT_CATEGORY},agents={'+'.join(shifted['agents'])},weeks={SHIFT_WEEK},size={SHIFT_SIZE:g}"
    assert main([*command, "--plant-shift", spec]) == 0
    assert _tree(tmp_path) == _tree(shifted["out"])
    printed = capsys.readouterr().out
    manifest = json.loads((tmp_path / "planted_shifts.json").read_text())
    assert (
        f"trading_cards, {'+'.join(shifted['agents'])}, weeks 2026-11-02, size -15: "
        f"{manifest[0]['reviews_shifted']} reviews, mean overall_score {manifest[0]['mean_overall_score_before']} -> "
    ) in printed
    assert main([*command, "--plant-shift", "weeks=2026-11-03,size=-15"]) == 2
    assert "is not a Monday" in capsys.readouterr().err


def test_support_scale_and_qa_sampling_add_tickets_and_reviews(exports: tuple[Path, dict[str, int]], tmp_path) -> None:
    counts = generate_exports(tmp_path, **{**ARGS, "support_scale": 3 * ARGS["scale"], "qa_sampling": 4.0})
    ours = exports[1]
    assert 2.5 * ours["tickets"] < counts["tickets"] < 3.5 * ours["tickets"]

    def sampled(root: Path) -> int:
        return sum(r["sampling_method"] != "calibration" for r in _versions(root, "qa_reviews"))

    assert sampled(tmp_path) > 6 * sampled(exports[0])  # 3 x the tickets, 4 x the rate (some capped at 1)
    assert counts["users"] == ours["users"] and counts["shows"] == ours["shows"]  # the marketplace is the same
