"""Unknown references warn, they don't block (docs/gates.md "Unknown references", docs/metrics.md).

A row naming a user, order, action, ticket or agent that staging does not
know (yet) is counted by a warning gate with examples and flows into the
marts with null attributes; a reference blocks only when more than
TRUSTQA_MAX_UNKNOWN_REFERENCE_SHARE of the validated rows name an unknown
parent AND at least 10 rows do (staging.MIN_UNKNOWN_ROWS_TO_BLOCK): a few
late parents in a small nightly batch never block, a broken feed does.
Every count below is worked out by hand.

Two lanes of the real CLI (``trustqa materialize --partition D``), side by
side, with the share set to 0.05:

- ``late``: day 1 (2026-11-01) holds 20 orders, o020 bought by ``late_buyer``,
  who is in no users file yet: 1 of 20 validated orders = 5%, not more than
  5% (and 1 row, under 10), so the orders gate warns (o020 in its examples)
  and the run publishes; late_buyer gets a risk row on 11-01 with null
  attributes. Day 2 (11-02) delivers late_buyer (a version updated 11-02,
  id_verified) and o021: their 11-02 row and ``dim_user_risk_current`` have
  the attributes, while the 11-01 row stays null although the run recomputed
  11-01 (look-back): at the end of 11-01 the user was not known (no
  leakage). Then the 11-01 users file is delivered again with late_buyer's
  earlier version (updated 10-20, email_verified) and day 1 runs again: the
  11-01 row is filled in.
- ``over``: day 1 is 196 clean orders. Day 2 (a small night) holds 4 orders,
  o200 bought by ``not_yet_exported``: 1 of the 4 validated rows (the run's
  batch) = 25%, more than 5%, but 1 row is under 10: the gate warns and the
  run publishes. Day 3 holds 20 orders, o211 .. o220 bought by 10 users
  never exported (``broken_211`` .. ``broken_220``, a broken feed): 10 of
  the 20 validated rows = 50%, more than 5%, and 10 rows, not under 10: the
  run is blocked, although the whole table holds 11 of 220 = 5%.

And one ``dbt build`` (no gates) of a day where every other reference names
10 known and 10 unknown parents: each gate warns with its examples at a
share of 50% and blocks at 49% (10 of 20 rows), and the marts take the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dagster_project.contract import TABLES_BY_NAME
from dagster_project.gates.outcomes import FAILED, PASSED, WARNED, WHOLE_TABLE, SuiteOutcome
from dagster_project.gates.validate import validate_duckdb
from expectations import staging, suites_of
from expectations.suite import Window
from tests.conftest import materialize
from tests.dbt_runner import Warehouse
from tests.export_builder import write_export, write_exports
from tests.pipeline_runner import build_from_exports

pytestmark = pytest.mark.slow

DAY_1, DAY_2, DAY_3 = dt.date(2026, 11, 1), dt.date(2026, 11, 2), dt.date(2026, 11, 3)
SHARE = {"TRUSTQA_MAX_UNKNOWN_REFERENCE_SHARE": "0.05"}
ORDERS_SUITE = next(s for s in suites_of("staging") if s.table == "stg_marketplace__orders")
BUYER_WARNING = "buyer_id references stg_marketplace__users"
BUYER_SHARE = "unknown buyer_id share at most {} or under 10 rows"  # the blocking gate, at a share
RISK_ATTRIBUTES = ("account_age_days", "is_seller", "seller_tier", "verification_status")


def user(user_id: str, signup_at: str, updated_at: str | None = None, **values: Any) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "email": f"{user_id}@example.com",
        "display_name": user_id,
        "country": "US",
        "signup_at": signup_at,
        "is_seller": False,
        "verification_status": "email_verified",
        "updated_at": updated_at or signup_at,
        **values,
    }


SELLER = user("s1", "2026-10-01T08:00:00Z", is_seller=True, seller_tier="new")


def order(order_id: str, buyer_id: str, placed_at: str, amount_usd: str = "10.00") -> dict[str, Any]:
    return {
        "order_id": order_id,
        "buyer_id": buyer_id,
        "seller_id": "s1",
        "category": "sneakers",
        "amount_usd": amount_usd,
        "placed_at": placed_at,
        "status": "placed",
        "payment_method": "card",
        "updated_at": placed_at,
    }


def day_of_orders(first: int, last: int, placed_at: str, unknown: dict[int, str]) -> list[dict[str, Any]]:
    """Orders o<first> .. o<last>, o<n> bought by b<n> (an exported user) unless ``unknown`` names its buyer."""
    return [order(f"o{n:03d}", unknown.get(n, f"b{n:03d}"), placed_at) for n in range(first, last + 1)]


def known_buyers(first: int, last: int) -> list[dict[str, Any]]:
    return [user(f"b{n:03d}", "2026-10-15T08:00:00Z") for n in range(first, last + 1)]


# late: o020's buyer arrives in the 11-02 file; later the 11-01 file is delivered again with an earlier version
LATE_BUYER_DAY_2 = user("late_buyer", "2026-10-20T12:00:00Z", "2026-11-02T07:00:00Z", verification_status="id_verified")
LATE_BUYER_DAY_1 = user("late_buyer", "2026-10-20T12:00:00Z", "2026-10-20T12:00:00Z")
LATE = {
    "users": {DAY_1.isoformat(): [SELLER, *known_buyers(1, 19)], DAY_2.isoformat(): [LATE_BUYER_DAY_2]},
    "orders": {
        DAY_1.isoformat(): [
            *day_of_orders(1, 19, "2026-11-01T10:00:00Z", {}),
            order("o020", "late_buyer", "2026-11-01T11:00:00Z", "25.00"),
        ],
        DAY_2.isoformat(): [order("o021", "late_buyer", "2026-11-02T09:00:00Z", "30.00")],
    },
}
# over: o200's buyer (day 2) and the buyers of o211 .. o220 (day 3) are never exported
BROKEN = {n: f"broken_{n}" for n in range(211, 221)}
OVER = {
    "users": {DAY_1.isoformat(): [SELLER, *known_buyers(1, 210)]},
    "orders": {
        DAY_1.isoformat(): day_of_orders(1, 196, "2026-11-01T10:00:00Z", {}),
        DAY_2.isoformat(): day_of_orders(197, 200, "2026-11-02T10:00:00Z", {200: "not_yet_exported"}),
        DAY_3.isoformat(): day_of_orders(201, 220, "2026-11-03T10:00:00Z", BROKEN),
    },
}


def query(path: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    with duckdb.connect(str(path), read_only=True) as con:
        cursor = con.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def risk_rows(path: Path) -> dict[tuple[dt.date, str], dict[str, Any]]:
    """The feature mart's rows, without `_built_at` (when the build that wrote the day ran)."""
    rows = query(path, "select * exclude (_built_at) from marts.fct_user_risk_features_daily")
    return {(r["as_of_day"], r["user_id"]): r for r in rows}


