"""The sampling-plan macros (dbt_project/macros/metrics/sampling.sql), rendered and run in DuckDB.

Reference values: normal quantiles from SciPy (``scipy.stats.norm.ppf``,
written here as literals); sample sizes from the textbook example (Cochran,
*Sampling Techniques*, 3rd ed., 4.2: p = 0.5, e = 0.05 at 95% gives
n0 = 384.15, so 385 reviews; with N = 1,000, n = n0 / (1 + (n0 - 1) / N) =
277.7, so 278); the Wilson half-width worked by hand.
"""

from __future__ import annotations

import math

import duckdb
import jinja2
import pytest

from dagster_project.settings import DBT_PROJECT_DIR

MACROS = (DBT_PROJECT_DIR / "macros" / "metrics" / "sampling.sql").read_text()


def macro(name: str):
    return getattr(jinja2.Environment().from_string(MACROS).module, name)


def scalar(sql: str) -> float | None:
    with duckdb.connect() as con:
        return con.execute(f"select {sql}").fetchone()[0]


# scipy.stats.norm.ppf(p) (SciPy 1.17.1); 0.01 and 0.999 are in Acklam's tail branches
QUANTILES = [
    (0.5, 0.0),
    (0.9, 1.2815515655446004),
    (0.95, 1.6448536269514722),
    (0.975, 1.959963984540054),
    (0.995, 2.5758293035489004),
    (0.999, 3.090232306167813),
    (0.01, -2.3263478740408408),
]


@pytest.mark.parametrize(("p", "expected"), QUANTILES)
def test_the_normal_quantile_matches_scipy(p: float, expected: float) -> None:
    assert scalar(str(macro("normal_quantile")(f"{p}::double"))) == pytest.approx(expected, rel=2e-9, abs=1e-12)


def test_the_normal_quantile_is_null_outside_0_1() -> None:
    for p in ("0.0", "1.0", "null"):
        assert scalar(str(macro("normal_quantile")(f"{p}::double"))) is None


Z95 = macro("normal_quantile")("0.975::double")


def test_the_textbook_sample_sizes() -> None:
    size = macro("proportion_sample_size")
    # no finite-population correction to speak of: a population of 10^12
    assert scalar(str(size(Z95, "0.5", "0.05", "1e12"))) == 385
    assert scalar(str(size(Z95, "0.5", "0.05", "1000"))) == 278
    # a population smaller than n0 needs (nearly) all of it: n0 / (1 + (n0 - 1) / 50) = 44.3 -> 45
    assert scalar(str(size(Z95, "0.5", "0.05", "50"))) == 45
    # p = 0.9: n0 = 1.96^2 * 0.09 / 0.0025 = 138.3 -> 139
    assert scalar(str(size(Z95, "0.9", "0.05", "1e12"))) == 139
    assert scalar(str(size(Z95, "0.5", "0.05", "0"))) == 0
    assert scalar(str(size(Z95, "0.5", "0.05", "null"))) is None


def test_the_wilson_half_width_by_hand() -> None:
    # n = 100, p = 0.5, z = 1.959964: z / (1 + z^2/100) * sqrt(0.0025 + z^2 / 40000) = 0.0961...
    z = 1.959963984540054
    expected = z / (1 + z * z / 100) * math.sqrt(0.25 / 100 + z * z / 40000)
    assert expected == pytest.approx(0.09617, abs=1e-5)
    assert scalar(str(macro("wilson_half_width")(Z95, "0.5", "100"))) == pytest.approx(expected, rel=1e-8)
    assert scalar(str(macro("wilson_half_width")(Z95, "0.5", "0"))) is None
