"""``trustqa export-sor --since D1 --until D2 --out FILE``: statements of reasons as JSON Lines for the DSA
Transparency Database (docs/dsa.md, "The export").

Reads ``marts.dsa_statements_of_reasons`` (the analysts' published copy, or
``--warehouse FILE``, or the ``marts`` schema on Snowflake) for the actions
applied from D1 to D2 inclusive, turns each row into the API's shape and
validates every statement against the project's JSON Schema. One invalid
statement refuses the whole export (exit 2) naming each action and field,
and nothing is written; a valid export replaces FILE atomically, one
statement per line, so a partial file never exists.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TextIO

from dagster_project.dsa.statements import invalid_statements, statement_of
from dagster_project.insights.mart_reader import marts_reader
from dagster_project.scorecard.writer import write_atomically
from dagster_project.settings import Settings

STATEMENTS = "marts.dsa_statements_of_reasons"
MAX_PROBLEMS_SHOWN = 20


def run_export(
    config: Settings, since: dt.date, until: dt.date, out_path: Path, warehouse: Path | None, out: TextIO, err: TextIO
) -> int:
    """Write the period's statements to ``out_path``; 0, or 2 with the reasons when nothing was written."""
    if until < since:
        print(f"trustqa export-sor: --until {until} is before --since {since}", file=err)
        return 2
    read, path = marts_reader(config, warehouse)
    if read is None:
        print(f"trustqa export-sor: no marts at {path}; run `trustqa materialize` first", file=err)
        return 2
    rows = read(
        f"select * from {STATEMENTS} where application_date between date '{since.isoformat()}' "
        f"and date '{until.isoformat()}' order by application_date, puid"
    )
    statements = [statement_of(row) for row in rows]
    problems = invalid_statements(statements)
    if problems:
        print(
            f"trustqa export-sor: {len(problems)} problem(s) in {len(statements)} statements; nothing written:",
            file=err,
        )
        for line in problems[:MAX_PROBLEMS_SHOWN]:
            print(f"  {line}", file=err)
        if len(problems) > MAX_PROBLEMS_SHOWN:
            print(f"  ... and {len(problems) - MAX_PROBLEMS_SHOWN} more", file=err)
        return 2
    write_atomically(out_path, "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in statements))
    print(f"{len(statements)} statements of reasons ({since} .. {until}) written to {out_path}", file=out)
    return 0
