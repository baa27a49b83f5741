"""Great Expectations on DuckDB returns real results (the persisted-connection workaround).

Without ``dagster_project.gates.gx_duckdb`` every GX metric on DuckDB comes back
empty (upstream GX issues 10738, 11579), so a bad table would "pass" or error.
These tests validate a small, known-bad table and check each failed
expectation's observed value, unexpected count and sample keys exactly: if
the workaround breaks, they fail. A clean table must pass, and no DuckDB
connection may outlive the validation (it would lock the file for the next
writer).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import great_expectations.expectations as gxe
import pytest

from dagster_project.gates.outcomes import FAILED, PASSED, WARNED, SuiteOutcome
from dagster_project.gates.validate import validate_duckdb
from expectations.suite import WARNING, GateSuite, between, gate, no_rows, not_before, not_null, unique

# id, parent_id, score, created_at, solved_at
BAD_ROWS = [
    ("a", "p1", 3, "2026-11-01 10:00:00", "2026-11-01 11:00:00"),
    ("b", "p1", 4, "2026-11-01 10:00:00", None),
    ("b", "p2", 5, "2026-11-01 10:00:00", "2026-11-01 10:00:00"),  # duplicate id
    ("c", "p9", 0, "2026-11-02 10:00:00", "2026-11-02 09:00:00"),  # score < 1, solved before created, orphan
    ("d", "p2", 9, "2026-11-02 10:00:00", None),  # score > 5
    ("e", "p1", None, "2026-11-03 10:00:00", None),  # null score
]
GOOD_ROWS = [
    ("a", "p1", 3, "2026-11-01 10:00:00", "2026-11-01 11:00:00"),
    ("b", "p2", 5, "2026-11-01 10:00:00", None),
]


def _suite(table: str) -> GateSuite:
    def build() -> list[gxe.Expectation]:
        return [
            gate(gxe.ExpectTableRowCountToBeBetween(min_value=1, max_value=5), "row count 1..5"),
            not_null("score"),
            unique("id"),
            between("score", 1, 5),
            not_before("solved_at", "created_at"),
            no_rows(
                "parent_id references parents",
                "every parent_id exists",
                "select child.id, child.parent_id from {batch} as child "
                "left join gated.parents as parent on parent.parent_id = child.parent_id "
                "where parent.parent_id is null",
            ),
            gate(gxe.ExpectColumnValuesToBeInSet(column="parent_id", value_set=["p1"]), "parent is p1", WARNING),
        ]

    return GateSuite("staging", "gated", table, ("id",), build)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("gx_duckdb") / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema gated")
        con.execute("create table gated.parents (parent_id varchar)")
        con.execute("insert into gated.parents values ('p1'), ('p2')")
        for name, rows in (("bad", BAD_ROWS), ("good", GOOD_ROWS)):
            con.execute(
                f"create table gated.{name} (id varchar, parent_id varchar, score integer, "
                "created_at timestamp, solved_at timestamp)"
            )
            con.executemany(f"insert into gated.{name} values (?, ?, ?, ?, ?)", rows)
    yield path


@pytest.fixture(scope="module")
def outcomes(warehouse: Path) -> dict[str, SuiteOutcome]:
    results = validate_duckdb(warehouse, [_suite("bad"), _suite("good")], warehouse.parent / "docs")
    return {o.suite_name: o for o in results}


def by_gate(outcome: SuiteOutcome) -> dict[str, object]:
    return {e.gate: e for e in outcome.expectations}


def test_bad_table_fails_with_the_observed_values(outcomes: dict[str, SuiteOutcome]) -> None:
    bad = outcomes["gated.bad"]
    assert bad.status == FAILED
    gates = by_gate(bad)
    assert all(e.error is None for e in bad.expectations), [e.error for e in bad.expectations]
    row_count = gates["row count 1..5"]
    assert (row_count.success, row_count.observed_value) == (False, 6)
    assert (gates["score not null"].success, gates["score not null"].unexpected_count) == (False, 1)
    assert gates["score not null"].sample_rows == [{"id": "e"}]
    assert (gates["id unique"].success, gates["id unique"].unexpected_count) == (False, 2)
    assert gates["id unique"].sample_rows == [{"id": "b"}, {"id": "b"}]
    score = gates["score in 1..5"]
    assert (score.success, score.unexpected_count) == (False, 2)
    assert sorted(r["id"] for r in score.sample_rows) == ["c", "d"]
    solved = gates["solved_at >= created_at"]
    assert (solved.success, solved.unexpected_count, solved.sample_rows) == (False, 1, [{"id": "c"}])
    orphans = gates["parent_id references parents"]
    assert (orphans.success, orphans.observed_value) == (False, 1)
    assert orphans.sample_rows == [{"id": "c", "parent_id": "p9"}]


def test_warning_expectations_do_not_count_as_errors(outcomes: dict[str, SuiteOutcome]) -> None:
    bad = outcomes["gated.bad"]
    warning = by_gate(bad)["parent is p1"]
    assert (warning.success, warning.blocking, warning.unexpected_count) == (False, False, 3)
    assert [e.gate for e in bad.failed_warnings] == ["parent is p1"]
    assert "parent is p1" not in [e.gate for e in bad.failed_errors]


def test_clean_table_passes_except_its_warning(outcomes: dict[str, SuiteOutcome]) -> None:
    good = outcomes["gated.good"]
    assert good.failed_errors == []
    assert good.status == WARNED  # 'b' has parent p2: only the warning fires
    assert by_gate(good)["row count 1..5"].observed_value == 2


def test_passed_status_when_nothing_fails(warehouse: Path) -> None:
    def build() -> list[gxe.Expectation]:
        return [unique("id"), between("score", 1, 5)]

    (outcome,) = validate_duckdb(warehouse, [GateSuite("staging", "gated", "good", ("id",), build)])
    assert outcome.status == PASSED
    assert [e.success for e in outcome.expectations] == [True, True]


def test_no_connection_outlives_the_validation(outcomes: dict[str, SuiteOutcome], warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:  # read-write: fails if GX still holds the file
        assert con.execute("select count(*) from gated.bad").fetchone() == (6,)


def test_data_docs_are_written(outcomes: dict[str, SuiteOutcome], warehouse: Path) -> None:
    index = warehouse.parent / "docs" / "index.html"
    assert index.exists()
    assert "gated.bad" in index.read_text()
