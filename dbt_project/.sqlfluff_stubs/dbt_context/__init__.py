"""Stand-ins for the dbt context that sqlfluff's plain jinja templater lacks.

Loaded through `library_path` in dbt_project/.sqlfluff: every public name
here becomes a jinja global while sqlfluff renders a model (never used by
dbt itself). They render the duckdb flavour of the cross-database macros as
ordinary function calls, and behave as at dbt parse time (`execute` false,
no vars passed), so the project's own macros render without a database.
"""

import datetime as _datetime
import re as _re
from types import SimpleNamespace as _Namespace

import jinja2 as _jinja2

execute = False
project_name = "trustqa"
target = _Namespace(type="duckdb", name="dev", schema="main", database="trustqa")
run_started_at = _datetime.datetime(2000, 1, 1)
modules = _Namespace(datetime=_datetime, re=_re)
graph = _Namespace(nodes={}, sources={})


class _Config:
    """config(): remembers what the model set, for config.get / config.require."""

    def __init__(self):
        self._values = {}

    def __call__(self, *args, **kwargs):
        self._values.update(kwargs)
        return ""

    def get(self, name, default=None):
        return self._values.get(name, default)

    def require(self, name):
        if name not in self._values:
            raise RuntimeError(f"config {name} is required")
        return self._values[name]


# Rebuilt for every file sqlfluff renders (it re-imports this module).
config = _Config()


def var(name, default=None):
    """No vars passed on the command line: the default."""
    return default


def env_var(name, default=""):
    """Unset environment variable: the default."""
    return default


def _raise_compiler_error(message):
    raise RuntimeError(message)


exceptions = _Namespace(raise_compiler_error=_raise_compiler_error)


@_jinja2.pass_context
def _dispatch(context, macro_name, macro_namespace=None):
    """adapter.dispatch: the duckdb__ implementation, else default__."""
    for prefix in ("duckdb__", "default__"):
        macro = context.get(prefix + macro_name)
        if macro is not None:
            return macro
    raise RuntimeError(f"no duckdb__ or default__ implementation of {macro_name}")


def _get_columns_in_relation(relation):
    """adapter.get_columns_in_relation: no database at parse time, no columns."""
    return []


adapter = _Namespace(dispatch=_dispatch, get_columns_in_relation=_get_columns_in_relation)


def _dateadd(datepart, interval, from_date_or_timestamp):
    return f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"


def _datediff(first_date, second_date, datepart):
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def _date_trunc(datepart, date):
    return f"date_trunc('{datepart}', {date})"


def _listagg(measure, delimiter_text="','", order_by_clause=None, limit_num=None):
    order_by = f" {order_by_clause}" if order_by_clause else ""
    return f"string_agg({measure}, {delimiter_text}{order_by})"


def _hash(field):
    return f"md5(cast({field} as varchar))"


dbt = _Namespace(
    dateadd=_dateadd,
    hash=_hash,
    datediff=_datediff,
    date_trunc=_date_trunc,
    listagg=_listagg,
)
