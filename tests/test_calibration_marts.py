"""fct_calibration_agreement and fct_reviewer_calibration against a hand-made export folder.

docs/metrics.md "Calibration agreement" / "Reviewer calibration": calibration
reviews are current versions with sampling_method = 'calibration' and a
session id; a reviewer's latest review of a case in a session is the only one
that counts (latest by reviewed_at, then updated_at, then review_id). Units
are cases, coders are reviewers, nulls are missing values.

Krippendorff's alpha, nominal, coincidence-matrix method: every unit u with
m_u >= 2 values adds, for each ordered pair of values (c, k) from different
coders, 1 / (m_u - 1) to o_ck; n_c = sum_k o_ck, n = sum_c n_c, and

    alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c * n_k

Expected values are worked out by hand below (exact fractions) and checked
again with an independent pure-Python implementation of that formula, which
is itself checked against Krippendorff's published example (0.743).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from fractions import Fraction
from itertools import permutations
from pathlib import Path

import pytest

from tests.dbt_runner import Warehouse
from tests.export_builder import write_export
from tests.pipeline_runner import build_from_exports

pytestmark = pytest.mark.slow

T, F = True, False
ITEMS = ("policy_applied_correctly", "evidence_standard_met", "resolution_correct", "critical_error")
ITEM_KEYS = dict(zip("PERC", ITEMS, strict=False))


def review(
    review_id: str,
    reviewer_id: str,
    case_id: str,
    session: str | None,
    reviewed_at: str,
    updated_at: str | None = None,
    sampling_method: str = "calibration",
    case_type: str = "ticket",
    **items: bool | None,
) -> dict[str, object]:
    """A qa_reviews export row; items as P/E/R/C = policy, evidence, resolution, critical."""
    return {
        "review_id": review_id,
        "case_type": case_type,
        "case_id": case_id,
        "agent_id": "agent_reviewed",
        "reviewer_id": reviewer_id,
        "reviewed_at": reviewed_at,
        "rubric_version": "v3",
        "sampling_method": sampling_method,
        "calibration_session_id": session,
        **{ITEM_KEYS[key]: value for key, value in items.items()},
        "overall_score": 80,
        "updated_at": updated_at or reviewed_at,
    }


S1, S2 = "cal_s1", "cal_s2"
AT = "2026-11-10T09:00:00Z"

# Session cal_s1: reviewers r1..r3, ticket cases t1..t4 (- = null, missing):
#
#            policy       evidence     resolution   critical
#   case   r1  r2  r3   r1  r2  r3   r1  r2  r3   r1  r2  r3
#   t1      T   T   T    T   T   T    T   -   -    F   F   T
#   t2      T   F*  T    T   T   -    -   F   -    -   -   -
#   t3      F   F   -    F   -   -    -   -   -    -   -   -
#   t4      F   -   -    -   -   -    -   -   -    -   -   -
#
# * r2 reviewed t2 twice with the same reviewed_at; the review with the
#   later updated_at (policy F) wins over the earlier one (policy T).
DAY_1 = [
    review("s1_r1_t1", "r1", "t1", S1, AT, P=T, E=T, R=T, C=F),
    review("s1_r2_t1", "r2", "t1", S1, AT, P=T, E=T, C=F),
    review("s1_r3_t1", "r3", "t1", S1, AT, P=T, E=T, C=T),
    review("s1_r1_t2", "r1", "t2", S1, AT, P=T, E=T),
    review("s1_r2_t2_old", "r2", "t2", S1, AT, updated_at="2026-11-10T09:30:00Z", P=T, E=T, R=F),
    review("s1_r2_t2_new", "r2", "t2", S1, AT, updated_at="2026-11-10T10:00:00Z", P=F, E=T, R=F),
    review("s1_r3_t2", "r3", "t2", S1, AT, P=T),
    review("s1_r1_t3", "r1", "t3", S1, AT, P=F, E=F),
    review("s1_r2_t3", "r2", "t3", S1, AT, P=F),
    review("s1_r1_t4", "r1", "t4", S1, AT, P=F),
    # Not calibration reviews of cal_s1 (each would add a fourth reviewer):
    # r5's review was calibration at first, its current version (day 2) is random;
    review("s1_r5_t1", "r5", "t1", S1, AT, P=F, E=F, R=F, C=T),
    # a calibration review without a session id;
    review("nosession_r6_t1", "r6", "t1", None, AT, P=F, E=F, R=F, C=T),
    # a random review that carries a session id anyway.
    review("random_r7_t1", "r7", "t1", S1, AT, sampling_method="random", P=F, E=F, R=F, C=T),
    # Session cal_s2: enforcement cases; critical_error only (all other items null).
    #   act_1: r1 T, r2 T, r3 T, r4 F     act_2: r5 T, r6 (all items null)     act_3: r1 F, r2 F
    review("s2_r1_a1", "r1", "act_1", S2, AT, case_type="enforcement", C=T),
    review("s2_r2_a1", "r2", "act_1", S2, AT, case_type="enforcement", C=T),
    # r3 reviewed act_1 twice, same reviewed_at and updated_at: the greater
    # review_id (..._b, T) wins over ..._a (F).
    review("s2_r3_a1_a", "r3", "act_1", S2, AT, case_type="enforcement", C=F),
    review("s2_r3_a1_b", "r3", "act_1", S2, AT, case_type="enforcement", C=T),
    # r4 reviewed act_1 twice: the later reviewed_at (F) wins although the
    # earlier review (T) was edited later (greater updated_at).
    review(
        "s2_r4_a1_early",
        "r4",
        "act_1",
        S2,
        "2026-11-10T08:00:00Z",
        updated_at="2026-11-10T15:00:00Z",
        case_type="enforcement",
        C=T,
    ),
    review("s2_r4_a1_late", "r4", "act_1", S2, "2026-11-10T11:00:00Z", case_type="enforcement", C=F),
    review("s2_r5_a2", "r5", "act_2", S2, AT, case_type="enforcement", C=T),
    review("s2_r6_a2", "r6", "act_2", S2, AT, case_type="enforcement"),
    review("s2_r1_a3", "r1", "act_3", S2, AT, case_type="enforcement", C=F),
    review("s2_r2_a3", "r2", "act_3", S2, AT, case_type="enforcement", C=F),
]
DAY_2 = [
    review(
        "s1_r5_t1",
        "r5",
        "t1",
        None,
        AT,
        updated_at="2026-11-11T08:00:00Z",
        sampling_method="random",
        P=F,
        E=F,
        R=F,
        C=T,
    ),
]

# The values of each unit (case) that count, per session x item (pairable or not).
UNITS: dict[tuple[str, str], list[list[bool]]] = {
    (S1, "policy_applied_correctly"): [[T, T, T], [T, F, T], [F, F], [F]],
    (S1, "evidence_standard_met"): [[T, T, T], [T, T], [F]],
    (S1, "resolution_correct"): [[T], [F]],
    (S1, "critical_error"): [[F, F, T]],
    (S2, "policy_applied_correctly"): [],
    (S2, "evidence_standard_met"): [],
    (S2, "resolution_correct"): [],
    (S2, "critical_error"): [[T, T, T, F], [T], [F, F]],
}

# Expected rows, by hand: (pairable_values, agreeing_pairs, ordered_pairs, pct_agreement, alpha).
EXPECTED_AGREEMENT: dict[tuple[str, str], tuple[int, int, int, Fraction | None, Fraction | None]] = {
    # cal_s1 policy: pairable units t1 (T,T,T), t2 (T,F,T), t3 (F,F); t4 (F) is alone.
    #   t1: m=3, o_TT += 3*2/2 = 3
    #   t2: m=3, o_TT += 2*1/2 = 1, o_TF += 2*1/2 = 1, o_FT += 1
    #   t3: m=2, o_FF += 2*1/1 = 2
    #   o_TT = 4, o_TF = o_FT = 1, o_FF = 2; n_T = 5, n_F = 3, n = 8
    #   alpha = 1 - 7 * (1 + 1) / (5*3 + 3*5) = 1 - 14/30 = 8/15
    #   ordered pairs 6 + 6 + 2 = 14; agreeing 6 (t1) + 2 (t2: the two T) + 2 (t3) = 10
    (S1, "policy_applied_correctly"): (8, 10, 14, Fraction(10, 14), Fraction(8, 15)),
    # cal_s1 evidence: t1 (T,T,T), t2 (T,T) pairable, t3 (F) alone: every
    # pairable value is T -> D_e = 0, alpha null; all 6 + 2 pairs agree.
    (S1, "evidence_standard_met"): (5, 8, 8, Fraction(1), None),
    # cal_s1 resolution: one value per case, nothing pairable -> both null.
    (S1, "resolution_correct"): (0, 0, 0, None, None),
    # cal_s1 critical: t1 (F,F,T): o_FF = 2*1/2 = 1, o_FT = o_TF = 2*1/2 = 1;
    #   n_F = 2, n_T = 1, n = 3; alpha = 1 - 2 * 2 / (2*1 + 1*2) = 0 (chance level)
    #   ordered pairs 6, agreeing 2 (the two F)
    (S1, "critical_error"): (3, 2, 6, Fraction(2, 6), Fraction(0)),
    (S2, "policy_applied_correctly"): (0, 0, 0, None, None),
    (S2, "evidence_standard_met"): (0, 0, 0, None, None),
    (S2, "resolution_correct"): (0, 0, 0, None, None),
    # cal_s2 critical: act_1 (T,T,T,F) after the latest-review rule, act_3 (F,F); act_2 (T) alone.
    #   act_1: m=4, o_TT += 3*2/3 = 2, o_TF += 3*1/3 = 1, o_FT += 1
    #   act_3: m=2, o_FF += 2
    #   n_T = 3, n_F = 3, n = 6; alpha = 1 - 5 * 2 / (3*3 + 3*3) = 1 - 10/18 = 4/9
    #   ordered pairs 12 + 2 = 14; agreeing 6 (three T) + 2 = 8
    (S2, "critical_error"): (6, 8, 14, Fraction(8, 14), Fraction(4, 9)),
}
SESSIONS = {S1: {"reviewers": 3, "cases": 4}, S2: {"reviewers": 6, "cases": 3}}

# Leave-one-out consensus, by hand (others = the other reviewers' non-null
# values of the same case and item):
#   cal_s1 r1: 9 values. policy t1 (others T,T -> T, match); policy t2 (others
#     F,T: tie, none); policy t3 (one other, none); policy t4, evidence t2,
#     evidence t3, resolution t1 (none); evidence t1 (T,T -> match);
#     critical t1 (others F,T: tie, none) -> 2 with consensus, 2 matching.
#   cal_s1 r2: 7 values. policy t1 match; policy t2 F vs others T,T -> T
#     (mismatch); evidence t1 match; the rest none -> 3, 2.
#   cal_s1 r3: 4 values. policy t1 match, policy t2 (T,F tie) none, evidence
#     t1 match, critical t1 T vs others F,F -> F (mismatch) -> 3, 2.
#   cal_s2 r1, r2: act_1 T vs others T,T,F -> T (2 vs 1, match); act_3 has
#     one other (none) -> 2 values, 1, 1.
#   cal_s2 r3: act_1 T (its latest review) vs T,T,F -> match -> 1, 1, 1.
#   cal_s2 r4: act_1 F vs T,T,T -> T (mismatch) -> 1, 1, 0 -> rate 0.
#   cal_s2 r5: act_2 alone -> 1, 0, 0 -> rate null.
#   cal_s2 r6: no non-null value -> 0, 0, 0 -> rate null (row still there).
EXPECTED_REVIEWERS: dict[tuple[str, str], tuple[int, int, int, float | None]] = {
    (S1, "r1"): (9, 2, 2, 1.0),
    (S1, "r2"): (7, 3, 2, 2 / 3),
    (S1, "r3"): (4, 3, 2, 2 / 3),
    (S2, "r1"): (2, 1, 1, 1.0),
    (S2, "r2"): (2, 1, 1, 1.0),
    (S2, "r3"): (1, 1, 1, 1.0),
    (S2, "r4"): (1, 1, 0, 0.0),
    (S2, "r5"): (1, 0, 0, None),
    (S2, "r6"): (0, 0, 0, None),
}


def reference_alpha(units: list[list[object]]) -> float | None:
    """Nominal Krippendorff's alpha straight from an explicit coincidence matrix."""
    coincidences: Counter = Counter()
    for values in units:
        m = len(values)
        if m < 2:
            continue
        for i, j in permutations(range(m), 2):
            coincidences[(values[i], values[j])] += Fraction(1, m - 1)
    marginals: Counter = Counter()
    for (c, _k), weight in coincidences.items():
        marginals[c] += weight
    n = sum(marginals.values())
    observed = sum(weight for (c, k), weight in coincidences.items() if c != k)
    expected = sum(marginals[c] * marginals[k] for c in marginals for k in marginals if c != k)
    if n == 0 or expected == 0:
        return None
    return float(1 - (n - 1) * observed / expected)


