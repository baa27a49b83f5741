"""Statements of reasons as the DSA Transparency Database API takes them, validated against the project's schema.

A row of ``marts.dsa_statements_of_reasons`` becomes one API statement: the
mart's own columns (``action_type``, ``policy`` and the ``_``-prefixed
lineage columns) are left out, nulls are
left out, the single-valued list fields are one-element arrays, dates are
``YYYY-MM-DD`` and ``territorial_scope`` is the EU's 27 member states (the
marketplace restricts a user everywhere it operates). Every statement is
checked against ``statement_of_reasons.schema.json``; :func:`invalid_statements`
names the action (its ``puid``) and the field of each failure.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).with_name("statement_of_reasons.schema.json")
# The member states of the EU (the API's EEA list without IS, LI and NO); Greece is GR in the API.
EU_MEMBER_STATES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip
MART_ONLY_COLUMNS = ("action_type", "policy")
ARRAY_FIELDS = ("decision_visibility", "content_type", "category_specification")


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def statement_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The API statement of one mart row (column names in lower case)."""
    statement: dict[str, Any] = {}
    for name, value in row.items():
        if name in MART_ONLY_COLUMNS or name.startswith("_") or value is None:
            continue
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            value = value.isoformat()
        statement[name] = [value] if name in ARRAY_FIELDS else value
    statement["territorial_scope"] = list(EU_MEMBER_STATES)
    return statement


def invalid_statements(statements: Iterable[dict[str, Any]]) -> list[str]:
    """One line per schema failure: ``action <puid>: <field>: <what is wrong>``; empty when all are valid."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema())
    problems = []
    for statement in statements:
        puid = statement.get("puid", "<no puid>")
        for error in sorted(validator.iter_errors(statement), key=lambda e: (list(e.path), e.message)):
            field = ".".join(str(p) for p in error.path) or _missing_field(error.message)
            problems.append(f"action {puid}: {field}: {error.message}")
    return problems


def _missing_field(message: str) -> str:
    """The field a 'required' failure names ("'category' is a required property"), else the statement."""
    return message.split("'")[1] if message.count("'") >= 2 and "required property" in message else "(statement)"
