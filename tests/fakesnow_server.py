"""Run a fakesnow (Snowflake emulator) server for tests/test_snowflake.py: ``python fakesnow_server.py PORT``.

Pinned to fakesnow 0.12.1 (it patches two internals), with two workarounds:

1. An unhandled emulator error is answered as an ordinary SQL error (HTTP 200,
   success=false) instead of HTTP 500, which snowflake-connector-python
   retries for minutes, so an emulator gap fails fast with its message.
2. ``create [or replace] temporary table DB.SCHEMA.T`` (dbt unit tests and
   incremental temp relations): DuckDB only allows unqualified temporary
   tables, so it is created as an ordinary table (dbt drops it afterwards).

One in-memory database per server process: start one per test session.
"""

from __future__ import annotations

import sys
from importlib.metadata import version

FAKESNOW_VERSION = "0.12.1"


def _patch() -> None:
    import fakesnow.server as server
    from fakesnow.cursor import FakeSnowflakeCursor
    from sqlglot import exp

    class FailFastError(server.ServerError):
        def __init__(self, status_code: int, code: str, message: str):
            super().__init__(200 if status_code == 500 else status_code, code, message)

    server.ServerError = FailFastError
    transform = FakeSnowflakeCursor._transform

    def transform_qualified_temp_as_table(self, expression, params):
        if isinstance(expression, exp.Create) and expression.kind == "TABLE":
            table = expression.find(exp.Table)
            props = expression.args.get("properties")
            if table is not None and table.args.get("catalog") and props is not None:
                for prop in list(props.expressions):
                    if isinstance(prop, exp.TemporaryProperty):
                        prop.pop()
        return transform(self, expression, params)

    FakeSnowflakeCursor._transform = transform_qualified_temp_as_table


def main(port: int) -> None:
    installed = version("fakesnow")
    if installed != FAKESNOW_VERSION:
        raise SystemExit(
            f"tests/fakesnow_server.py patches fakesnow {FAKESNOW_VERSION} internals; installed: {installed}"
        )
    _patch()
    import fakesnow.server as server
    import uvicorn

    uvicorn.run(server.app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(int(sys.argv[1]))