def reference_pct_agreement(units: list[list[object]]) -> float | None:
    pairs = [(a, b) for values in units if len(values) >= 2 for a, b in permutations(values, 2)]
    return sum(a == b for a, b in pairs) / len(pairs) if pairs else None


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    root = tmp_path_factory.mktemp("calibration")
    exports = root / "exports"
    write_export(exports, "qa_reviews", "2026-11-10", DAY_1)
    write_export(exports, "qa_reviews", "2026-11-11", DAY_2)
    built = build_from_exports(
        root / "work",
        Path(exports),
        dbt_args=["build", "--select", "+fct_calibration_agreement", "+fct_reviewer_calibration"],
    )
    yield built
    built.close()


@pytest.fixture(scope="module")
def agreement(warehouse: Warehouse) -> dict[tuple[str, str], dict[str, object]]:
    rows = warehouse.rows("select * from marts.fct_calibration_agreement")
    return {(r["calibration_session_id"], r["rubric_item"]): r for r in rows}


@pytest.fixture(scope="module")
def reviewers(warehouse: Warehouse) -> dict[tuple[str, str], dict[str, object]]:
    rows = warehouse.rows("select * from marts.fct_reviewer_calibration")
    return {(r["calibration_session_id"], r["reviewer_id"]): r for r in rows}