def current_risk(path: Path) -> dict[str, dict[str, Any]]:
    return {r["user_id"]: r for r in query(path, "select * from marts.dim_user_risk_current")}


def attributes(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c] for c in RISK_ATTRIBUTES)


@dataclass
class Run:
    """One ``trustqa materialize --partition D`` and what the warehouse held right after it."""

    returncode: int
    stdout: str
    stderr: str
    gates: dict[str, str]  # suite -> status, from the gate table
    orders_check: Any  # the staging orders check's AssetCheckEvaluation (severity, metadata)
    risk: dict[tuple[dt.date, str], dict[str, Any]]
    current: dict[str, dict[str, Any]]
    history_orders: list[str]


def gate_statuses(stdout: str) -> dict[str, str]:
    names = {s.name for s in suites_of("raw") + suites_of("staging") + suites_of("marts")}
    statuses = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in names:
            statuses[parts[0]] = "not run" if parts[1:3] == ["not", "run"] else parts[1]
    return statuses


def latest_orders_check(home: Path) -> Any:
    import dagster as dg

    key = dg.AssetCheckKey(dg.AssetKey(list(ORDERS_SUITE.asset_key_path)), "great_expectations")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key]).get(key)
    if record is None or record.event is None or record.event.dagster_event is None:
        return None
    return record.event.dagster_event.event_specific_data


