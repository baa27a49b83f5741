"""No raw PII in the marts: column names, value shapes, and the exported PII values themselves.

The sample's exports hold emails, display names, show titles, ticket subjects
and descriptions and rating comments (``contract.py``: ``pii=True``). After
the session's run on the sample, every column of every mart, in the warehouse
and in the analysts' published copy, is scanned in SQL: no column is named
like PII, no string looks like an email address or free text, and no string
equals any PII value the exports held.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from dagster_project.contract import TABLES

pytestmark = pytest.mark.slow

PII_COLUMN_NAME = re.compile(r"(^|_)(e?mail|name|display|phone|address|comment|description|subject|title|ip)(_|$)")
# a name that only counts or flags PII is fine (has_comment, email_hash never reach marts, but would be safe)
ALLOWED_COLUMN_NAMES = {"has_comment"}
EMAIL = r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}"
# free text: four or more plain words in a row (a sentence), not a list of codes such as "dispute_rate:high, ..."
FREE_TEXT = r"(^|\s)[A-Za-z]+([ ,.!?]+[A-Za-z]+){3,}([ ,.!?]|$)"
# Sentences the marts write themselves from fixed templates and enumerations (the DSA statements of reasons,
# docs/dsa.md): free text by shape, so the shape rule skips them; the email and exported-value rules still apply,
# and a template column must have few distinct values (user text would be about one per row).
GENERATED_SENTENCES = {
    ("dsa_statements_of_reasons", "decision_facts"),
    ("dsa_statements_of_reasons", "incompatible_content_explanation"),
    ("dsa_statements_of_reasons", "incompatible_content_ground"),
}
MAX_TEMPLATE_VALUES = 200


def mart_string_columns(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str, str]]:
    return con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = 'marts' order by 1, 2",
        [catalog],
    ).fetchall()


@pytest.fixture(scope="module")
def scanned(sample_warehouse) -> duckdb.DuckDBPyConnection:
    assert sample_warehouse.first_run.returncode == 0
    con = duckdb.connect()
    con.execute(f"attach '{sample_warehouse.path}' as warehouse (read_only)")
    con.execute(f"attach '{Path(sample_warehouse.path).parent / 'trustqa_marts.duckdb'}' as published (read_only)")
    selects = [
        f"select distinct cast({c.name} as varchar) as value from warehouse.raw.{t.name} where {c.name} is not null"
        for t in TABLES
        for c in t.columns
        if c.pii
    ]
    con.execute("create temp table pii_values as " + " union ".join(selects))
    yield con
    con.close()


@pytest.mark.parametrize("catalog", ["warehouse", "published"])
def test_no_mart_column_is_named_like_pii(scanned, catalog: str) -> None:
    columns = mart_string_columns(scanned, catalog)
    assert len({t for t, _, _ in columns}) >= 13
    named = [(t, c) for t, c, _ in columns if PII_COLUMN_NAME.search(c) and c not in ALLOWED_COLUMN_NAMES]
    assert named == []


@pytest.mark.parametrize("catalog", ["warehouse", "published"])
def test_no_mart_value_is_an_email_free_text_or_an_exported_pii_value(scanned, catalog: str) -> None:
    assert scanned.execute("select count(*) from pii_values").fetchone()[0] > 10_000  # the scan has teeth
    findings = []
    for table, column, data_type in mart_string_columns(scanned, catalog):
        if data_type != "VARCHAR" and not data_type.endswith("[]"):
            continue
        values = (
            f'{catalog}.marts."{table}"'
            if data_type == "VARCHAR"
            else (f'(select unnest("{column}") as "{column}" from {catalog}.marts."{table}")')
        )
        generated = (table, column) in GENERATED_SENTENCES
        emails, texts, exported = scanned.execute(
            f'select count(*) filter (where regexp_matches("{column}", ?)), '
            f'count(*) filter (where regexp_matches("{column}", ?)), '
            f'count(*) filter (where "{column}" in (select value from pii_values)) from {values}',
            [EMAIL, r"[^\s\S]" if generated else FREE_TEXT],  # [^\s\S] never matches
        ).fetchone()
        if generated:
            distinct = scanned.execute(f'select count(distinct "{column}") from {values}').fetchone()[0]
            assert 0 < distinct <= MAX_TEMPLATE_VALUES, (table, column, distinct)
        if emails or texts or exported:
            findings.append((table, column, emails, texts, exported))
    assert findings == []


def test_the_scan_catches_pii(tmp_path: Path) -> None:
    """The patterns find what they look for: a mart with an email, a sentence and a display name fails."""
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.leaky (agent_display_name varchar, note varchar)")
    con.execute(
        "insert into marts.leaky values ('Ada Lovelace', 'buyer wrote: item never arrived at all'), "
        "('x', 'ada@example.com')"
    )
    names = [c for _, c, _ in mart_string_columns(con, "memory") if PII_COLUMN_NAME.search(c)]
    assert names == ["agent_display_name"]
    emails, texts = con.execute(
        "select count(*) filter (where regexp_matches(note, ?)), "
        "count(*) filter (where regexp_matches(note, ?)) from marts.leaky",
        [EMAIL, FREE_TEXT],
    ).fetchone()
    assert (emails, texts) == (1, 1)