def test_reference_implementation_matches_krippendorff_published_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4
    # observers x 12 units, values 1-5, missing values; nominal alpha = 0.743.
    n = None
    observers = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
        [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n],
    ]
    units = [[v for v in unit if v is not None] for unit in zip(*observers, strict=False)]
    assert reference_alpha(units) == pytest.approx(0.743, abs=5e-4)


@pytest.mark.parametrize("group", sorted(EXPECTED_AGREEMENT), ids=repr)
def test_hand_values_agree_with_reference(group: tuple[str, str]) -> None:
    _, _, _, pct, alpha = EXPECTED_AGREEMENT[group]
    assert reference_alpha(UNITS[group]) == (None if alpha is None else pytest.approx(float(alpha)))
    assert reference_pct_agreement(UNITS[group]) == (None if pct is None else pytest.approx(float(pct)))


def test_agreement_columns(warehouse: Warehouse) -> None:
    assert warehouse.columns("marts", "fct_calibration_agreement") == [
        "calibration_session_id",
        "rubric_item",
        "reviewers",
        "cases",
        "pairable_values",
        "agreeing_pairs",
        "ordered_pairs",
        "pct_agreement",
        "krippendorff_alpha",
    ]


def test_one_row_per_session_and_item(agreement: dict) -> None:
    # Four items for both sessions; nothing for the excluded reviews (no
    # null-session row, nothing from the random review carrying a session id).
    assert sorted(agreement) == sorted(EXPECTED_AGREEMENT)