def run_day(exports: Path, warehouse: Path, home: Path, day: dt.date) -> Run:
    completed = materialize(exports, warehouse, home, "--partition", day.isoformat(), extra_env=SHARE)
    built = warehouse.exists()
    return Run(
        completed.returncode,
        completed.stdout,
        completed.stderr,
        gate_statuses(completed.stdout),
        latest_orders_check(home),
        risk_rows(warehouse) if built else {},
        current_risk(warehouse) if built else {},
        [
            r["order_id"]
            for r in query(warehouse, "select distinct order_id from intermediate.int_orders_history order by order_id")
        ]
        if built
        else [],
    )


@dataclass
class Lanes:
    late: list[Run]  # day 1, day 2, day 1 again (its users file delivered again)
    over: list[Run]  # day 1, day 2 (1 unknown of 4: warned), day 3 (10 unknown of 20: blocked)
    over_warehouse: Path


@pytest.fixture(scope="module")
def lanes(tmp_path_factory: pytest.TempPathFactory, dbt_manifest) -> Iterator[Lanes]:
    root = tmp_path_factory.mktemp("unknown_references")

    def lane(name: str, exports_by_table: dict[str, dict[str, list[dict[str, Any]]]]) -> tuple[Path, Path, Path]:
        exports, warehouse, home = root / name / "exports", root / name / "trustqa.duckdb", root / name / "home"
        home.mkdir(parents=True)
        write_exports(exports, exports_by_table)
        return exports, warehouse, home

    def late_lane() -> list[Run]:
        exports, warehouse, home = lane("late", LATE)
        runs = [run_day(exports, warehouse, home, DAY_1), run_day(exports, warehouse, home, DAY_2)]
        write_export(exports, "users", DAY_1.isoformat(), [SELLER, *known_buyers(1, 19), LATE_BUYER_DAY_1])
        runs.append(run_day(exports, warehouse, home, DAY_1))
        return runs

    def over_lane() -> list[Run]:
        exports, warehouse, home = lane("over", OVER)
        return [run_day(exports, warehouse, home, day) for day in (DAY_1, DAY_2, DAY_3)]

    with ThreadPoolExecutor(max_workers=2) as pool:
        late, over = pool.submit(late_lane), pool.submit(over_lane)
        late_runs, over_runs = late.result(), over.result()
    yield Lanes(late_runs, over_runs, root / "over" / "trustqa.duckdb")


def succeeded(run: Run) -> None:
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "run succeeded" in run.stdout and "published by this run" in run.stdout


def test_an_unknown_buyer_warns_and_the_run_publishes(lanes: Lanes) -> None:
    day_1 = lanes.late[0]
    succeeded(day_1)
    assert day_1.gates["staging.stg_marketplace__orders"] == WARNED
    assert FAILED not in day_1.gates.values() and "not run" not in day_1.gates.values()


def test_the_warning_check_shows_the_unknown_buyer(lanes: Lanes) -> None:
    import dagster as dg

    check = lanes.late[0].orders_check
    assert (check.passed, check.severity) == (False, dg.AssetCheckSeverity.WARN)
    metadata = {k: v.value for k, v in check.metadata.items()}
    assert metadata["failed_errors"] == []
    assert metadata["failed_warnings"] == [BUYER_WARNING]
    # the first run of the lane validates the whole table: 20 orders, 1 unknown buyer
    assert metadata["scope"] == WHOLE_TABLE
    (row,) = [line for line in metadata["failures"].splitlines() if line.startswith(f"| {BUYER_WARNING} ")]
    assert "| warning | 1 |" in row and "{'order_id': 'o020', 'buyer_id': 'late_buyer'}" in row


