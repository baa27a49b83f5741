"""Row-level contract rules, compiled to SQL.

Every rule is one SQL condition evaluated by DuckDB over all records of a
file at once (no Python loop per row). ``failures_sql`` builds a list
expression that holds, for each record, every rule it breaks as
``'<rule>: <detail>'``; a record with an empty list is good.

Rule names (what ``quarantine.<table>.rule`` holds) are documented in
``RULES``; docs/exports.md explains them to the reader of the quarantine table.
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster_project.contract import Column, Table

FILE_NAME_NOT_A_DATE = "file_name_not_a_date"
FILE_DATE_IN_FUTURE = "file_date_in_future"

RULES: dict[str, str] = {
    FILE_NAME_NOT_A_DATE: (
        "the file name is not <YYYY-MM-DD>.<csv|jsonl> with a real date, or not valid UTF-8 (whole file; "
        "the name shows bytes as \\xNN)"
    ),
    FILE_DATE_IN_FUTURE: (
        "the file is dated after the day it was found (UTC): not an export yet, recorded once and not read; "
        "it loads with its day once that day has come"
    ),
    "not_utf8": "the file is not valid UTF-8 (whole file; raw text shows bytes as \\xNN)",
    "header_mismatch": "the CSV header does not hold exactly the table's columns (whole file)",
    "unparseable_row": "the record cannot be parsed (bad quoting, not a JSON object)",
    "missing_column": "the record lacks a column or JSON field of the table",
    "extra_column": "the record has a column or JSON field the table does not have",
    "truncated_last_line": "the file's last line has no line terminator: it was cut off",
    "null_key": "the key is null or empty",
    "null_updated_at": "updated_at is null or empty",
    "wrong_type": "a value does not have the column's type (integer, boolean, decimal, number, timestamp, array)",
    "timestamp_without_offset": "a timestamp has no UTC offset",
    "unknown_enum": "a value is not one of the column's accepted values",
    "invalid_format": "a value does not match the column's format (e.g. ISO-3166 alpha-2 country)",
    "updated_at_after_file_day": "updated_at lies after the end of the file's export day (UTC)",
    "duplicate_key_in_file": "the key occurs more than once in this file (every such row is quarantined)",
}

# An ISO-8601 date-time with or without an offset (tests/test_loading.py holds the two stricter forms).
ISO_ANY_OFFSET = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)?$"
)
INTEGER = r"^-?[0-9]+$"
DECIMAL_2 = r"^-?[0-9]+(\.[0-9]{1,2})?$"

# DuckDB json_type() names accepted for each column kind in JSON Lines.
JSON_TYPES: dict[str, tuple[str, ...]] = {
    "string": ("VARCHAR",),
    "timestamp": ("VARCHAR",),
    "integer": ("BIGINT", "UBIGINT"),
    "boolean": ("BOOLEAN",),
    "number": ("BIGINT", "UBIGINT", "DOUBLE"),
    "decimal": ("BIGINT", "UBIGINT", "DOUBLE"),
    "string_list": ("ARRAY",),
}


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _shown(col: str) -> str:
    """A value as shown in a rule's detail: quoted and cut to 60 characters."""
    return f"'''' || left({col}, 60) || ''''"


@dataclass(frozen=True)
class Check:
    rule: str
    condition: str  # true when the record breaks the rule
    detail: str  # SQL expression (string) describing the failure

    def as_case(self) -> str:
        return f"case when {self.condition} then '{self.rule}: ' || {self.detail} end"


def _type_checks(column: Column, file_format: str) -> list[Check]:
    c = column.name
    if file_format == "jsonl":
        accepted = ", ".join(quote_literal(t) for t in JSON_TYPES[column.kind])
        checks = [
            Check(
                "wrong_type",
                f"{c}__jtype not in ('NULL', {accepted})",
                f"'{c} is a JSON ' || lower({c}__jtype) || ', expected {column.kind}'",
            )
        ]
        if column.kind == "string_list":
            checks.append(
                Check(
                    "wrong_type",
                    f"{c}__jtype = 'ARRAY' and len(list_filter(json_type({c}::json, '$[*]'), lambda t: t <> 'VARCHAR')) > 0",
                    f"'{c} must be an array of strings'",
                )
            )
        return checks
    patterns = {"integer": INTEGER, "decimal": DECIMAL_2}
    if column.kind in patterns:
        return [
            Check(
                "wrong_type",
                f"{c} is not null and not regexp_full_match({c}, {quote_literal(patterns[column.kind])})",
                f"'{c}=' || {_shown(c)} || ' is not {'an integer' if column.kind == 'integer' else 'a decimal with at most 2 places'}'",
            )
        ]
    if column.kind == "boolean":
        return [Check("wrong_type", f"{c} not in ('true', 'false')", f"'{c}=' || {_shown(c)} || ' is not true/false'")]
    if column.kind == "number":
        return [
            Check(
                "wrong_type",
                f"try_cast({c} as double) is null and {c} is not null",
                f"'{c}=' || {_shown(c)} || ' is not a number'",
            )
        ]
    return []