@pytest.mark.parametrize("group", sorted(EXPECTED_AGREEMENT), ids=repr)
def test_agreement_values(agreement: dict, group: tuple[str, str]) -> None:
    row = agreement[group]
    pairable, agreeing, ordered, pct, alpha = EXPECTED_AGREEMENT[group]
    assert (row["pairable_values"], row["agreeing_pairs"], row["ordered_pairs"]) == (pairable, agreeing, ordered)
    assert row["reviewers"] == SESSIONS[group[0]]["reviewers"]
    assert row["cases"] == SESSIONS[group[0]]["cases"]
    for column, expected in (("pct_agreement", pct), ("krippendorff_alpha", alpha)):
        if expected is None:
            assert row[column] is None, column
        else:
            assert row[column] == pytest.approx(float(expected), abs=1e-12), column


def test_only_latest_review_of_a_case_counts(warehouse: Warehouse) -> None:
    kept = warehouse.rows(
        "select review_id, reviews_of_case_in_session from intermediate.int_calibration__reviews "
        "where reviews_of_case_in_session > 1 order by review_id"
    )
    assert kept == [
        {"review_id": "s1_r2_t2_new", "reviews_of_case_in_session": 2},  # tie on reviewed_at: later updated_at
        {"review_id": "s2_r3_a1_b", "reviews_of_case_in_session": 2},  # tie on both: greater review_id
        {"review_id": "s2_r4_a1_late", "reviews_of_case_in_session": 2},  # later reviewed_at beats later updated_at
    ]
    reviewed = warehouse.scalar("select count(*) from intermediate.int_calibration__reviews")
    assert reviewed == 9 + 8  # (reviewer, case) pairs: cal_s1 r1 4, r2 3, r3 2; cal_s2 r1 2, r2 2, r3..r6 1 each


