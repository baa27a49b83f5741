"""What a gate is: a named GX expectation suite on one warehouse table.

Every expectation carries ``meta.gate``, a short name that the Dagster check
metadata and the ``trustqa materialize`` gate table print, and a severity:
GX ``critical`` (an error: the gate fails and blocks everything downstream)
or ``warning`` (reported, never blocking).

A run over a partition window (:class:`Window`, the export days it loads)
validates only what it could have changed: a suite with ``restrict``
returns a :class:`Restricted` batch (a query over its table, run in the
warehouse) and the expectations to run on it; without ``restrict``, or
when ``restrict`` returns ``None``, the suite validates its whole table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import great_expectations.expectations as gxe

LAYERS = ("raw", "staging", "marts")
ERROR = "critical"
WARNING = "warning"


@dataclass(frozen=True)
class Window:
    """The export days a run covers, both ends included."""

    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"empty window {self.first} .. {self.last}")


@dataclass(frozen=True)
class Restricted:
    """A suite restricted to what a run could have changed: the rows to validate and the expectations on them."""

    query: str  # selects the rows to validate from the suite's table (plain SQL, run in the warehouse)
    scope: str  # what the rows are, for people ("export days 2025-12-30 .. 2025-12-31")
    expectations: list[gxe.Expectation]


# One row from the warehouse (a tuple), or None when the query fails (a table not built yet).
Lookup = Callable[[str], "tuple[Any, ...] | None"]


@dataclass(frozen=True)
class GateSuite:
    """A suite on ``<schema>.<table>``; ``build()`` returns fresh GX expectations on the whole table.

    ``restrict(suite, window, lookup)``, when set, returns the suite restricted
    to what a run over ``window`` could have changed (``lookup`` reads the
    few values that takes from the warehouse), or ``None`` for the whole table.
    """

    layer: str
    schema: str
    table: str
    key_columns: tuple[str, ...]
    build: Callable[[], list[gxe.Expectation]]
    restrict: Callable[[GateSuite, Window, Lookup], Restricted | None] | None = None

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def asset_key_path(self) -> tuple[str, str]:
        """The Dagster asset key of the gated table (``<layer>/<table>``)."""
        return (self.schema, self.table)


def gate(expectation: gxe.Expectation, name: str, severity: str = ERROR) -> gxe.Expectation:
    """Name an expectation (``meta.gate``) and set its severity."""
    expectation.meta = {**(expectation.meta or {}), "gate": name}
    expectation.severity = severity  # type: ignore[assignment]
    return expectation


def not_null(column: str) -> gxe.Expectation:
    return gate(gxe.ExpectColumnValuesToNotBeNull(column=column), f"{column} not null")


def unique(column: str) -> gxe.Expectation:
    return gate(gxe.ExpectColumnValuesToBeUnique(column=column), f"{column} unique")


def unique_together(columns: Sequence[str], name: str | None = None) -> gxe.Expectation:
    return gate(
        gxe.ExpectCompoundColumnsToBeUnique(column_list=list(columns)),
        name or f"({', '.join(columns)}) unique",
    )


def accepted_values(column: str, values: Sequence[Any]) -> gxe.Expectation:
    return gate(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values)), f"{column} accepted values")


def between(column: str, low: float | None, high: float | None, severity: str = ERROR) -> gxe.Expectation:
    if low is not None and high is not None:
        name = f"{column} in {low:g}..{high:g}"
    else:
        name = f"{column} >= {low:g}" if low is not None else f"{column} <= {high:g}"
    return gate(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high), name, severity)


def not_before(later: str, earlier: str) -> gxe.Expectation:
    """``later >= earlier`` where both are present."""
    return gate(
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=later, column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing"
        ),
        f"{later} >= {earlier}",
    )


def no_rows(name: str, description: str, query: str, severity: str = ERROR) -> gxe.Expectation:
    """A rule written as SQL that selects the offending rows (keys only); ``{batch}`` is the gated table."""
    return gate(gxe.UnexpectedRowsExpectation(description=description, unexpected_rows_query=query), name, severity)


def date_literal(day: dt.date) -> str:
    """A date literal DuckDB and Snowflake both read."""
    return f"cast('{day.isoformat()}' as date)"


def timestamp_literal(value: Any) -> str:
    """A timestamp literal (no time zone, microseconds kept) DuckDB and Snowflake both read."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        raise TypeError(f"not a timestamp: {value!r}")
    return f"cast('{value.replace(tzinfo=None).isoformat(sep=' ', timespec='microseconds')}' as timestamp)"


def loaded_through(lookup: Lookup, relation: str) -> Any | None:
    """The latest ``_loaded_at`` in ``relation``; None when it is empty or not built yet."""
    row = lookup(f"select max(_loaded_at) from {relation}")
    return row[0] if row else None