def test_the_order_reaches_the_marts_with_null_buyer_attributes(lanes: Lanes) -> None:
    day_1 = lanes.late[0]
    assert "o020" in day_1.history_orders and len(day_1.history_orders) == 20
    buyer = day_1.risk[(DAY_1, "late_buyer")]
    assert attributes(buyer) == (None, None, None, None)
    assert (buyer["orders_bought_30d"], buyer["gmv_bought_30d"]) == (1, Decimal("25.00"))
    seller = day_1.risk[(DAY_1, "s1")]
    # 19 orders of 10.00 and o020 of 25.00, from 20 distinct buyers (late_buyer among them)
    assert (seller["orders_sold_30d"], seller["gmv_sold_30d"], seller["distinct_buyers_30d"]) == (
        20,
        Decimal("215.00"),
        20,
    )
    # a user seen only in activity has no current-risk row
    assert "late_buyer" not in day_1.current and "b001" in day_1.current


def test_the_user_delivered_the_next_day_fills_in_from_that_day(lanes: Lanes) -> None:
    day_2 = lanes.late[1]
    succeeded(day_2)
    assert day_2.gates["staging.stg_marketplace__orders"] == PASSED  # o021's buyer is known now
    # 11-02: known since that day's file; signed up 10-20 (13 days before)
    on_day_2 = day_2.risk[(DAY_2, "late_buyer")]
    assert attributes(on_day_2) == (13, False, None, "id_verified")
    assert (on_day_2["orders_bought_30d"], on_day_2["gmv_bought_30d"]) == (2, Decimal("55.00"))
    assert attributes(day_2.current["late_buyer"]) == (13, False, None, "id_verified")
    # 11-01, inside this run's look-back, stays as known at its end: the user was not
    assert day_2.risk[(DAY_1, "late_buyer")] == lanes.late[0].risk[(DAY_1, "late_buyer")]


def test_the_day_delivered_again_with_the_user_is_filled_in(lanes: Lanes) -> None:
    rerun = lanes.late[2]
    succeeded(rerun)
    assert rerun.gates["staging.stg_marketplace__orders"] == PASSED  # the 11-01 orders, reloaded: o020 resolves
    # known at the end of 11-01 now: its 10-20 version, 12 days after signup
    assert attributes(rerun.risk[(DAY_1, "late_buyer")]) == (12, False, None, "email_verified")
    assert rerun.risk[(DAY_1, "late_buyer")]["orders_bought_30d"] == 1
    # 11-02 and the current state still read the 11-02 version
    assert attributes(rerun.risk[(DAY_2, "late_buyer")]) == (13, False, None, "id_verified")
    assert attributes(rerun.current["late_buyer"]) == (13, False, None, "id_verified")


def orders_metadata(run: Run) -> dict[str, Any]:
    return {k: v.value for k, v in run.orders_check.metadata.items()}


def test_one_unknown_buyer_in_a_small_nightly_batch_only_warns(lanes: Lanes) -> None:
    """No more "one unknown user stops the night": 1 of 4 = 25% is more than 5%, but 1 row is under 10."""
    import dagster as dg

    day_1, day_2 = lanes.over[:2]
    succeeded(day_1)
    succeeded(day_2)
    assert day_2.gates["staging.stg_marketplace__orders"] == WARNED
    assert FAILED not in day_2.gates.values() and "not run" not in day_2.gates.values()
    assert (day_2.orders_check.passed, day_2.orders_check.severity) == (False, dg.AssetCheckSeverity.WARN)
    metadata = orders_metadata(day_2)
    # the run validated its export day: the 4 orders o197 .. o200
    assert metadata["scope"].startswith("rows loaded after ")
    assert (metadata["failed_errors"], metadata["failed_warnings"]) == ([], [BUYER_WARNING])
    (row,) = [line for line in metadata["failures"].splitlines() if line.startswith(f"| {BUYER_WARNING} ")]
    assert "| warning | 1 |" in row and "{'order_id': 'o200', 'buyer_id': 'not_yet_exported'}" in row
    # the order reaches the marts: 200 orders in the history, a risk row of its buyer on 11-02
    assert "o200" in day_2.history_orders and len(day_2.history_orders) == 200
    assert attributes(day_2.risk[(DAY_2, "not_yet_exported")]) == (None, None, None, None)