def test_reviewer_columns(warehouse: Warehouse) -> None:
    assert warehouse.columns("marts", "fct_reviewer_calibration") == [
        "calibration_session_id",
        "reviewer_id",
        "rated_values",
        "values_with_consensus",
        "values_matching_consensus",
        "consensus_agreement_rate",
    ]


def test_one_row_per_session_reviewer(reviewers: dict) -> None:
    # r5's superseded calibration review, r6's session-less review and r7's
    # random review leave no cal_s1 row; r6 in cal_s2 (all items null) has one.
    assert sorted(reviewers) == sorted(EXPECTED_REVIEWERS)


@pytest.mark.parametrize("group", sorted(EXPECTED_REVIEWERS), ids=repr)
def test_reviewer_values(reviewers: dict, group: tuple[str, str]) -> None:
    row = reviewers[group]
    rated, with_consensus, matching, rate = EXPECTED_REVIEWERS[group]
    assert (row["rated_values"], row["values_with_consensus"], row["values_matching_consensus"]) == (
        rated,
        with_consensus,
        matching,
    )
    if rate is None:
        assert row["consensus_agreement_rate"] is None
    else:
        assert row["consensus_agreement_rate"] == pytest.approx(rate, abs=1e-12)


def test_dbt_tests_and_unit_test_ran(warehouse: Warehouse) -> None:
    assert "fct_calibration_agreement_alpha_by_hand" in warehouse.dbt_output
    assert "unique_combination_of_columns_fct_reviewer_calibration" in warehouse.dbt_output
