"""The generic tests that check several rules of one model in one dbt node.

``expressions_are_true`` (dbt_project/tests/generic/expressions_are_true.sql)
holds a model's boolean rules, ``accepted_values_columns``
(.../accepted_values_columns.sql) the accepted values of its columns: the
same rules as one expression_is_true or accepted_values test each, counted
per rule. Worked by hand on a four-row ``marts.fct_csat_daily`` written
directly (dbt test reads the table, it need not be built by dbt):

* ``positive_ratings <= ratings`` fails on rows 2 and 3 (5 > 4, 9 > 2);
  ``csat_pct between 0 and 1`` on rows 3 (1.5) and 4 (null: a rule that is
  null fails, as in expression_is_true): 2 + 2 = 4 failing rows.
* queue ``spam`` (rows 2 and 3) is one unaccepted value of queue; category
  ``cars`` (row 2) and ``boats`` (row 3) two of category; row 4's null
  category passes, as in dbt's accepted_values: 1 + 2 = 3 distinct values.
"""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from tests.dbt_runner import DbtFailed, run_dbt

pytestmark = pytest.mark.slow

EXPRESSIONS = "expressions_are_true_fct_csat_daily"
ACCEPTED = "accepted_values_fct_csat_daily"

# ratings, positive_ratings, csat_pct, queue, category
ROWS = [
    (4, 3, 0.75, "fraud", "toys"),
    (4, 5, 0.5, "spam", "cars"),
    (2, 9, 1.5, "spam", "boats"),
    (3, 1, None, "general", None),
]


def _passed(output: str, test: str) -> bool:
    return re.search(rf"PASS {test}\b", re.sub(r"\x1b\[[0-9;]*m", "", output)) is not None


def _accepted_columns(work_dir) -> dict[str, list]:
    manifest = json.loads((work_dir / "target" / "manifest.json").read_text())
    node = next(n for n in manifest["nodes"].values() if n["name"] == ACCEPTED)
    return node["test_metadata"]["kwargs"]["columns"]


def _create_table(db, columns: dict[str, list], rows) -> None:
    """marts.fct_csat_daily with the rule's columns (the others of the accepted-values test hold an accepted value)."""
    others = [c for c in columns if c not in ("queue", "category")]
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_csat_daily (ratings integer, positive_ratings integer, csat_pct double, "
            "queue varchar, category varchar" + "".join(f", {c} varchar" for c in others) + ")"
        )
        for row in rows:
            con.execute(
                "insert into marts.fct_csat_daily values (" + ", ".join("?" * (5 + len(others))) + ")",
                [*row, *(str(columns[c][0]) for c in others)],
            )


def test_each_rule_is_counted_and_stored_on_its_own(tmp_path) -> None:
    db = tmp_path / "trustqa.duckdb"
    run_dbt(["parse"], tmp_path, db)
    columns = _accepted_columns(tmp_path)
    assert {"queue", "category"} <= set(columns)
    _create_table(db, columns, ROWS[:1])
    passed = run_dbt(["test", "--select", EXPRESSIONS, ACCEPTED], tmp_path, db)
    assert _passed(passed, EXPRESSIONS) and _passed(passed, ACCEPTED)

    with duckdb.connect(str(db)) as con:
        con.execute("drop table marts.fct_csat_daily")
        con.execute("drop schema marts")
    _create_table(db, columns, ROWS)
    with pytest.raises(DbtFailed) as failed:
        run_dbt(["test", "--select", EXPRESSIONS, ACCEPTED, "--store-failures"], tmp_path, db)
    output = re.sub(r"\x1b\[[0-9;]*m", "", str(failed.value))
    assert re.search(rf"FAIL 4 {EXPRESSIONS}\b", output)  # failing rows summed over the rules
    assert re.search(rf"FAIL 3 {ACCEPTED}\b", output)  # distinct unaccepted values over the columns
    with duckdb.connect(str(db), read_only=True) as con:
        rules = con.execute(f"select expression, failing_rows from dbt_test__audit.{EXPRESSIONS} order by 1").fetchall()
        values = con.execute(
            f"select value_column, value, n_records from dbt_test__audit.{ACCEPTED} order by 1, 2"
        ).fetchall()
    assert rules == [("csat_pct between 0 and 1", 2), ("positive_ratings <= ratings", 2)]
    assert values == [("category", "boats", 1), ("category", "cars", 1), ("queue", "spam", 2)]