def test_a_share_above_the_setting_from_10_rows_blocks(lanes: Lanes) -> None:
    day_2, day_3 = lanes.over[1:]
    assert day_3.returncode == 1
    assert "a blocking quality gate failed" in day_3.stderr and "unchanged by this run" in day_3.stdout
    assert day_3.gates["staging.stg_marketplace__orders"] == FAILED
    assert all(day_3.gates[s.name] == "not run" for s in suites_of("marts"))
    metadata = orders_metadata(day_3)
    # 10 unknown buyers among the 20 rows the run validated (its export day): 50% > 5%, and 10 rows
    assert metadata["failed_errors"] == [BUYER_SHARE.format("5%")]
    assert metadata["failed_warnings"] == [BUYER_WARNING]
    assert metadata["scope"].startswith("rows loaded after ")
    assert "{'unknown_rows': 10, 'validated_rows': 20}" in metadata["failures"]
    # nothing downstream of the gate was built: no history of day 3, no risk day 3
    assert day_3.history_orders == day_2.history_orders and len(day_3.history_orders) == 200
    assert day_3.risk == day_2.risk and {day for day, _ in day_3.risk} == {DAY_1, DAY_2}


def validate_orders(path: Path, monkeypatch: pytest.MonkeyPatch, share: str, window: Window | None) -> SuiteOutcome:
    monkeypatch.setenv("TRUSTQA_MAX_UNKNOWN_REFERENCE_SHARE", share)
    (outcome,) = validate_duckdb(path, [ORDERS_SUITE], window=window)
    assert all(e.error is None for e in outcome.expectations), [e.error for e in outcome.expectations]
    return outcome


def failing(outcome: SuiteOutcome) -> dict[str, Any]:
    return {e.gate: e for e in outcome.expectations if not e.success}


# The over lane's warehouse after day 3 (blocked: the history holds days 1 and 2).
UNKNOWN_BUYERS_DAY_3 = [{"order_id": f"o{n}", "buyer_id": buyer} for n, buyer in BROKEN.items()]
UNKNOWN_BUYERS = [{"order_id": "o200", "buyer_id": "not_yet_exported"}, *UNKNOWN_BUYERS_DAY_3]


@pytest.mark.parametrize(
    ("share", "window", "status", "errors"),
    [
        # the run's batch: day 3, 10 of 20 = 50%
        ("0.05", Window(DAY_3, DAY_3), FAILED, [BUYER_SHARE.format("5%")]),
        ("0.499", Window(DAY_3, DAY_3), FAILED, [BUYER_SHARE.format("49.9%")]),
        ("0.5", Window(DAY_3, DAY_3), WARNED, []),
        # the whole table: 11 of 220 = 5%
        ("0.05", None, WARNED, []),
        ("0.049", None, FAILED, [BUYER_SHARE.format("4.9%")]),  # 11 > 0.049 * 220 = 10.78
    ],
)
def test_the_share_is_over_the_validated_rows_and_its_limit_a_setting(
    lanes: Lanes, monkeypatch: pytest.MonkeyPatch, share: str, window: Window | None, status: str, errors: list[str]
) -> None:
    outcome = validate_orders(lanes.over_warehouse, monkeypatch, share, window)
    assert outcome.status == status
    assert [e.gate for e in outcome.failed_errors] == errors
    assert [e.gate for e in outcome.failed_warnings] == [BUYER_WARNING]
    unknown, validated = (UNKNOWN_BUYERS_DAY_3, 20) if window else (UNKNOWN_BUYERS, 220)
    warning = failing(outcome)[BUYER_WARNING]
    assert warning.observed_value == len(unknown)
    assert len(warning.sample_rows) == 5 and all(row in unknown for row in warning.sample_rows)
    for gate in errors:
        assert failing(outcome)[gate].sample_rows == [{"unknown_rows": len(unknown), "validated_rows": validated}]
    if window is None:
        assert outcome.scope == WHOLE_TABLE
    else:
        assert outcome.scope.startswith("rows loaded after ")