def _timestamp_checks(column: Column) -> list[Check]:
    """Timestamp rules on the helper columns of :func:`helpers_sql` (one regex and one parse per value)."""
    c = column.name
    return [
        Check(
            "timestamp_without_offset",
            f"{c}__iso and {c}__bare",
            f"'{c}=' || {_shown(c)} || ' has no UTC offset'",
        ),
        Check(
            "wrong_type",
            f"{c} is not null and (not {c}__iso or (not {c}__bare and {c}__ts is null))",
            f"'{c}=' || {_shown(c)} || ' is not an ISO-8601 timestamp'",
        ),
    ]


def helpers_sql(table: Table) -> list[str]:
    """Select items the checks read, computed once per record: per timestamp column
    ``<c>__iso`` (an ISO-8601 date-time, with or without offset: one regular
    expression), ``<c>__bare`` (no offset character: in such a date-time an
    offset is the only place for ``Z``, ``z``, ``+``, or ``-`` after the date)
    and ``<c>__ts`` (its value as ``timestamptz``, null when it does not parse).

    ``<c>__iso and <c>__bare`` is exactly "an ISO date-time without offset" and
    ``<c>__iso and not <c>__bare`` exactly "with an offset" (both regular
    expressions are written out in tests/test_loading.py, which checks this).
    """
    items = []
    for column in table.columns:
        if column.kind == "timestamp":
            c = column.name
            items += [
                f"regexp_full_match({c}, {quote_literal(ISO_ANY_OFFSET)}) as {c}__iso",
                f"not (contains({c}, 'Z') or contains({c}, 'z') or contains({c}, '+') or contains(substr({c}, 11), '-'))"
                f" as {c}__bare",
                f"try_cast({c} as timestamptz) as {c}__ts",
            ]
    return items


def helper_names(table: Table) -> list[str]:
    """The names of the ``helpers_sql`` columns."""
    return [item.rsplit(" as ", 1)[1] for item in helpers_sql(table)]


def _value_checks(column: Column) -> list[Check]:
    c = column.name
    checks: list[Check] = []
    if column.values is not None:
        accepted = ", ".join(quote_literal(v) for v in column.values)
        checks.append(
            Check(
                "unknown_enum",
                # not `not in (...)`: DuckDB plans a long IN list as a join, and a join does not keep the
                # reader's row order that the fast path's line numbers rest on (fast_path.keeps_reader_order)
                f"{c} is not null and list_position([{accepted}], {c}) is null",
                f"'{c}=' || {_shown(c)} || ' not in ({', '.join(column.values)})'",
            )
        )
    if column.pattern is not None:
        checks.append(
            Check(
                "invalid_format",
                f"{c} is not null and not regexp_full_match({c}, {quote_literal(column.pattern)})",
                f"'{c}=' || {_shown(c)} || ' does not match {column.pattern.replace(chr(39), '')}'",
            )
        )
    return checks


def column_checks(table: Table, file_format: str) -> list[Check]:
    """Checks on one record's values, in the order their rules are reported."""
    checks = [
        Check("null_key", f"{table.key} is null", f"'{table.key} is null'"),
        Check("null_updated_at", "updated_at is null", "'updated_at is null'"),
    ]
    for column in table.columns:
        checks += _type_checks(column, file_format)
        if column.kind == "timestamp":
            checks += _timestamp_checks(column)
        checks += _value_checks(column)
    checks.append(
        Check(
            "updated_at_after_file_day",
            "updated_at__iso and not updated_at__bare "
            "and updated_at__ts >= (_export_date + 1)::timestamp at time zone 'UTC'",
            "'updated_at=' || "
            + _shown("updated_at")
            + " || ' is after the end of ' || strftime(_export_date, '%Y-%m-%d') || ' UTC'",
        )
    )
    return checks


def breaks_any_sql(table: Table, file_format: str) -> str:
    """True when a parsed record breaks a value rule (``column_checks``): what
    ``failures_sql`` would list for it, less the parse and duplicate rules.
    Needs the ``helpers_sql`` columns and ``_export_date``."""
    return (
        "coalesce(" + "\n or ".join(f"({check.condition})" for check in column_checks(table, file_format)) + ", false)"
    )


def failures_sql(table: Table, file_format: str) -> str:
    """A DuckDB list of every rule the record breaks (parse, value and duplicate rules).

    Needs the ``helpers_sql`` columns, ``_export_date`` and ``_key_count``."""
    cases = [
        "case when _parse_rule is not null then _parse_rule || ': ' || coalesce(_parse_detail, '') end",
    ]
    cases += [
        f"case when _parse_rule is null then {check.as_case()} end" for check in column_checks(table, file_format)
    ]
    cases.append(
        "case when _parse_rule is null and _key_count > 1 then "
        f"'duplicate_key_in_file: {table.key}=' || {_shown(table.key)} || ' occurs ' || _key_count || ' times in this file' end"
    )
    return "list_filter([\n    " + ",\n    ".join(cases) + "\n  ], lambda f: f is not null)"


def typed_value_sql(column: Column) -> str:
    """Cast a validated text value to the raw table's column type."""
    c = column.name
    if column.kind == "integer":
        return f"cast({c} as bigint)"
    if column.kind == "boolean":
        return f"cast({c} as boolean)"
    if column.kind == "decimal":
        return f"cast({c} as decimal(18, 2))"
    if column.kind == "number":
        return f"cast({c} as double)"
    return c
