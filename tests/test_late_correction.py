"""A late correction to an old day reaches every mart: a re-run of that day equals a rebuild from scratch.

On a copy of the bundled sample's warehouse (built up to 2026-11-14), two
files of an old day, OLD_DAY, are re-delivered with one record corrected in
each: a QA review's overall score (a review whose only version is in that
file, so the correction is its current state) and an order's amount. `trustqa materialize --partition OLD_DAY` then runs that day
again. Every mart must then hold exactly the rows of a fresh build of the
corrected folder (load times aside), and the marts that read the two
records must have changed. The order's correction is to its first version
(placed on OLD_DAY; later versions in later files keep the old amount): it
reaches the features only through the history of versions.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.conftest import SEEDS, materialize
from tests.test_operations import marts_of

pytestmark = pytest.mark.slow

OLD_DAY = "2026-10-20"
CORRECTED_SCORE = 5.0
CORRECTED_AMOUNT = "999.99"


def only_version_in(folder: Path, day_file: Path, records_of, key: str) -> str:
    """A key whose only record in the table's files is in ``day_file`` (its current state comes from there)."""
    counts: dict[str, int] = {}
    for path in sorted(folder.iterdir()):
        for record in records_of(path):
            counts[record[key]] = counts.get(record[key], 0) + 1
    return next(r[key] for r in records_of(day_file) if counts[r[key]] == 1)


def reviews_in(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def orders_in(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def same_value(a: object, b: object) -> bool:
    """Floats equal to 1e-9 relative: a mean summed in another order differs in its last bits (94.32 against
    94.32000000000001), which is not a difference in the data. Everything else exactly."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def differing_marts(a: dict[str, list[tuple]], b: dict[str, list[tuple]]) -> list[str]:
    """The marts whose rows differ, rows matched by their values other than floats (a mart's grain)."""

    def by_grain(rows: list[tuple]) -> list[tuple]:
        return sorted(rows, key=lambda row: repr(tuple(None if isinstance(v, float) else v for v in row)))

    def same_rows(x: list[tuple], y: list[tuple]) -> bool:
        return len(x) == len(y) and all(
            len(r) == len(q) and all(same_value(u, v) for u, v in zip(r, q, strict=True))
            for r, q in zip(by_grain(x), by_grain(y), strict=True)
        )

    return [name for name in a if not same_rows(a[name], b[name])]


def correct_review(path: Path, review_id: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    corrected = []
    for line in lines:
        record = json.loads(line) if line.strip() else None
        if record is not None and record["review_id"] == review_id:
            record["overall_score"] = CORRECTED_SCORE
            line = json.dumps(record, separators=(",", ":"))
        corrected.append(line)
    path.write_text("\n".join(corrected) + "\n", encoding="utf-8")


def correct_order(path: Path, order_id: str) -> None:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    for row in rows:
        if row["order_id"] == order_id:
            row["amount_usd"] = CORRECTED_AMOUNT
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


@dataclass
class Corrected:
    review_id: str
    order_id: str
    rerun: Path  # the sample's warehouse after the re-run of OLD_DAY
    rebuilt: Path  # a fresh build of the corrected folder


@pytest.fixture(scope="module")
def corrected(sample_warehouse, tmp_path_factory) -> Corrected:
    root = tmp_path_factory.mktemp("late_correction")
    exports = root / "exports"
    shutil.copytree(SEEDS, exports)
    reviews, orders = exports / "support" / "qa_reviews", exports / "marketplace" / "orders"
    review_file, order_file = reviews / f"{OLD_DAY}.jsonl", orders / f"{OLD_DAY}.csv"
    review_id = only_version_in(reviews, review_file, reviews_in, "review_id")
    # the first version of an order placed on OLD_DAY and not cancelled (the features count it): its later
    # versions keep the old amount, so the correction changes the features of the days before they arrive
    order_id = next(
        r["order_id"] for r in orders_in(order_file) if r["status"] == "placed" and r["placed_at"].startswith(OLD_DAY)
    )
    correct_review(review_file, review_id)
    correct_order(order_file, order_id)

    rerun, home = root / "rerun" / "trustqa.duckdb", root / "rerun" / "dagster_home"
    rerun.parent.mkdir()
    shutil.copyfile(sample_warehouse.path, rerun)
    shutil.copytree(sample_warehouse.dagster_home, home)
    done = materialize(exports, rerun, home, "--partition", OLD_DAY)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    rebuilt = root / "rebuilt" / "trustqa.duckdb"
    rebuilt.parent.mkdir()
    (rebuilt.parent / "dagster_home").mkdir()
    done = materialize(exports, rebuilt, rebuilt.parent / "dagster_home")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return Corrected(review_id, order_id, rerun, rebuilt)


def test_the_rerun_of_the_corrected_day_equals_a_rebuild(corrected: Corrected) -> None:
    rerun, rebuilt = marts_of(corrected.rerun), marts_of(corrected.rebuilt)
    assert set(rerun) == set(rebuilt)
    assert differing_marts(rerun, rebuilt) == []


def test_the_correction_reached_the_marts_that_read_it(corrected: Corrected, sample_warehouse) -> None:
    with duckdb.connect(str(corrected.rerun), read_only=True) as con:
        score = con.execute(
            "select overall_score from marts.fct_qa_reviews where review_id = ?", [corrected.review_id]
        ).fetchone()
    assert score == (CORRECTED_SCORE,)
    changed = set(differing_marts(marts_of(corrected.rerun), marts_of(sample_warehouse.path)))
    # the review's score: the review mart, the daily QA scores, the weekly shifts of its week and later
    assert {"fct_qa_reviews", "fct_qa_scores_daily", "fct_metric_shifts_weekly"} <= changed
    # the order's amount: the buyer's and the seller's features from the order's day on
    assert "fct_user_risk_features_daily" in changed