@pytest.mark.parametrize(("minimum", "status"), [(10, FAILED), (11, WARNED)])
def test_the_minimum_number_of_unknown_rows_is_inclusive(
    lanes: Lanes, monkeypatch: pytest.MonkeyPatch, minimum: int, status: str
) -> None:
    """Day 3's batch: 10 unknown rows of 20 (50% > 5%) block at a minimum of 10, not at 11."""
    monkeypatch.setattr(staging, "MIN_UNKNOWN_ROWS_TO_BLOCK", minimum)
    outcome = validate_orders(lanes.over_warehouse, monkeypatch, "0.05", Window(DAY_3, DAY_3))
    assert outcome.status == status
    (share,) = [
        e for e in outcome.expectations if e.gate == f"unknown buyer_id share at most 5% or under {minimum} rows"
    ]
    assert share.success is (status == WARNED)


# One day where every other reference names 10 known and 10 unknown parents (dbt only, gates run below).
DAY = DAY_1.isoformat()
T = "2026-11-01T10:00:00Z"
KNOWN, UNKNOWN = range(1, 11), range(11, 21)  # row numbers: 1 .. 10 name a known parent, 11 .. 20 an unknown one


def action(n: int) -> dict[str, Any]:
    """a01 .. a10 on s1, a11 .. a20 on the unknown user ghost_acted."""
    return {
        "action_id": f"a{n:02d}",
        "user_id": "s1" if n in KNOWN else "ghost_acted",
        "action_type": "warning",
        "policy": "fraud",
        "detection_source": "automated",
        "decided_by": "automated",
        "created_at": T,
        "updated_at": T,
    }


def appeal(n: int) -> dict[str, Any]:
    """p01 .. p10 of a01 .. a10, p11 .. p20 of the unknown actions ghost_action_11 .. ghost_action_20."""
    return {
        "appeal_id": f"p{n:02d}",
        "action_id": f"a{n:02d}" if n in KNOWN else f"ghost_action_{n}",
        "user_id": "s1",
        "submitted_at": T,
        "review_level": 1,
        "decided_at": "2026-11-01T12:00:00Z",
        "outcome": "upheld",
        "updated_at": "2026-11-01T12:00:00Z",
    }


def ticket(n: int) -> dict[str, Any]:
    """Tickets 1 .. 10 of u1, assigned to ag1; 11 .. 20 of ghost_requester, assigned to ghost_agent."""
    return {
        "ticket_id": n,
        "requester_user_id": "u1" if n in KNOWN else "ghost_requester",
        "assignee_agent_id": "ag1" if n in KNOWN else "ghost_agent",
        "queue": "general",
        "priority": "normal",
        "created_at": T,
        "updated_at": T,
    }


def qa_review(n: int) -> dict[str, Any]:
    """q01 .. q10 of a01 .. a10 by ag1; q11 .. q20 of ghost_case_11 .. ghost_case_20 by ghost_agent."""
    return {
        "review_id": f"q{n:02d}",
        "case_type": "enforcement",
        "case_id": f"a{n:02d}" if n in KNOWN else f"ghost_case_{n}",
        "agent_id": "ag1" if n in KNOWN else "ghost_agent",
        "reviewer_id": "ag1",
        "reviewed_at": T,
        "sampling_method": "random",
        "policy_applied_correctly": True,
        "overall_score": 90,
        "updated_at": T,
    }


