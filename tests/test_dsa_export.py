"""Statements of reasons in the DSA Transparency Database's shape, and ``trustqa export-sor``.

Hand-made rows of ``marts.dsa_statements_of_reasons`` in a temp DuckDB file;
the expected statements are written out by hand from the API's field rules
(docs/dsa.md): nulls and the mart's own columns left out, list fields as
arrays, dates as YYYY-MM-DD, the EU's 27 member states as the territorial
scope. An unmapped policy (no category, no ground) refuses the export,
naming the action and the fields, and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import duckdb
import pytest
from jsonschema import Draft202012Validator

from dagster_project.dsa.export_command import run_export
from dagster_project.dsa.statements import EU_MEMBER_STATES, invalid_statements, schema, statement_of
from dagster_project.settings import Settings

COLUMNS = (
    "puid, action_type, policy, decision_visibility, decision_monetary, decision_provision, decision_account, "
    "end_date_account_restriction, end_date_visibility_restriction, decision_ground, incompatible_content_ground, "
    "incompatible_content_explanation, incompatible_content_illegal, category, category_specification, "
    "content_type, content_type_other, content_date, application_date, decision_facts, source_type, "
    "automated_detection, automated_decision"
)
REMOVAL = (
    "act_1", "listing_removal", "counterfeit", "DECISION_VISIBILITY_CONTENT_REMOVED", None, None, None, None, None,
    "DECISION_GROUND_INCOMPATIBLE_CONTENT", "Marketplace policy: counterfeit goods",
    "The content was found to violate the Marketplace policy: counterfeit goods.", "Yes",
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS", "KEYWORD_TRADEMARK_INFRINGEMENT",
    "CONTENT_TYPE_PRODUCT", None, dt.date(2026, 7, 3), dt.date(2026, 7, 3), "Action listing_removal ...",
    "SOURCE_VOLUNTARY", "Yes", "AUTOMATED_DECISION_FULLY",
)  # fmt: skip
SUSPENSION = (
    "act_2", "suspension", "fraud", None, None, None, "DECISION_ACCOUNT_SUSPENDED", dt.date(2026, 8, 30), None,
    "DECISION_GROUND_INCOMPATIBLE_CONTENT", "Marketplace policy: fraud",
    "The account was found to violate the Marketplace policy: fraud.", "Yes", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    None, "CONTENT_TYPE_OTHER", "Marketplace account", dt.date(2025, 1, 2), dt.date(2026, 7, 31),
    "Action suspension ...", "SOURCE_ARTICLE_16", "No", "AUTOMATED_DECISION_NOT_AUTOMATED",
)  # fmt: skip
# a policy the seed does not map: no category and no ground text
UNMAPPED = (
    "act_3", "ban", "new_policy", None, None, None, "DECISION_ACCOUNT_TERMINATED", None, None,
    "DECISION_GROUND_INCOMPATIBLE_CONTENT", None, "The account was found to violate the marketplace policy new_policy.",
    None, None, None, "CONTENT_TYPE_OTHER", "Marketplace account", dt.date(2025, 1, 2), dt.date(2026, 7, 15),
    "Action ban ...", "SOURCE_VOLUNTARY", "No", "AUTOMATED_DECISION_NOT_AUTOMATED",
)  # fmt: skip


def row(values: tuple) -> dict:
    return dict(zip([c.strip() for c in COLUMNS.split(",")], values, strict=True))


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(schema())


def test_a_content_removal_in_the_apis_shape() -> None:
    assert statement_of(row(REMOVAL)) == {
        "puid": "act_1",
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": "Marketplace policy: counterfeit goods",
        "incompatible_content_explanation": "The content was found to violate the Marketplace policy: counterfeit goods.",
        "incompatible_content_illegal": "Yes",
        "category": "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        "category_specification": ["KEYWORD_TRADEMARK_INFRINGEMENT"],
        "content_type": ["CONTENT_TYPE_PRODUCT"],
        "content_date": "2026-07-03",
        "application_date": "2026-07-03",
        "decision_facts": "Action listing_removal ...",
        "source_type": "SOURCE_VOLUNTARY",
        "automated_detection": "Yes",
        "automated_decision": "AUTOMATED_DECISION_FULLY",
        "territorial_scope": list(EU_MEMBER_STATES),
    }
    assert len(EU_MEMBER_STATES) == 27 and "GR" in EU_MEMBER_STATES and "NO" not in EU_MEMBER_STATES


def test_the_marts_lineage_columns_are_not_exported() -> None:
    lineage = {"_inputs_loaded_at": dt.datetime(2030, 1, 1, 3), "_mappings_fingerprint": "a1b2"}
    assert statement_of({**row(REMOVAL), **lineage}) == statement_of(row(REMOVAL))


def test_a_time_limited_account_suspension_is_valid() -> None:
    statement = statement_of(row(SUSPENSION))
    assert statement["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
    assert statement["end_date_account_restriction"] == "2026-08-30"
    assert statement["content_type_other"] == "Marketplace account"
    assert invalid_statements([statement_of(row(REMOVAL)), statement]) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"category": None}, "action act_1: category: 'category' is a required property"),
        ({"decision_visibility": None}, "action act_1: (statement): "),  # no restriction at all
        (
            {"content_type": "CONTENT_TYPE_OTHER"},
            "action act_1: content_type_other: 'content_type_other' is a required",
        ),
        ({"puid": "act 1"}, "action act 1: puid: 'act 1' does not match"),
        ({"application_date": dt.date(2019, 12, 31)}, "action act_1: application_date: '2019-12-31' does not match"),
        ({"automated_detection": "yes"}, "action act_1: automated_detection: 'yes' is not one of ['Yes', 'No']"),
    ],
)
def test_each_broken_rule_names_the_action_and_the_field(change: dict, expected: str) -> None:
    problems = invalid_statements([statement_of({**row(REMOVAL), **change})])
    assert len(problems) == 1 and problems[0].startswith(expected), problems


@pytest.fixture
def marts_file(tmp_path: Path) -> Path:
    path = tmp_path / "published.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        types = ", ".join(
            f"{c.strip()} {'date' if c.strip().endswith('_date') or 'end_date' in c else 'varchar'}"
            for c in COLUMNS.split(",")
        )
        con.execute(f"create table marts.dsa_statements_of_reasons ({types})")
        placeholders = ", ".join("?" * len(REMOVAL))
        con.executemany(f"insert into marts.dsa_statements_of_reasons values ({placeholders})", [REMOVAL, SUSPENSION])
    return path


def export(marts: Path, out: Path, since: str, until: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    config = Settings.from_env({"TRUSTQA_DUCKDB_PATH": str(marts.parent / "warehouse.duckdb")})
    code = run_export(config, dt.date.fromisoformat(since), dt.date.fromisoformat(until), out, marts, stdout, stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def test_the_export_writes_the_periods_statements_as_json_lines(marts_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "sor.jsonl"
    code, stdout, _ = export(marts_file, out, "2026-07-01", "2026-07-31")
    assert code == 0 and stdout.startswith("2 statements of reasons (2026-07-01 .. 2026-07-31)")
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines == [statement_of(row(REMOVAL)), statement_of(row(SUSPENSION))]  # by application date
    code, _, _ = export(marts_file, out, "2026-07-04", "2026-07-30")  # neither applies in this window
    assert code == 0 and out.read_text() == ""


def test_an_unmapped_policy_refuses_the_export_and_writes_nothing(marts_file: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(marts_file)) as con:
        con.execute(f"insert into marts.dsa_statements_of_reasons values ({', '.join('?' * len(UNMAPPED))})", UNMAPPED)
    out = tmp_path / "sor.jsonl"
    out.write_text("the last good export\n")
    code, _, stderr = export(marts_file, out, "2026-07-01", "2026-07-31")
    assert code == 2
    assert "2 problem(s) in 3 statements; nothing written" in stderr
    assert "action act_3: category: 'category' is a required property" in stderr
    assert "action act_3: incompatible_content_ground: 'incompatible_content_ground' is a required property" in stderr
    assert out.read_text() == "the last good export\n"


def test_refusals_in_one_line(marts_file: Path, tmp_path: Path) -> None:
    assert export(marts_file, tmp_path / "x.jsonl", "2026-07-31", "2026-07-01")[0] == 2
    code, _, stderr = export(tmp_path / "missing.duckdb", tmp_path / "x.jsonl", "2026-07-01", "2026-07-31")
    assert code == 2 and "no marts at" in stderr and not (tmp_path / "x.jsonl").exists()
