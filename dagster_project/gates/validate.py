"""Run gate suites in the warehouse with Great Expectations and read the outcomes.

One ephemeral GX context per call: a read-only DuckDB datasource (see
``gx_duckdb``), one table asset, batch definition, validation definition and
checkpoint per suite; every expectation runs as SQL in DuckDB
(``validate_snowflake``: the same suites, as SQL in Snowflake). Outcomes keep
each expectation's observed value, unexpected count and a few offending rows
restricted to the suite's key columns (never other columns, so no PII).
When ``docs_dir`` is given, GX Data Docs (HTML) are written there.

With a ``window`` (the export days of a partitioned run), a suite that can
be restricted validates a batch of a query asset instead (the rows the run
could have changed, selected in the warehouse: ``GateSuite.restrict``);
without one, every suite validates its whole table.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dagster_project.gates.outcomes import SAMPLE_ROWS, WHOLE_TABLE, ExpectationOutcome, SuiteOutcome
from expectations.suite import GateSuite, Restricted, Window

DOCS_SITE = "trustqa_gates"


def _error(result: Any) -> str | None:
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    messages = [
        str(v.get("exception_message")) for v in info.values() if isinstance(v, dict) and v.get("raised_exception")
    ]
    return "; ".join(messages) or None


def _sample_rows(result: dict[str, Any], keys: Sequence[str]) -> list[dict[str, Any]]:
    rows = result.get("partial_unexpected_index_list") or result.get("unexpected_index_list") or []
    if not rows:  # custom SQL rules return their own (key-only) rows
        rows = (result.get("details") or {}).get("unexpected_rows") or []
        return [{k: _plain(v) for k, v in dict(row).items()} for row in rows[:SAMPLE_ROWS]]
    return [{k: _plain(row.get(k)) for k in keys if k in row} for row in rows[:SAMPLE_ROWS]]


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (int, float, str, bool)) else str(value)


def _count(value: Any) -> int | None:
    """Unexpected count as an int (snowflake-sqlalchemy returns it as a float)."""
    return None if value is None else int(value)


def _outcome(result: Any, keys: Sequence[str]) -> ExpectationOutcome:
    config = result.expectation_config
    details = result.result or {}
    error = _error(result)
    return ExpectationOutcome(
        gate=(config.meta or {}).get("gate", config.type),
        expectation_type=config.type,
        blocking=str(getattr(config.severity, "value", config.severity)) == "critical",
        success=bool(result.success) and error is None,
        observed_value=_plain(details.get("observed_value")),
        unexpected_count=_count(details.get("unexpected_count")),
        sample_rows=_sample_rows(details, keys),
        error=error,
    )


def _context(docs_dir: Path | None) -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    for site in list(context.get_site_names()):
        context.delete_data_docs_site(site)
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
        context.add_data_docs_site(
            site_name=DOCS_SITE,
            site_config={
                "class_name": "SiteBuilder",
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            },
        )
    return context


def validate_duckdb(
    duckdb_path: Path, suites: Sequence[GateSuite], docs_dir: Path | None = None, window: Window | None = None
) -> list[SuiteOutcome]:
    """Validate every suite against its table in the DuckDB file (opened read-only); ``window``: see the module."""
    from dagster_project.gates import gx_duckdb
    from dagster_project.settings import settings

    search_path = ",".join(dict.fromkeys(s.schema for s in suites))
    with gx_duckdb.session(search_path):
        context = _context(docs_dir)
        datasource = context.data_sources.add_duckdb(
            name="warehouse",
            connection_string=f"duckdb:///{duckdb_path}",
            kwargs={"connect_args": {"read_only": True, "config": settings().duckdb_config()}},
        )
        try:
            outcomes = [_validate_suite(context, datasource, suite, window) for suite in suites]
            if docs_dir is not None:
                context.build_data_docs(site_names=[DOCS_SITE])
        finally:
            datasource.get_engine().dispose()  # the datasource's own engine (connection tests, look-ups)
    return outcomes


def validate_snowflake(
    suites: Sequence[GateSuite],
    settings: Any | None = None,
    docs_dir: Path | None = None,
    window: Window | None = None,
) -> list[SuiteOutcome]:
    """Validate every suite against its table in the Snowflake database of ``settings``
    (a :class:`dagster_project.snowflake.settings.SnowflakeSettings`; default: from the environment);
    ``window``: see the module."""
    from dagster_project.settings import snowflake_settings

    settings = settings or snowflake_settings()
    context = _context(docs_dir)
    datasource = context.data_sources.add_snowflake(
        name="warehouse",
        # the URL needs a schema; each table asset names its own
        connection_string=settings.sqlalchemy_url(suites[0].schema if suites else "public"),
        kwargs={"connect_args": settings.connect_args()},
    )
    try:
        outcomes = [_validate_suite(context, datasource, suite, window) for suite in suites]
        if docs_dir is not None:
            context.build_data_docs(site_names=[DOCS_SITE])
    finally:
        datasource.get_engine().dispose()
    return outcomes


def _lookup(datasource: Any) -> Any:
    """One row of a query on the datasource's own engine; None when the query fails (a table not built yet)."""
    import sqlalchemy as sa

    def lookup(query: str) -> tuple[Any, ...] | None:
        try:
            with datasource.get_engine().connect() as connection:
                row = connection.execute(sa.text(query)).fetchone()
                return None if row is None else tuple(row)
        except sa.exc.SQLAlchemyError:
            return None

    return lookup


def _restricted(datasource: Any, suite: GateSuite, window: Window | None) -> Restricted | None:
    if window is None or suite.restrict is None:
        return None
    return suite.restrict(suite, window, _lookup(datasource))


def _validate_suite(context: Any, datasource: Any, suite: GateSuite, window: Window | None) -> SuiteOutcome:
    import great_expectations as gx

    restricted = _restricted(datasource, suite, window)
    if restricted is None:
        scope, expectations = WHOLE_TABLE, suite.build()
        asset = datasource.add_table_asset(name=suite.name, table_name=suite.table, schema_name=suite.schema)
    else:
        scope, expectations = restricted.scope, restricted.expectations
        asset = datasource.add_query_asset(name=suite.name, query=restricted.query)
    batch = asset.add_batch_definition_whole_table(f"{suite.name} ({scope})")
    gx_suite = context.suites.add(gx.ExpectationSuite(name=suite.name, expectations=expectations))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"{suite.name} gate",
            validation_definitions=[definition],
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": list(suite.key_columns),
                "partial_unexpected_count": SAMPLE_ROWS,
                "return_unexpected_index_query": False,
            },
        )
    )
    run = checkpoint.run()
    results = [r for validation in run.run_results.values() for r in validation.results]
    return SuiteOutcome(
        suite.name, suite.layer, suite.asset_key_path, [_outcome(r, suite.key_columns) for r in results], scope
    )