OTHERS = {
    "users": {DAY: [SELLER, user("u1", "2026-10-01T08:00:00Z")]},
    "agents": {DAY: [{"agent_id": "ag1", "team": "t", "site": "s", "role": "agent", "active": True, "updated_at": T}]},
    "orders": {DAY: [order(f"o{n:02d}", "u1", T) for n in KNOWN]},  # o01 .. o10, bought by u1 from s1
    "disputes": {  # d01 .. d10 on o01 .. o10, d11 .. d20 on ghost_order_11 .. ghost_order_20
        DAY: [
            {
                "dispute_id": f"d{n:02d}",
                "order_id": f"o{n:02d}" if n in KNOWN else f"ghost_order_{n}",
                "kind": "chargeback",
                "opened_at": T,
                "updated_at": T,
            }
            for n in (*KNOWN, *UNKNOWN)
        ]
    },
    "reports": {  # r01 .. r10 report s1, r11 .. r20 ghost_reported
        DAY: [
            {
                "report_id": f"r{n:02d}",
                "reporter_id": "u1",
                "reported_user_id": "s1" if n in KNOWN else "ghost_reported",
                "created_at": T,
                "updated_at": T,
            }
            for n in (*KNOWN, *UNKNOWN)
        ]
    },
    "enforcement_actions": {DAY: [action(n) for n in (*KNOWN, *UNKNOWN)]},
    "appeals": {DAY: [appeal(n) for n in (*KNOWN, *UNKNOWN)]},
    "tickets": {DAY: [ticket(n) for n in (*KNOWN, *UNKNOWN)]},
    "satisfaction_ratings": {  # rt01 .. rt10 of tickets 1 .. 10, rt11 .. rt20 of the unknown tickets 911 .. 920
        DAY: [
            {
                "rating_id": f"rt{n:02d}",
                "ticket_id": n if n in KNOWN else 900 + n,
                "score": 5,
                "created_at": T,
                "updated_at": T,
            }
            for n in (*KNOWN, *UNKNOWN)
        ]
    },
    "qa_reviews": {DAY: [qa_review(n) for n in (*KNOWN, *UNKNOWN)]},
}
# suite -> {warning gate: the 10 rows with an unknown parent (the row's key and the unknown id)}
UNKNOWN_ROWS = {
    "staging.stg_marketplace__disputes": {
        "order_id references stg_marketplace__orders": [
            {"dispute_id": f"d{n}", "order_id": f"ghost_order_{n}"} for n in UNKNOWN
        ]
    },
    "staging.stg_marketplace__reports": {
        "reported_user_id references stg_marketplace__users": [
            {"report_id": f"r{n}", "reported_user_id": "ghost_reported"} for n in UNKNOWN
        ]
    },
    "staging.stg_marketplace__enforcement_actions": {
        "user_id references stg_marketplace__users": [{"action_id": f"a{n}", "user_id": "ghost_acted"} for n in UNKNOWN]
    },
    "staging.stg_marketplace__appeals": {
        "action_id references stg_marketplace__enforcement_actions": [
            {"appeal_id": f"p{n}", "action_id": f"ghost_action_{n}"} for n in UNKNOWN
        ]
    },
    "staging.stg_support__tickets": {
        "requester_user_id references stg_marketplace__users": [
            {"ticket_id": n, "requester_user_id": "ghost_requester"} for n in UNKNOWN
        ],
        "assignee_agent_id references stg_support__agents": [
            {"ticket_id": n, "assignee_agent_id": "ghost_agent"} for n in UNKNOWN
        ],
    },
    "staging.stg_support__satisfaction_ratings": {
        "ticket_id references stg_support__tickets": [{"rating_id": f"rt{n}", "ticket_id": 900 + n} for n in UNKNOWN]
    },
    "staging.stg_support__qa_reviews": {
        "agent_id references stg_support__agents": [{"review_id": f"q{n}", "agent_id": "ghost_agent"} for n in UNKNOWN],
        "enforcement case_id references stg_marketplace__enforcement_actions": [
            {"review_id": f"q{n}", "case_id": f"ghost_case_{n}"} for n in UNKNOWN
        ],
    },
}


