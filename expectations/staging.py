"""Staging-layer suites: one per staging model (an incremental table of typed current state, one row per key).

Every suite: key not null and unique after dedupe, accepted values for every
enum column of the contract, and a warning when the same key and
``updated_at`` arrive in two export files (a tie the version order settles
by file date, but usually a re-sent record). Plus, per table, the business
rules of ``docs/exports.md`` that are not load rules and the references the
marts rely on (:data:`REFERENCES`).

A reference to a user, order, ticket, action or agent that staging does not
know (yet) is normal in change feeds (the parent arrives in a later file),
and the marts take such rows as the metric contract says (null attributes),
so each reference is two expectations: ``<column> references <parent>``, a
warning that counts the rows and shows examples, and ``unknown <column>
share at most <S> or under <N> rows``, an error when more than the share S
of the validated rows name an unknown parent (``TRUSTQA_MAX_UNKNOWN_REFERENCE_SHARE``,
:attr:`dagster_project.settings.Settings.max_unknown_reference_share`, read
when the suite is built, i.e. at every validation) and at least
N = :data:`MIN_UNKNOWN_ROWS_TO_BLOCK` rows do. The minimum keeps a small
batch (a nightly run's few ratings or disputes) from being blocked by one or
two late parents, while a systematic break (an id format change, a missing
export) names many and still blocks.

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
from dataclasses import dataclass
from decimal import Decimal

import great_expectations.expectations as gxe

from dagster_project.contract import TABLES, Table
from dagster_project.loading.raw_schema import RAW_SCHEMA
from dagster_project.settings import settings
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


@dataclass(frozen=True)
class Reference:
    """``<table>.<column>`` names a ``<parent_key>`` of ``staging.<parent>`` (when not null, and in the rows
    ``only`` selects: a SQL condition on the child row, aliased ``child``)."""

    table: str
    column: str
    parent: str
    parent_key: str
    only: str | None = None
    label: str | None = None  # what the gate names call the column (default: the column)

    @property
    def name(self) -> str:
        return self.label or self.column


USERS, ORDERS, ACTIONS = "stg_marketplace__users", "stg_marketplace__orders", "stg_marketplace__enforcement_actions"
TICKETS, AGENTS = "stg_support__tickets", "stg_support__agents"

# The references the marts rely on: the risk features' subjects and the records they attribute to them
# (users, a dispute's order), the actions appeals and audits belong to, the tickets ratings belong to, the
# agents the support marts are sliced by (dim_agents). Ids no mart joins (a report's reporter, a show, an
# action's deciding agent, a review's reviewer, reviews of tickets and appeals) are not checked.
REFERENCES: tuple[Reference, ...] = (
    Reference("orders", "buyer_id", USERS, "user_id"),
    Reference("orders", "seller_id", USERS, "user_id"),
    Reference("disputes", "order_id", ORDERS, "order_id"),
    Reference("reports", "reported_user_id", USERS, "user_id"),
    Reference("enforcement_actions", "user_id", USERS, "user_id"),
    Reference("appeals", "action_id", ACTIONS, "action_id"),
    Reference("tickets", "requester_user_id", USERS, "user_id"),
    Reference("tickets", "assignee_agent_id", AGENTS, "agent_id"),
    Reference("satisfaction_ratings", "ticket_id", TICKETS, "ticket_id"),
    Reference("qa_reviews", "agent_id", AGENTS, "agent_id"),
    Reference(
        "qa_reviews",
        "case_id",
        ACTIONS,
        "action_id",
        only="child.case_type = 'enforcement'",
        label="enforcement case_id",
    ),
)


# Unknown references block only when at least this many validated rows name an unknown parent (and they are
# more than the share): a handful of late parents in a small batch is a share above any sensible limit (1 of 4
# ratings is 25%) and normal; a broken feed leaves many rows unknown.
MIN_UNKNOWN_ROWS_TO_BLOCK = 10


def max_unknown_reference_share() -> float:
    """The blocking share of rows with an unknown reference, from the settings (read at every suite build)."""
    return settings().max_unknown_reference_share


def share_name(share: float) -> str:
    """A share as people read it in a gate name: 0.05 -> ``5%``."""
    return f"{share * 100:g}%"


def _share_literal(share: float) -> str:
    """The share as an exact decimal literal (``0.05``, never ``5e-02``): DuckDB and Snowflake compare it exactly."""
    return format(Decimal(repr(share)), "f")


def _unknown_rows(reference: Reference) -> str:
    """``from ... where ...`` of the batch's rows whose reference is not null and names no parent row."""
    only = f" and ({reference.only})" if reference.only else ""
    parent, key, column = f"{STAGING_SCHEMA}.{reference.parent}", reference.parent_key, reference.column
    return f"""from {{batch}} as child
        left join {parent} as parent on parent.{key} = child.{column}
        where child.{column} is not null and parent.{key} is null{only}"""


