"""fct_user_risk_features_daily and dim_user_risk_current against hand-made exports.

One fixture: a small export folder pushed through the real loader and one
``dbt build``. Every expected value below is worked out by hand from the rows
in this file (docs/metrics.md "Risk features").

The day under test is D = 2026-11-10. Its windows (inclusive, UTC dates):
30 days = 2026-10-12 .. 11-10, 90 days = 2026-08-13 .. 11-10,
365 days = 2025-11-11 .. 2026-11-10. The last export day is 2026-11-12, so
files dated 11-11 and 11-12 exist but must not change day D.

Cast:
  seller  sells o1..o10; reported; enforcement actions a1..a3; tickets t1, t2
  buyer_1 buys o1, o2, o5, o10 (o5 and o10 get chargebacks); signs up the evening before D (UTC)
  buyer_2 buys o3 (refunded only after D), o6, o8 (refunded before D)
  buyer_3 buys o4 (cancelled by the seller) and o9 (corrected after D); their
          user record arrives late (file 11-11), so they are unknown on D
  lapsed  a suspension created 2026-10-11: active on 11-09 (D-30 + 29), lapsed on D
  banned  a ban created 2025-11-10, outside every window, still in force
  seller_x / buyer_x  o11, whose back-dated correction arrives after a later version
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tests.dbt_runner import Warehouse
from tests.pipeline_runner import build_from_exports, write_rows_as_exports

pytestmark = pytest.mark.slow

D = dt.date(2026, 11, 10)


def _day(timestamp: str) -> str:
    return timestamp[:10]


def user(
    user_id: str,
    signup_at: str,
    is_seller: bool = False,
    seller_tier: str | None = None,
    verification_status: str = "email_verified",
    updated_at: str | None = None,
    export_date: str | None = None,
) -> dict[str, Any]:
    updated_at = updated_at or signup_at
    return {
        "user_id": user_id,
        "email": f"{user_id}@example.com",
        "display_name": user_id,
        "country": "US",
        "signup_at": signup_at,
        "is_seller": is_seller,
        "seller_tier": seller_tier,
        "verification_status": verification_status,
        "updated_at": updated_at,
        "_export_date": export_date or _day(updated_at),
    }


def order(
    order_id: str,
    buyer_id: str,
    placed_at: str,
    amount_usd: str,
    status: str = "placed",
    cancelled_by: str | None = None,
    updated_at: str | None = None,
    seller_id: str = "seller",
    export_date: str | None = None,
) -> dict[str, Any]:
    updated_at = updated_at or placed_at
    return {
        "order_id": order_id,
        "buyer_id": buyer_id,
        "seller_id": seller_id,
        "show_id": None,
        "category": "sneakers",
        "amount_usd": amount_usd,
        "placed_at": placed_at,
        "status": status,
        "cancelled_by": cancelled_by,
        "payment_method": "card",
        "shipped_at": None,
        "delivered_at": None,
        "updated_at": updated_at,
        "_export_date": export_date or _day(updated_at),
    }


def dispute(dispute_id: str, order_id: str, opened_at: str, kind: str = "item_not_received") -> dict[str, Any]:
    return {
        "dispute_id": dispute_id,
        "order_id": order_id,
        "kind": kind,
        "opened_at": opened_at,
        "resolved_at": None,
        "outcome": None,
        "updated_at": opened_at,
        "_export_date": _day(opened_at),
    }


def report(
    report_id: str, reporter_id: str, created_at: str, reported_user_id: str = "seller", export_date: str | None = None
) -> dict[str, Any]:
    return {
        "report_id": report_id,
        "reporter_id": reporter_id,
        "reported_user_id": reported_user_id,
        "show_id": None,
        "reason": "counterfeit",
        "created_at": created_at,
        "updated_at": created_at,
        "_export_date": export_date or _day(created_at),
    }


def action(
    action_id: str,
    user_id: str,
    action_type: str,
    created_at: str,
    reversed_at: str | None = None,
    updated_at: str | None = None,
) -> dict[str, Any]:
    updated_at = updated_at or created_at
    return {
        "action_id": action_id,
        "user_id": user_id,
        "action_type": action_type,
        "policy": "counterfeit",
        "detection_source": "automated",
        "decided_by": "automated",
        "agent_id": None,
        "created_at": created_at,
        "reversed_at": reversed_at,
        "reversal_reason": "appeal_overturned" if reversed_at else None,
        "updated_at": updated_at,
        "_export_date": _day(updated_at),
    }


def ticket(ticket_id: int, requester_user_id: str, created_at: str) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "requester_user_id": requester_user_id,
        "subject": "help",
        "description": "text",
        "channel": "email",
        "queue": "general",
        "category": "sneakers",
        "priority": "normal",
        "status": "new",
        "assignee_agent_id": None,
        "tags": None,
        "related_action_id": None,
        "related_order_id": None,
        "created_at": created_at,
        "first_reply_at": None,
        "solved_at": None,
        "updated_at": created_at,
        "_export_date": _day(created_at),
    }


USERS = [
    user(
        "seller",
        "2025-01-10T08:00:00Z",
        is_seller=True,
        seller_tier="established",
        verification_status="id_verified",
        updated_at="2025-11-10T06:00:00Z",
    ),
    # upgraded after D: day D still sees `established`
    user(
        "seller",
        "2025-01-10T08:00:00Z",
        is_seller=True,
        seller_tier="top",
        verification_status="id_verified",
        updated_at="2026-11-11T09:00:00Z",
    ),
    user("buyer_1", "2026-11-10T01:00:00+03:00"),  # 2026-11-09T22:00Z: one day old on D
    user("buyer_2", "2025-06-01T00:00:00Z", updated_at="2025-11-10T06:00:00Z"),
    # first exported in the 11-11 file, back-dated into day D: unknown on D
    user("buyer_3", "2026-11-10T05:00:00Z", export_date="2026-11-11"),
    user("lapsed", "2025-03-01T00:00:00Z", updated_at="2025-11-10T06:00:00Z"),
    user("banned", "2025-03-01T00:00:00Z", updated_at="2025-11-10T06:00:00Z"),
]

ORDERS = [
    order("o1", "buyer_1", "2026-10-12T00:00:00Z", "100.00"),  # D-29: in the 30-day window
    order("o2", "buyer_1", "2026-10-11T23:59:59Z", "50.00"),  # D-30: out of it, in 90 days
    order("o3", "buyer_2", "2026-11-10T09:00:00Z", "200.00"),  # on D ...
    order(
        "o3", "buyer_2", "2026-11-10T09:00:00Z", "200.00", status="refunded", updated_at="2026-11-11T10:00:00Z"
    ),  # ... refunded after D
    order("o4", "buyer_3", "2026-11-05T12:00:00Z", "40.00"),
    order(
        "o4",
        "buyer_3",
        "2026-11-05T12:00:00Z",
        "40.00",
        status="cancelled",
        cancelled_by="seller",
        updated_at="2026-11-06T08:00:00Z",
    ),
    order("o5", "buyer_1", "2026-11-01T12:00:00Z", "500.00", status="delivered"),
    order("o6", "buyer_2", "2026-08-13T10:00:00Z", "10.00"),  # D-89: in the 90-day window
    order("o7", "buyer_2", "2026-08-12T10:00:00Z", "20.00"),  # D-90: out of it
    order("o8", "buyer_2", "2026-10-20T10:00:00Z", "30.00"),
    order(
        "o8", "buyer_2", "2026-10-20T10:00:00Z", "30.00", status="refunded", updated_at="2026-10-25T10:00:00Z"
    ),  # refunded before D
    order("o9", "buyer_3", "2026-11-10T08:00:00Z", "60.00"),
    # a correction in the 11-12 file whose updated_at lies inside day D: not known on D
    order(
        "o9", "buyer_3", "2026-11-10T08:00:00Z", "600.00", updated_at="2026-11-10T20:00:00Z", export_date="2026-11-12"
    ),
    order("o10", "buyer_1", "2026-06-01T10:00:00Z", "70.00", status="delivered"),
    order("o11", "buyer_x", "2026-11-10T10:00:00Z", "5.00", seller_id="seller_x"),
    # updated 09:00 on D but exported on 11-11, after the 10:00 version: it sorts first, so it is
    # never the current version and never the known one
    order(
        "o11",
        "buyer_x",
        "2026-11-10T10:00:00Z",
        "9.00",
        seller_id="seller_x",
        updated_at="2026-11-10T09:00:00Z",
        export_date="2026-11-11",
    ),
]

DISPUTES = [
    dispute("d6", "o6", "2026-09-01T10:00:00Z"),
    dispute("d6b", "o6", "2026-09-20T10:00:00Z"),  # a second dispute on o6
    dispute("d7", "o7", "2026-09-01T10:00:00Z"),  # on an order outside 90 days
    dispute("d5", "o5", "2026-11-10T23:00:00Z", kind="chargeback"),  # opened on D: counts
    dispute("d3", "o3", "2026-11-11T08:00:00Z"),  # opened after D
    dispute("d10", "o10", "2026-08-13T09:00:00Z", kind="chargeback"),  # D-89, on a June order
    dispute("d10b", "o10", "2026-08-12T09:00:00Z", kind="chargeback"),  # D-90: out
]

REPORTS = [
    report("r1", "reporter_1", "2026-10-12T10:00:00Z"),
    report("r2", "reporter_2", "2026-11-09T10:00:00Z"),
    report("r3", "reporter_2", "2026-11-10T10:00:00Z"),
    report("r4", "reporter_3", "2026-10-11T10:00:00Z"),  # D-30: out
    report("r5", "reporter_3", "2026-11-10T22:00:00Z", export_date="2026-11-11"),  # arrives after D
]

ACTIONS = [
    action("a1", "seller", "warning", "2025-11-11T00:00:00Z"),  # D-364: in the 365-day window
    action("a2", "seller", "listing_removal", "2025-11-10T23:59:59Z"),  # D-365: out
    action("a3", "seller", "suspension", "2026-10-12T10:00:00Z"),
    action(
        "a3",
        "seller",
        "suspension",
        "2026-10-12T10:00:00Z",
        reversed_at="2026-11-11T09:00:00Z",
        updated_at="2026-11-11T09:00:00Z",
    ),  # reversed after D
    action("a4", "lapsed", "suspension", "2026-10-11T10:00:00Z"),
    action("a5", "banned", "ban", "2025-11-10T12:00:00Z"),
]

TICKETS = [
    ticket(1, "seller", "2026-10-12T00:30:00Z"),
    ticket(2, "seller", "2026-10-11T23:00:00Z"),  # D-30: out
    ticket(3, "lapsed", "2026-11-09T10:00:00Z"),
    ticket(4, "lapsed", "2026-11-10T10:00:00Z"),
    ticket(5, "banned", "2026-11-10T11:00:00Z"),
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    work_dir = tmp_path_factory.mktemp("risk_features")
    exports = write_rows_as_exports(
        work_dir / "exports",
        {
            "users": USERS,
            "orders": ORDERS,
            "disputes": DISPUTES,
            "reports": REPORTS,
            "enforcement_actions": ACTIONS,
            "tickets": TICKETS,
        },
    )
    built = build_from_exports(
        work_dir,
        exports,
        ["build", "--select", "+fct_user_risk_features_daily+", "+dim_user_risk_current+"],
    )
    yield built
    built.close()


def features(warehouse: Warehouse, user_id: str, day: dt.date) -> dict[str, Any]:
    rows = warehouse.rows(
        "select * from marts.fct_user_risk_features_daily where user_id = ? and as_of_day = ?", [user_id, day]
    )
    assert len(rows) == 1, f"expected one row for {user_id} on {day}, got {len(rows)}"
    return rows[0]


def test_active_users_on_d(warehouse: Warehouse) -> None:
    # seller: o3, o9 placed and d5 opened on D; buyer_1: d5 on an order they bought; buyer_2: o3;
    # buyer_3: o9; lapsed, banned: tickets. reporter_*: no activity of their own.
    # buyer_3's user record only arrives in the 11-11 file, but their order o9 is known on D.
    users = {
        r["user_id"]
        for r in warehouse.rows("select user_id from marts.fct_user_risk_features_daily where as_of_day = ?", [D])
    }
    assert users == {"seller", "buyer_1", "buyer_2", "buyer_3", "lapsed", "banned", "seller_x", "buyer_x"}


def test_days_with_activity_only(warehouse: Warehouse) -> None:
    days = [
        r["as_of_day"]
        for r in warehouse.rows("select distinct as_of_day from marts.fct_user_risk_features_daily order by as_of_day")
    ]
    # first: a2 and a5 created on 2025-11-10 (the first export day); last: d3 opened on 11-11.
    # Nothing happens on 11-12 (the o9 correction changes an order placed on D).
    assert days[0] == dt.date(2025, 11, 10)
    assert days[-1] == dt.date(2026, 11, 11)
    assert dt.date(2026, 11, 12) not in days


def test_seller_on_d(warehouse: Warehouse) -> None:
    row = features(warehouse, "seller", D)
    # user state as known on D: the 11-11 upgrade to `top` is not
    assert row["account_age_days"] == (D - dt.date(2025, 1, 10)).days
    assert row["is_seller"] is True
    assert row["seller_tier"] == "established"
    assert row["verification_status"] == "id_verified"
    # sold orders placed 10-12 .. 11-10 as known on D: o1, o3 (refund after D not known), o4 (cancelled),
    # o5, o8 (refunded before D), o9 (60.00: the correction is in a later file)
    assert row["sold_orders_placed_30d"] == 6
    assert row["orders_sold_30d"] == 5  # all but the cancelled o4
    assert row["gmv_sold_30d"] == Decimal("890.00")  # 100 + 200 + 500 + 30 + 60
    assert row["distinct_buyers_30d"] == 3  # buyer_1 (o1, o5), buyer_2 (o3, o8), buyer_3 (o9)
    assert row["seller_cancelled_orders_30d"] == 1  # o4
    assert row["seller_cancel_rate_30d"] == pytest.approx(1 / 6)
    assert row["refunded_sold_orders_30d"] == 1  # o8 only: o3 is refunded after D
    assert row["seller_refund_rate_30d"] == pytest.approx(1 / 6)
    # 90 days (08-13 .. 11-10): o1, o2, o3, o4, o5, o6, o8, o9 (o7 placed 08-12 and o10 in June are out)
    assert row["sold_orders_placed_90d"] == 8
    # disputed by the end of D: o6 (d6 and d6b: one order, counted once) and o5 (d5, opened 23:00 on D);
    # d3 opens after D, d7 is on o7
    assert row["disputed_sold_orders_90d"] == 2
    assert row["dispute_rate_90d"] == pytest.approx(2 / 8)
    # buyer_1 spent 100 + 500 of the 890
    assert row["top_buyer_gmv_30d"] == Decimal("600.00")
    assert row["top_buyer_gmv_share_30d"] == pytest.approx(600 / 890)
    # reports 10-12 .. 11-10 known on D: r1, r2, r3 (r4 is D-30, r5 arrives in the 11-11 file)
    assert row["reports_received_30d"] == 3
    assert row["distinct_reporters_30d"] == 2
    # a1 (D-364) and a3 (reversed only after D); a2 is D-365
    assert row["enforcement_actions_365d"] == 2
    assert row["reversed_actions_365d"] == 0
    assert row["has_active_restriction"] is True  # a3, a suspension created D-29
    assert row["tickets_opened_30d"] == 1  # t1 (t2 is D-30)
    assert row["orders_bought_30d"] == 0
    assert row["gmv_bought_30d"] == Decimal("0.00")
    assert row["chargebacks_as_buyer_90d"] == 0


def test_seller_the_day_after_d(warehouse: Warehouse) -> None:
    # 11-11: active (d3 opened on o3); a3 is reversed by the end of the day, o3 is now refunded.
    row = features(warehouse, "seller", D + dt.timedelta(days=1))
    assert row["seller_tier"] == "top"
    assert row["refunded_sold_orders_30d"] == 2  # o3 and o8
    # window 08-14 .. 11-11: o6 (placed 08-13) has left it; o3 (d3, opened 11-11) and o5 are disputed
    assert row["sold_orders_placed_90d"] == 7
    assert row["disputed_sold_orders_90d"] == 2
    # window 2025-11-12 .. 2026-11-11: a1 has left it; a3 is reversed
    assert row["enforcement_actions_365d"] == 0
    assert row["reversed_actions_365d"] == 1
    assert row["has_active_restriction"] is False


def test_buyer_1_on_d(warehouse: Warehouse) -> None:
    row = features(warehouse, "buyer_1", D)
    assert row["account_age_days"] == 1  # signed up 2026-11-09T22:00Z
    assert row["is_seller"] is False
    assert row["orders_bought_30d"] == 2  # o1 (D-29), o5; o2 is D-30
    assert row["gmv_bought_30d"] == Decimal("600.00")
    assert row["chargebacks_as_buyer_90d"] == 2  # d5 and d10 (D-89, on a June order); d10b is D-90
    # no sales: seller counts are 0 and their rates null
    assert row["sold_orders_placed_30d"] == 0
    assert row["gmv_sold_30d"] == Decimal("0.00")
    assert row["seller_cancel_rate_30d"] is None
    assert row["seller_refund_rate_30d"] is None
    assert row["dispute_rate_90d"] is None
    assert row["top_buyer_gmv_share_30d"] is None
    assert row["has_active_restriction"] is False


def test_buyer_2_refund_after_d_not_counted(warehouse: Warehouse) -> None:
    row = features(warehouse, "buyer_2", D)
    assert row["orders_bought_30d"] == 2  # o3 and o8 (refunded orders count)
    assert row["gmv_bought_30d"] == Decimal("230.00")


def test_correction_in_later_file_does_not_change_d(warehouse: Warehouse) -> None:
    row = features(warehouse, "buyer_3", D)
    assert row["gmv_bought_30d"] == Decimal("60.00")  # not the 600.00 of the 11-12 correction
    assert row["orders_bought_30d"] == 1  # o9; o4 is cancelled as known on D
    # the user record arrives in the 11-11 file: unknown on D
    assert row["account_age_days"] is None
    assert row["is_seller"] is None
    assert row["verification_status"] is None


def test_suspension_lapses_after_30_days(warehouse: Warehouse) -> None:
    # a4 created 2026-10-11: 11-09 is day 29 after it (window 10-11 .. 11-09), 11-10 is day 30
    assert features(warehouse, "lapsed", D - dt.timedelta(days=1))["has_active_restriction"] is True
    on_d = features(warehouse, "lapsed", D)
    assert on_d["has_active_restriction"] is False
    assert on_d["enforcement_actions_365d"] == 1  # still in the 365-day window
    assert on_d["tickets_opened_30d"] == 2


def test_ban_in_force_however_old(warehouse: Warehouse) -> None:
    row = features(warehouse, "banned", D)
    assert row["has_active_restriction"] is True
    assert row["enforcement_actions_365d"] == 0  # created D-365: outside the window


def test_known_day_ranges_in_history(warehouse: Warehouse) -> None:
    versions = warehouse.rows(
        "select version_number, export_date, known_from_day, known_to_day from intermediate.int_orders_history "
        "where order_id = 'o9' order by version_number"
    )
    # the 11-12 correction (updated 11-10 20:00) follows the 11-10 version in version order and is
    # visible from 11-12: the first version is the known one on 11-10 and 11-11 only
    assert [(v["known_from_day"], v["known_to_day"]) for v in versions] == [
        (dt.date(2026, 11, 10), dt.date(2026, 11, 12)),
        (dt.date(2026, 11, 12), None),
    ]
    back_dated = warehouse.rows(
        "select export_date, known_from_day, known_to_day, is_current from intermediate.int_orders_history "
        "where order_id = 'o11' order by version_number"
    )
    # version 1 is the back-dated 11-11 copy: visible from 11-11, superseded from 11-10 -> empty range
    assert [(v["known_from_day"], v["known_to_day"], v["is_current"]) for v in back_dated] == [
        (dt.date(2026, 11, 11), dt.date(2026, 11, 10), False),
        (dt.date(2026, 11, 10), None, True),
    ]
    assert features(warehouse, "seller_x", D)["gmv_sold_30d"] == Decimal("5.00")


def current(warehouse: Warehouse, user_id: str) -> dict[str, Any]:
    rows = warehouse.rows("select * from marts.dim_user_risk_current where user_id = ?", [user_id])
    assert len(rows) == 1
    return rows[0]


def test_dim_covers_every_known_user_as_of_last_day(warehouse: Warehouse) -> None:
    rows = warehouse.rows("select user_id, as_of_day from marts.dim_user_risk_current order by user_id")
    assert [r["user_id"] for r in rows] == sorted(["seller", "buyer_1", "buyer_2", "buyer_3", "lapsed", "banned"])
    assert {r["as_of_day"] for r in rows} == {dt.date(2026, 11, 12)}


def test_dim_features_as_of_last_day(warehouse: Warehouse) -> None:
    last = dt.date(2026, 11, 12)
    buyer_3 = current(warehouse, "buyer_3")
    assert buyer_3["account_age_days"] == 2  # known now, signed up 11-10
    assert buyer_3["gmv_bought_30d"] == Decimal("600.00")  # the correction is known now
    buyer_2 = current(warehouse, "buyer_2")  # not active on the last day, still a row
    assert buyer_2["orders_bought_30d"] == 2  # o3, o8 (window 10-14 .. 11-12)
    seller = current(warehouse, "seller")
    assert seller["as_of_day"] == last
    # reports 10-14 .. 11-12: r2, r3 (reporter_2) and r5 (reporter_3)
    assert seller["reports_received_30d"] == 3
    assert seller["distinct_reporters_30d"] == 2


def test_risk_tiers_and_reasons(warehouse: Warehouse) -> None:
    # banned: a ban in force -> active_restriction fires high on its own
    banned = current(warehouse, "banned")
    assert (banned["risk_tier"], banned["rules_fired"], banned["risk_reasons"]) == (
        "high",
        1,
        "active_restriction:high",
    )
    # seller on 11-12: 2 distinct reporters (elevated at 2). Its dispute rate 2/7 is far above 1.8% but over
    # only 7 sold orders (the rule needs 20), and 5 orders placed in 30 days are below the cancel and
    # refund rules' 10: none of those fire. No standing enforcement action (a1 out of window, a3 reversed).
    seller = current(warehouse, "seller")
    assert seller["dispute_rate_90d"] == pytest.approx(2 / 7)
    assert (seller["risk_tier"], seller["rules_fired"], seller["risk_reasons"]) == (
        "elevated",
        1,
        "distinct_reporters:elevated",
    )
    # buyer_1: window 08-15 .. 11-12 holds d5 only (d10 opened 08-13): 1 chargeback -> elevated at 1
    buyer_1 = current(warehouse, "buyer_1")
    assert buyer_1["chargebacks_as_buyer_90d"] == 1
    assert (buyer_1["risk_tier"], buyer_1["risk_reasons"]) == ("elevated", "buyer_chargebacks:elevated")
    # lapsed: one standing action (a4) is below enforcement_history's 2, and the suspension has lapsed
    lapsed = current(warehouse, "lapsed")
    assert lapsed["enforcement_actions_365d"] == 1
    assert (lapsed["risk_tier"], lapsed["rules_fired"], lapsed["risk_reasons"]) == ("low", 0, None)
    buyer_2 = current(warehouse, "buyer_2")
    assert (buyer_2["risk_tier"], buyer_2["rules_fired"], buyer_2["risk_reasons"]) == ("low", 0, None)


def test_fixture_loads_without_quarantine(warehouse: Warehouse) -> None:
    quarantined = warehouse.scalar(
        "select sum(c) from (select count(*) as c from quarantine.users union all "
        "select count(*) from quarantine.orders union all select count(*) from quarantine.disputes union all "
        "select count(*) from quarantine.reports union all select count(*) from quarantine.enforcement_actions "
        "union all select count(*) from quarantine.tickets)"
    )
    assert quarantined == 0
