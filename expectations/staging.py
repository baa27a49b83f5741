"""Staging-layer suites: one per staging model (an incremental table of typed current state, one row per key).

Every suite: key not null and unique after dedupe, accepted values for every
enum column of the contract, and a warning when the same key and
``updated_at`` arrive in two export files (a tie the version order settles
by file date, but usually a re-sent record). Plus, per table, the business
rules of ``docs/exports.md`` that are not load rules and the referential
integrity the marts rely on.

Restricted (a run over a window of export days, :func:`restrict`): the
rows loaded after the latest ``_loaded_at`` of the table's history
(``intermediate.int_<table>_history``, built only after the table's gates
passed), i.e. the rows the runs since the last accepted one changed: a
row changes when its key gets a new current version, and the row carries
that version's load time. The rules that compare a row with others still
read whole tables: the key must be unique in the whole table (so a new row
that duplicates an old one fails), references are looked up in the whole
parent table, re-sent versions in the whole raw table. With no history yet
(a first build), the whole table.
"""

from __future__ import annotations

from collections.abc import Callable

import great_expectations.expectations as gxe

from dagster_project.contract import TABLES, Table
from dagster_project.loading.raw_schema import RAW_SCHEMA
from expectations.raw import HISTORY
from expectations.suite import (
    WARNING,
    GateSuite,
    Lookup,
    Restricted,
    Window,
    accepted_values,
    between,
    loaded_through,
    no_rows,
    not_before,
    not_null,
    timestamp_literal,
    unique,
)

STAGING_SCHEMA = "staging"


def model_name(table: Table) -> str:
    return f"stg_{table.system}__{table.name}"


def _references(child_key: str, column: str, parent: str, parent_key: str) -> gxe.Expectation:
    return no_rows(
        f"{column} references {parent}",
        f"every non-null {column} is a {parent_key} of {STAGING_SCHEMA}.{parent}",
        f"""
        select child.{child_key}, child.{column}
        from {{batch}} as child
        left join {STAGING_SCHEMA}.{parent} as parent on parent.{parent_key} = child.{column}
        where child.{column} is not null and parent.{parent_key} is null
        """,
    )


def _same_version_in_two_files(table: Table, loaded_after: str | None = None) -> gxe.Expectation:
    """Versions of the batch's keys that arrived in two files.

    Restricted (``loaded_after``, a timestamp literal): versions that arrived
    after it and their twins, matched on (key, updated_at), so that only those
    versions are looked up in the whole raw table. A re-sent old version
    changes no staging row, so they are read from raw, with the current
    versions of the batch's rows (which arrived then too).
    """
    key, raw_table = table.key, f"{RAW_SCHEMA}.{table.name}"
    if loaded_after is None:
        arrived = f"versions.{key} in (select {key} from {{batch}})"
    else:
        arrived = f"""(versions.{key}, versions.updated_at) in (
            select arrived.{key}, arrived.updated_at
            from {raw_table} as arrived
            where arrived._loaded_at > {loaded_after}
            union all
            select current_version.{key}, current_version.updated_at
            from {raw_table} as current_version
            inner join {{batch}} as validated
                on validated.{key} = current_version.{key}
               and validated.export_date = current_version._export_date
               and validated._loaded_at = current_version._loaded_at
        )"""
    return no_rows(
        "no key re-sent with the same updated_at",
        "a key does not arrive in two export files with the same updated_at",
        f"""
        select versions.{key}, versions.updated_at, count(*) as files
        from {raw_table} as versions
        where {arrived}
        group by versions.{key}, versions.updated_at
        having count(*) > 1
        """,
        severity=WARNING,
    )


# Business rules and referential integrity per table (beyond the generic ones).
TABLE_RULES: dict[str, Callable[[], list[gxe.Expectation]]] = {
    "orders": lambda: [
        between("amount_usd", 0, None),
        _references("order_id", "buyer_id", "stg_marketplace__users", "user_id"),
        _references("order_id", "seller_id", "stg_marketplace__users", "user_id"),
    ],
    "enforcement_actions": lambda: [not_before("reversed_at", "created_at")],
    "appeals": lambda: [
        not_before("decided_at", "submitted_at"),
        no_rows(
            "outcome present exactly when decided",
            "an appeal has an outcome if and only if it has decided_at",
            "select appeal_id from {batch} where (outcome is null) <> (decided_at is null)",
        ),
        _references("appeal_id", "action_id", "stg_marketplace__enforcement_actions", "action_id"),
    ],
    "tickets": lambda: [not_before("solved_at", "created_at")],
    "satisfaction_ratings": lambda: [
        between("score", 1, 5),
        _references("rating_id", "ticket_id", "stg_support__tickets", "ticket_id"),
    ],
    "qa_reviews": lambda: [
        between("overall_score", 0, 100),
        _references("review_id", "agent_id", "stg_support__agents", "agent_id"),
    ],
}


def _enum_values(table: Table) -> list[tuple[str, list[object]]]:
    enums = []
    for column in table.columns:
        if column.values:
            values = [int(v) for v in column.values] if column.kind == "integer" else list(column.values)
            enums.append((column.name, values))
    return enums


def _unique_in_table(key: str, relation: str) -> gxe.Expectation:
    """``<key> unique`` for a batch of some rows of ``relation``: no key of the batch twice in the whole table."""
    return no_rows(
        f"{key} unique",
        f"no {key} of the validated rows appears twice in {relation}",
        f"""
        select {key}, count(*) as copies
        from {relation}
        where {key} in (select {key} from {{batch}})
        group by {key}
        having count(*) > 1
        """,
    )


def _build(table: Table, relation: str | None = None, loaded_after: str | None = None) -> list[gxe.Expectation]:
    """The suite on the whole table; restricted: ``relation`` is the whole table and the batch holds its rows
    loaded after ``loaded_after`` (a timestamp literal)."""
    key_unique = unique(table.key) if relation is None else _unique_in_table(table.key, relation)
    expectations = [not_null(table.key), key_unique]
    expectations += [accepted_values(name, values) for name, values in _enum_values(table)]
    expectations.append(_same_version_in_two_files(table, loaded_after))
    expectations += TABLE_RULES.get(table.name, list)()
    return expectations


def restrict(table: Table, suite: GateSuite, window: Window, lookup: Lookup) -> Restricted | None:
    """The rows (re)loaded since downstream last accepted the table; None: the whole table.

    ``window`` is not needed: what a run rebuilt follows from the load times.
    """
    accepted = loaded_through(lookup, HISTORY.format(table=table.name))
    if accepted is None:
        return None
    loaded_after = timestamp_literal(accepted)
    return Restricted(
        f"select * from {suite.name} where _loaded_at > {loaded_after}",
        f"rows loaded after {accepted}",
        _build(table, suite.name, loaded_after),
    )


def _suite(table: Table) -> GateSuite:
    return GateSuite(
        "staging",
        STAGING_SCHEMA,
        model_name(table),
        (table.key,),
        lambda: _build(table),
        lambda suite, window, lookup: restrict(table, suite, window, lookup),
    )


SUITES = [_suite(t) for t in TABLES]