def share_gate_name(reference: Reference, max_share: float) -> str:
    """The blocking gate's name: ``unknown buyer_id share at most 5% or under 10 rows`` (what must hold)."""
    return f"unknown {reference.name} share at most {share_name(max_share)} or under {MIN_UNKNOWN_ROWS_TO_BLOCK} rows"


def _references(table: Table, reference: Reference, max_share: float) -> list[gxe.Expectation]:
    """A warning listing the batch's rows with an unknown reference, and an error when they are more than
    ``max_share`` of the batch's rows and at least :data:`MIN_UNKNOWN_ROWS_TO_BLOCK` (the parent is looked up in
    the whole staging table)."""
    parent = f"{STAGING_SCHEMA}.{reference.parent}"
    counted = no_rows(
        f"{reference.name} references {reference.parent}",
        f"every non-null {reference.name} is a {reference.parent_key} of {parent} "
        "(rows naming one not known yet are reported, not blocked)",
        f"select child.{table.key}, child.{reference.column}\n        {_unknown_rows(reference)}",
        severity=WARNING,
    )
    share = no_rows(
        share_gate_name(reference, max_share),
        f"at most {share_name(max_share)} of the validated rows name a {reference.parent_key} not in {parent} "
        f"(TRUSTQA_MAX_UNKNOWN_REFERENCE_SHARE), or fewer than {MIN_UNKNOWN_ROWS_TO_BLOCK} rows do",
        f"""
        select unknown_references.unknown_rows, validated.validated_rows
        from (select count(*) as unknown_rows {_unknown_rows(reference)}) as unknown_references
        cross join (select count(*) as validated_rows from {{batch}}) as validated
        where unknown_references.unknown_rows >= {MIN_UNKNOWN_ROWS_TO_BLOCK}
          and unknown_references.unknown_rows > {_share_literal(max_share)} * validated.validated_rows
        """,
    )
    return [counted, share]


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


# Business rules per table (beyond the generic ones and the references).
TABLE_RULES: dict[str, Callable[[], list[gxe.Expectation]]] = {
    "orders": lambda: [between("amount_usd", 0, None)],
    "enforcement_actions": lambda: [not_before("reversed_at", "created_at")],
    "appeals": lambda: [
        not_before("decided_at", "submitted_at"),
        no_rows(
            "outcome present exactly when decided",
            "an appeal has an outcome if and only if it has decided_at",
            "select appeal_id from {batch} where (outcome is null) <> (decided_at is null)",
        ),
    ],
    "tickets": lambda: [not_before("solved_at", "created_at")],
    "satisfaction_ratings": lambda: [between("score", 1, 5)],
    "qa_reviews": lambda: [between("overall_score", 0, 100)],
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
    loaded after ``loaded_after`` (a timestamp literal). The unknown-reference share is over the batch."""
    key_unique = unique(table.key) if relation is None else _unique_in_table(table.key, relation)
    expectations = [not_null(table.key), key_unique]
    expectations += [accepted_values(name, values) for name, values in _enum_values(table)]
    expectations.append(_same_version_in_two_files(table, loaded_after))
    expectations += TABLE_RULES.get(table.name, list)()
    references = [r for r in REFERENCES if r.table == table.name]
    if references:
        max_share = max_unknown_reference_share()
        for reference in references:
            expectations += _references(table, reference, max_share)
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
