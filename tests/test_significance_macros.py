"""The significance macros (dbt_project/macros/metrics/significance.sql), rendered and run in DuckDB.

Reference values: the normal upper tail from SciPy (``scipy.stats.norm.sf``,
written here as literals), Benjamini-Hochberg worked by hand.
"""

from __future__ import annotations

import duckdb
import jinja2
import pytest

from dagster_project.settings import DBT_PROJECT_DIR

MACROS = (DBT_PROJECT_DIR / "macros" / "metrics" / "significance.sql").read_text()


def macro(name: str):
    return getattr(jinja2.Environment().from_string(MACROS).module, name)


def scalar(sql: str) -> float | None:
    with duckdb.connect() as con:
        return con.execute(f"select {sql}").fetchone()[0]


# scipy.stats.norm.sf(x) (SciPy 1.17.1)
UPPER_TAIL = [
    (0.0, 0.5),
    (0.5, 0.3085375387259869),
    (1.0, 0.15865525393145707),
    (1.96, 0.024997895148220435),
    (-1.96, 0.024997895148220435),
    (2.5758, 0.00500042373777868),
    (3.0, 0.0013498980316300933),
    (5.0, 2.866515718791933e-07),
    (7.0, 1.279812543885835e-12),
    (7.5, 3.1908916729108844e-14),  # the continued-fraction branch
    (10.0, 7.61985302416047e-24),
]


@pytest.mark.parametrize(("x", "expected"), UPPER_TAIL)
def test_the_normal_upper_tail_matches_scipy(x: float, expected: float) -> None:
    assert scalar(str(macro("normal_upper_tail")(f"{x}::double"))) == pytest.approx(expected, rel=1e-9, abs=1e-14)


def test_two_sided_p_values_and_null() -> None:
    p_value = macro("two_sided_p_value")
    assert scalar(str(p_value("1.96::double"))) == pytest.approx(0.04999579029644087, rel=1e-9)
    assert scalar(str(p_value("0.0::double"))) == 1.0
    assert scalar(str(p_value("null::double"))) is None
    assert scalar(str(p_value("40.0::double"))) == 0.0


def test_benjamini_hochberg_by_hand() -> None:
    # partition a: p sorted 0.005, 0.01, 0.03, 0.04, 0.20 (m = 5); m p / rank = 0.025, 0.025, 0.05, 0.05, 0.2;
    # q = running minimum from the largest rank down: 0.025, 0.025, 0.05, 0.05, 0.2
    # partition b: tied 0.02, 0.02 (m = 2, the null is not a test): 0.04, 0.02 -> q = 0.02, 0.02; null -> null
    rows = [("a", 1, 0.01), ("a", 2, 0.04), ("a", 3, 0.03), ("a", 4, 0.005), ("a", 5, 0.20)]
    rows += [("b", 1, 0.02), ("b", 2, 0.02), ("b", 3, None)]
    values = ", ".join(f"('{g}', {i}, {'null' if p is None else p})" for g, i, p in rows)
    relation = f"(select * from (values {values}) as v(grp, id, p))"
    query = macro("benjamini_hochberg")(relation, "p", ["grp"])
    with duckdb.connect() as con:
        got = dict(
            ((g, i), q) for g, i, q in con.execute(f"select grp, id, q_value from ({query}) order by 1, 2").fetchall()
        )
    expected = {
        ("a", 1): 0.025, ("a", 2): 0.05, ("a", 3): 0.05, ("a", 4): 0.025, ("a", 5): 0.2,
        ("b", 1): 0.02, ("b", 2): 0.02, ("b", 3): None,
    }  # fmt: skip
    assert got.keys() == expected.keys()
    for key, q in expected.items():
        assert got[key] == (None if q is None else pytest.approx(q)), key
