"""Volume spikes (fct_volume_spikes_daily) on hand-made exports, the numbers worked out by hand.

docs/metrics.md "Volume spikes (`fct_volume_spikes_daily`)". One export
folder through the real loader and one `dbt build`.

The tested day is D = Monday 2026-11-02; its baseline is the same weekday in
the previous four weeks, Mondays 10-05, 10-12, 10-19 and 10-26 (the window
D-28 .. D-1 = 10-05 .. 11-01). Reports by reason, one report per row, each
exported in the file of its day:

    reason            Mondays 10-05..10-26   other days of the window   D
    counterfeit       2, 3, 1, 2             5 a day (24 days)          12   the planted spike
    fraud             3, 3, 4, 2             -                          4    a normal day
    harassment        -                      10-03 (D-30) and 10-23     4    significant, under the minimum count
    prohibited_item   60, 60, 60, 60         -                          86   significant, under the minimum ratio
    other             1 (10-05), 2 (10-26)   -                          0    listed with a zero count
    shill_bidding     -                      10-23 (D-10)               9    too little history: not tested

On Tuesday 11-03 (the last export day, so the as-of day) one ticket, dispute,
action and QA review set for the other streams.

The statistic, with m = baseline weeks = 4:
    z = 2 (sqrt(count + 3/8) - sqrt(expected + 3/8)) / sqrt(1 + 1/m),  p = P(Z >= z)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagster_project.settings import snowflake_settings
from dagster_project.snowflake.raw_push import push_days
from dagster_project.snowflake.settings import connect
from tests.dbt_runner import Warehouse, run_dbt
from tests.pipeline_runner import build_from_exports, write_rows_as_exports
from tests.test_snowflake import emulator  # noqa: F401  (the fakesnow server fixture, for the last test)

pytestmark = pytest.mark.slow

D = dt.date(2026, 11, 2)
AS_OF = dt.date(2026, 11, 3)
MONDAYS = [D - dt.timedelta(days=7 * w) for w in (4, 3, 2, 1)]  # 10-05, 10-12, 10-19, 10-26
WINDOW = [D - dt.timedelta(days=n) for n in range(28, 0, -1)]  # 10-05 .. 11-01

# reason -> {day: reports}
REPORT_COUNTS: dict[str, dict[dt.date, int]] = {
    "counterfeit": {
        **{day: 5 for day in WINDOW if day not in MONDAYS},
        **dict(zip(MONDAYS, (2, 3, 1, 2), strict=True)),
        D: 12,
    },
    "fraud": {**dict(zip(MONDAYS, (3, 3, 4, 2), strict=True)), D: 4},
    "harassment": {dt.date(2026, 10, 3): 1, dt.date(2026, 10, 23): 1, D: 4},
    "prohibited_item": {**{day: 60 for day in MONDAYS}, D: 86},
    "other": {dt.date(2026, 10, 5): 1, dt.date(2026, 10, 26): 2},
    "shill_bidding": {dt.date(2026, 10, 23): 1, D: 9},
}


def reports() -> list[dict[str, object]]:
    rows = []
    for reason, days in REPORT_COUNTS.items():
        for day, count in sorted(days.items()):
            for n in range(count):
                at = f"{day.isoformat()}T{8 + n % 12:02d}:{n % 60:02d}:00Z"
                rows.append(
                    {
                        "report_id": f"r_{reason}_{day:%m%d}_{n}",
                        "reporter_id": f"u_reporter_{n}",
                        "reported_user_id": "u_reported",
                        "reason": reason,
                        "created_at": at,
                        "updated_at": at,
                        "_export_date": day.isoformat(),
                    }
                )
    return rows


def ticket(ticket_id: int, category: str | None, queue: str, tags: list[str] | None, created_at: str | None):
    return {
        "ticket_id": ticket_id,
        "requester_user_id": "u_requester",
        "subject": "never reaches a mart",
        "channel": "email",
        "queue": queue,
        "category": category,
        "priority": "normal",
        "status": "open",
        "tags": tags,
        "created_at": created_at,
        "updated_at": "2026-11-03T12:00:00Z",
        "_export_date": "2026-11-03",
    }


def review(review_id: str, agent_id: str, sampling_method: str | None, critical_error: bool | None):
    return {
        "review_id": review_id,
        "case_type": "ticket",
        "case_id": "1",
        "agent_id": agent_id,
        "reviewer_id": "qa_1",
        "reviewed_at": "2026-11-03T09:00:00Z",
        "rubric_version": "v3",
        "sampling_method": sampling_method,
        "calibration_session_id": "cal_1" if sampling_method == "calibration" else None,
        "critical_error": critical_error,
        "overall_score": 80,
        "updated_at": "2026-11-03T09:00:00Z",
        "_export_date": "2026-11-03",
    }


def dispute(dispute_id: str, kind: str) -> dict[str, object]:
    at = "2026-11-03T10:00:00Z"
    return {"dispute_id": dispute_id, "order_id": "o_1", "kind": kind, "opened_at": at, "updated_at": at,
            "_export_date": "2026-11-03"}  # fmt: skip


def action(action_id: str, policy: str, reversed_at: str | None = None) -> dict[str, object]:
    return {
        "action_id": action_id,
        "user_id": "u_reported",
        "action_type": "warning",
        "policy": policy,
        "detection_source": "automated",
        "decided_by": "automated",
        "created_at": "2026-11-03T10:00:00Z",
        "reversed_at": reversed_at,
        "reversal_reason": "qa_correction" if reversed_at else None,
        "updated_at": reversed_at or "2026-11-03T10:00:00Z",
        "_export_date": "2026-11-03",
    }


OTHER_STREAMS: dict[str, list[dict[str, object]]] = {
    "tickets": [
        ticket(1, "coins", "fraud", ["vip", "refund", "vip"], "2026-11-03T09:00:00Z"),  # vip counts once
        ticket(2, "coins", "general", [], "2026-11-03T10:00:00Z"),
        ticket(3, None, "fraud", None, "2026-11-02T20:00:00-08:00"),  # 11-03 04:00 UTC; null category: a key
        ticket(4, "sneakers", "fraud", ["vip"], "2026-11-03T11:00:00Z"),
        ticket(5, "sneakers", "general", ["vip"], None),  # no created_at: no day, not counted
    ],
    "disputes": [dispute("d_1", "chargeback"), dispute("d_2", "chargeback"), dispute("d_3", "item_not_received")],
    "enforcement_actions": [
        action("a_1", "counterfeit"),
        action("a_2", "counterfeit", reversed_at="2026-11-03T15:00:00Z"),  # reversed: still an action
        action("a_3", "fraud"),
    ],
    "qa_reviews": [
        review("q_1", "ag_1", "random", True),
        review("q_2", "ag_1", None, True),  # null sampling_method: not calibration, counted
        review("q_3", "ag_1", "calibration", True),  # calibration: excluded
        review("q_4", "ag_1", "random", False),
        review("q_5", "ag_2", "targeted", True),
        review("q_6", "ag_2", "random", None),  # unknown: not a critical error
    ],
}


def write_fixture_exports(root: Path) -> Path:
    return write_rows_as_exports(root, {"reports": reports(), **OTHER_STREAMS})


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    return write_fixture_exports(tmp_path_factory.mktemp("spike_exports"))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, exports) -> Iterator[Warehouse]:
    built = build_from_exports(tmp_path_factory.mktemp("spikes"), exports)
    yield built
    built.close()


def spikes(warehouse: Warehouse, day: dt.date, stream: str = "reports_by_reason") -> dict[str | None, dict]:
    rows = warehouse.rows(
        "select * from marts.fct_volume_spikes_daily where day = ? and stream = ? order by key", [day, stream]
    )
    return {r["key"]: r for r in rows}


def z_by_hand(count: int, expected: float) -> float:
    return 2 * (math.sqrt(count + 3 / 8) - math.sqrt(expected + 3 / 8)) / math.sqrt(1 + 1 / 4)


def test_expected_is_the_mean_of_the_same_weekday_over_four_weeks(warehouse) -> None:
    counterfeit = spikes(warehouse, D)["counterfeit"]
    # Mondays 2 + 3 + 1 + 2 = 8 -> expected 8 / 4 = 2.0, not the 28-day mean (8 + 24 * 5) / 28 = 4.57
    assert (counterfeit["events"], counterfeit["baseline_events"], counterfeit["expected"]) == (12, 8, 2.0)
    assert counterfeit["history_days"] == 28  # first report 10-05 = D-28: just enough history
    by_key = spikes(warehouse, D)
    assert {k: (r["events"], r["baseline_events"], r["expected"]) for k, r in by_key.items()} == {
        "counterfeit": (12, 8, 2.0),
        "fraud": (4, 12, 3.0),  # 3 + 3 + 4 + 2
        "harassment": (4, 0, 0.0),  # reported on other weekdays only
        "other": (0, 3, 0.75),  # 1 + 0 + 0 + 2; no report on D, listed with 0
        "prohibited_item": (86, 240, 60.0),
        "shill_bidding": (9, 0, None),  # first report 10-23: 10 days of history, not tested
    }
    # the next day, Tuesday 11-03: the Tuesdays of the window held 5 counterfeit reports each
    tuesday = spikes(warehouse, AS_OF)["counterfeit"]
    assert (tuesday["events"], tuesday["baseline_events"], tuesday["expected"]) == (0, 20, 5.0)


def test_statistic_and_p_value_of_the_planted_spike_by_hand(warehouse) -> None:
    counterfeit = spikes(warehouse, D)["counterfeit"]
    z = 2 * (math.sqrt(12.375) - math.sqrt(2.375)) / math.sqrt(1.25)  # (3.51781 - 1.54110) * 2 / 1.11803
    assert z == pytest.approx(3.5360433386028647, rel=1e-12)
    assert counterfeit["z_score"] == pytest.approx(z, rel=1e-12)
    # scipy.stats.norm.sf(3.5360433386028647); one-sided, upper tail
    assert counterfeit["p_value"] == pytest.approx(0.00020308402748522988, rel=1e-9)
    # below expected: z < 0 and p above one half (scipy.stats.norm.sf(-0.8019214810906953))
    other = spikes(warehouse, D)["other"]
    assert other["z_score"] == pytest.approx(z_by_hand(0, 0.75), rel=1e-12)
    assert other["p_value"] == pytest.approx(0.7887008103075046, rel=1e-9)


def test_benjamini_hochberg_over_every_test_of_the_day(warehouse) -> None:
    by_key = spikes(warehouse, D)
    # all tests of D (every stream; only reports have history on D): m = 5, shill_bidding is no test.
    # p from scipy.stats.norm.sf of z_by_hand(count, expected), sorted ascending, q_i = min_{j>=i} 5 p_j / j:
    #   counterfeit      p = 0.000203084   5p/1 = 0.00101542
    #   prohibited_item  p = 0.003208831   5p/2 = 0.00802208 -> min with the next one: 0.00678323
    #   harassment       p = 0.004069936   5p/3 = 0.00678323
    #   fraud            p = 0.324438786   5p/4 = 0.40554848
    #   other            p = 0.788700810   5p/5 = 0.78870081
    expected = {
        "counterfeit": (0.00020308402748522988, 0.0010154201374261494),
        "prohibited_item": (0.0032088314339074157, 0.006783226637236544),
        "harassment": (0.004069935982341926, 0.006783226637236544),
        "fraud": (0.3244387855653074, 0.4055484819566343),
        "other": (0.7887008103075046, 0.7887008103075046),
    }
    for key, (p, q) in expected.items():
        assert by_key[key]["p_value"] == pytest.approx(p, rel=1e-9), key
        assert by_key[key]["q_value"] == pytest.approx(q, rel=1e-9), key
    assert warehouse.scalar("select count(p_value) from marts.fct_volume_spikes_daily where day = ?", [D]) == 5
    assert by_key["shill_bidding"]["q_value"] is None


def test_the_planted_spike_is_flagged_and_nothing_else(warehouse) -> None:
    by_key = spikes(warehouse, D)
    assert {k for k, r in by_key.items() if r["is_spike"]} == {"counterfeit"}  # q 0.001, 12 >= 5, 12 >= 1.5 x 2
    assert by_key["fraud"]["q_value"] > 0.05  # a normal day: 4 against 3
    # significant (q 0.0068 < 0.05) but 4 reports, under spike_min_count 5
    assert by_key["harassment"]["q_value"] < 0.05 and by_key["harassment"]["events"] < 5
    # significant but 86 < 1.5 x 60 = 90: under spike_min_ratio
    assert by_key["prohibited_item"]["q_value"] < 0.05 and by_key["prohibited_item"]["events"] == 86
    assert by_key["prohibited_item"]["expected"] * 1.5 == 90
    # 9 reports, far above its short past, but 10 days of history: no test, no spike
    shill = by_key["shill_bidding"]
    assert (shill["history_days"], shill["z_score"], shill["p_value"], shill["is_spike"]) == (10, None, None, False)
    assert warehouse.scalar("select count(*) from marts.fct_volume_spikes_daily where is_spike") == 1


def test_a_zero_count_is_listed_while_the_key_was_seen_in_the_trailing_window(warehouse) -> None:
    days = [
        r["day"]
        for r in warehouse.rows(
            "select day from marts.fct_volume_spikes_daily where stream = 'reports_by_reason' and key = 'other' "
            "order by day"
        )
    ]
    # from its first report (10-05) to the as-of day 11-03: every day is within 28 days after a report
    assert days == [dt.date(2026, 10, 5) + dt.timedelta(days=n) for n in range(30)]
    # shill_bidding: from 10-23; no rows before a key's first event nor after the as-of day
    shill = warehouse.rows(
        "select min(day) as first, max(day) as last, count(*) as n, sum(events) as events "
        "from marts.fct_volume_spikes_daily where key = 'shill_bidding'"
    )
    assert shill == [{"first": dt.date(2026, 10, 23), "last": AS_OF, "n": 12, "events": 10}]
    assert warehouse.scalar("select max(day) from marts.fct_volume_spikes_daily") == AS_OF
    # every row up to the as-of day; days with events after it would still be listed (none here)
    assert (
        warehouse.scalar("select count(*) from marts.fct_volume_spikes_daily where events = 0 and day > ?", [AS_OF])
        == 0
    )


def test_every_stream_counts_its_events_by_key(warehouse) -> None:
    counts = {
        (r["stream"], r["key"]): r["events"]
        for r in warehouse.rows("select stream, key, events from marts.fct_volume_spikes_daily where day = ?", [AS_OF])
        if r["stream"] != "reports_by_reason"
    }
    assert counts == {
        ("tickets_by_category", "coins"): 2,
        ("tickets_by_category", "sneakers"): 1,  # ticket 5 has no created_at
        ("tickets_by_category", None): 1,  # ticket 3, created 11-02 20:00 -08:00 = 11-03 UTC
        ("tickets_by_queue", "fraud"): 3,
        ("tickets_by_queue", "general"): 1,
        ("tickets_by_tag", "vip"): 2,  # tickets 1 and 4 (ticket 1 carries vip twice)
        ("tickets_by_tag", "refund"): 1,
        ("disputes_by_kind", "chargeback"): 2,
        ("disputes_by_kind", "item_not_received"): 1,
        ("enforcement_actions_by_policy", "counterfeit"): 2,
        ("enforcement_actions_by_policy", "fraud"): 1,
        ("critical_errors_by_agent", "ag_1"): 2,  # q_1, q_2 (null sampling); q_3 calibration, q_4 none
        ("critical_errors_by_agent", "ag_2"): 1,  # q_5; q_6 unknown
    }
    new = warehouse.rows(
        "select distinct history_days, p_value, is_spike from marts.fct_volume_spikes_daily "
        "where day = ? and stream != 'reports_by_reason'",
        [AS_OF],
    )
    assert new == [{"history_days": 0, "p_value": None, "is_spike": False}]
    assert warehouse.scalar("select count(*) from marts.fct_volume_spikes_daily where day is null") == 0


def test_the_model_is_documented_and_its_tests_ran(warehouse) -> None:
    assert "fct_volume_spikes_daily" in warehouse.dbt_output
    assert warehouse.columns("marts", "fct_volume_spikes_daily") == [
        "day", "stream", "key", "events", "history_days", "baseline_events",
        "expected", "z_score", "p_value", "q_value", "is_spike",
    ]  # fmt: skip


# -- the same exports on Snowflake (the fakesnow emulator) ---------------------


def _by_grain(row: tuple) -> tuple:
    return row[0], row[1], row[2] is None, row[2] or ""


def test_snowflake_gives_the_same_spikes(warehouse, exports, emulator, tmp_path) -> None:  # noqa: F811
    """Built on the emulator from the same files, the mart equals the DuckDB one (floats to 1e-9 relative)."""
    settings = snowflake_settings()
    days = sorted({dt.date.fromisoformat(p.stem) for p in exports.rglob("20*.*")})
    push_days(exports, days, tmp_path / "scratch.duckdb", settings)
    run_dbt(["build", "--select", "+fct_volume_spikes_daily"], tmp_path, tmp_path / "unused.duckdb", emulator)
    columns = ", ".join(warehouse.columns("marts", "fct_volume_spikes_daily"))
    cursor = connect(settings).cursor()
    cursor.execute(f"use database {settings.database}")
    cursor.execute(f"select {columns} from marts.fct_volume_spikes_daily")
    on_snowflake = sorted(cursor.fetchall(), key=_by_grain)
    on_duckdb = sorted(
        warehouse.con.execute(f"select {columns} from marts.fct_volume_spikes_daily").fetchall(), key=_by_grain
    )
    assert len(on_snowflake) == len(on_duckdb) > 150
    differing = [
        (snow, duck)
        for snow, duck in zip(on_snowflake, on_duckdb, strict=True)
        if snow[:7] != duck[:7]
        or snow[10] != duck[10]
        or any(
            (a is None) != (b is None) or (a is not None and not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15))
            for a, b in zip(snow[7:10], duck[7:10], strict=True)
        )
    ]
    assert differing == []
    assert [r[:3] for r in on_snowflake if r[10]] == [(D, "reports_by_reason", "counterfeit")]