@pytest.fixture(scope="module")
def others(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    work = tmp_path_factory.mktemp("unknown_references_others")
    warehouse = build_from_exports(work / "dbt", write_exports(work / "exports", OTHERS))
    yield warehouse
    warehouse.close()


def validate_others(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, share: str) -> dict[str, SuiteOutcome]:
    warehouse.close()  # the gates open the file themselves
    monkeypatch.setenv("TRUSTQA_MAX_UNKNOWN_REFERENCE_SHARE", share)
    suites = [s for s in suites_of("staging") if s.name in UNKNOWN_ROWS]
    return {o.suite_name: o for o in validate_duckdb(warehouse.path, suites)}


def test_the_references_are_the_ones_the_marts_rely_on() -> None:
    listed = {
        (f"staging.{staging.model_name(TABLES_BY_NAME[r.table])}", f"{r.name} references {r.parent}")
        for r in staging.REFERENCES
    }
    assert listed == {(suite, gate) for suite, gates in UNKNOWN_ROWS.items() for gate in gates} | {
        ("staging.stg_marketplace__orders", BUYER_WARNING),
        ("staging.stg_marketplace__orders", "seller_id references stg_marketplace__users"),
    }


def test_every_reference_warns_with_its_examples_at_a_share_of_half(
    others: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """10 unknown of 20 rows per table: 50% is not more than 50%."""
    outcomes = validate_others(others, monkeypatch, "0.5")
    for suite, unknown in UNKNOWN_ROWS.items():
        outcome = outcomes[suite]
        assert all(e.error is None for e in outcome.expectations), [e.error for e in outcome.expectations]
        assert (outcome.status, outcome.failed_errors) == (WARNED, []), suite
        warnings = {e.gate: e for e in outcome.failed_warnings}
        assert set(warnings) == set(unknown), suite
        for gate, rows in unknown.items():
            # the count of them all, and 5 of them as examples
            assert warnings[gate].observed_value == 10, (suite, gate)
            samples = warnings[gate].sample_rows
            assert len(samples) == 5 and all(row in rows for row in samples), (suite, gate, samples)


def test_every_reference_blocks_above_its_share(others: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    """10 unknown of 20 rows per table: 50% is more than 49%, and 10 rows are not under 10."""
    outcomes = validate_others(others, monkeypatch, "0.49")
    for suite, unknown in UNKNOWN_ROWS.items():
        outcome = outcomes[suite]
        assert outcome.status == FAILED, suite
        assert {e.gate: e.sample_rows for e in outcome.failed_errors} == {
            f"unknown {gate.split(' references ')[0]} share at most 49% or under 10 rows": [
                {"unknown_rows": 10, "validated_rows": 20}
            ]
            for gate in unknown
        }


def test_rows_with_unknown_references_reach_the_marts(others: Warehouse) -> None:
    risk = {r["user_id"]: r for r in others.rows("select * from marts.fct_user_risk_features_daily")}
    # subjects that are not users (yet): a row each, null attributes, the activity counted (10 rows each)
    assert attributes(risk["ghost_reported"]) == (None, None, None, None)
    assert risk["ghost_reported"]["reports_received_30d"] == 10
    assert risk["ghost_acted"]["enforcement_actions_365d"] == 10
    assert risk["ghost_requester"]["tickets_opened_30d"] == 10
    assert attributes(risk["s1"]) == (31, True, "new", "email_verified")
    # a dispute on an unknown order has no buyer or seller: it is kept, and counts once the order is known
    disputes = "select count(*) from intermediate.int_disputes_history where order_id like 'ghost_order_%'"
    assert others.scalar(disputes) == 10
    assert risk["u1"]["chargebacks_as_buyer_90d"] == 10  # d01 .. d10, on u1's orders
    # an appeal of an unknown action: decided, with a null policy
    appeals = others.rows("select policy, decided from marts.fct_appeal_outcomes_daily order by policy nulls last")
    assert appeals == [{"policy": "fraud", "decided": 10}, {"policy": None, "decided": 10}]
    # a rating of an unknown ticket: counted, with null agent, queue and category
    csat = others.rows("select agent_id, queue, ratings from marts.fct_csat_daily order by agent_id nulls last")
    assert csat == [
        {"agent_id": "ag1", "queue": "general", "ratings": 10},
        {"agent_id": None, "queue": None, "ratings": 10},
    ]
    # reviews of an unknown agent: their own group; the unknown agent is absent from dim_agents
    qa = others.rows("select agent_id, reviews from marts.fct_qa_scores_daily order by agent_id")
    assert qa == [{"agent_id": "ag1", "reviews": 10}, {"agent_id": "ghost_agent", "reviews": 10}]
    assert others.rows("select agent_id from marts.dim_agents") == [{"agent_id": "ag1"}]
    # the actions on an unknown user and the tickets of an unknown requester are counted
    assert others.scalar("select sum(actions) from marts.fct_enforcement_outcomes_daily") == 20
    assert others.scalar("select sum(tickets) from marts.fct_ticket_sla_daily") == 20
    assert others.scalar("select count(*) from marts.dim_user_risk_current where user_id like 'ghost%'") == 0
