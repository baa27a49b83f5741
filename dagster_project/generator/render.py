"""From internal version frames (numbers and codes) to typed pyarrow columns, one function per table.

Enums are codes into the contract's accepted values (``contract.py``), ids are
numbers turned into prefixed strings, timestamps are int64 microseconds shown
with a per-row UTC offset, free text is generated from the record's number.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.contract import Table, table
from dagster_project.generator import textgen
from dagster_project.generator.config import COUNTRIES
from dagster_project.generator.qa import ENFORCEMENT, RUBRIC_VERSIONS, TICKET
from dagster_project.generator.roster import SITES, TEAMS
from dagster_project.generator.rows import Rows
from dagster_project.generator.strings import integers, join, pick, prefixed_ids, where
from dagster_project.generator.timestamps import format_iso

ID_FORMATS = {  # internal number -> exported id
    "user": ("u_", 7),
    "agent": ("ag_", 4),
    "show": ("shw_", 7),
    "order": ("ord_", 8),
    "dispute": ("dsp_", 7),
    "report": ("rpt_", 7),
    "action": ("act_", 7),
    "appeal": ("apl_", 7),
    "rating": ("csat_", 7),
    "review": ("qar_", 7),
    "calibration": ("cal_", 4),
}


def ids(kind: str, numbers: np.ndarray) -> pa.Array:
    prefix, width = ID_FORMATS[kind]
    return prefixed_ids(prefix, np.asarray(numbers), width)


def enum(t: Table, column: str, codes: np.ndarray) -> pa.Array:
    return pick(t.column(column).values, np.asarray(codes))


def flag(codes: np.ndarray) -> pa.Array:
    """int8 with -1 = null -> boolean."""
    codes = np.asarray(codes)
    return pa.array(codes == 1, mask=codes < 0)


def nullable_int(values: np.ndarray) -> pa.Array:
    values = np.asarray(values, dtype=np.int64)
    return pa.array(values, mask=values < 0)


class Renderer:
    """Renders one table's rows; ``offsets`` gives each row its displayed UTC offset."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def ts(self, df: Rows, column: str, offsets: np.ndarray) -> pa.Array:
        return format_iso(np.asarray(df[column], dtype=np.int64), offsets)

    def users(self, t: Table, df: Rows, off: np.ndarray) -> dict[str, pa.Array]:
        n = np.asarray(df["user_id"])
        return {
            "user_id": ids("user", n),
            "email": textgen.user_emails(n, self.seed),
            "display_name": textgen.user_display_names(n, self.seed),
            "country": pick(COUNTRIES, df["country"]),
            "signup_at": self.ts(df, "signup_at", off),
            "is_seller": flag(df["is_seller"]),
            "seller_tier": enum(t, "seller_tier", df["seller_tier"]),
            "verification_status": enum(t, "verification_status", df["verification_status"]),
        }

    def shows(self, t: Table, df: Rows, off: np.ndarray) -> dict[str, pa.Array]:
        n = np.asarray(df["show_id"])
        return {
            "show_id": ids("show", n),
            "seller_id": ids("user", df["seller_id"]),
            "category": enum(t, "category", df["category"]),
            "title": textgen.show_titles(n, np.asarray(df["category"]), self.seed),
            "started_at": self.ts(df, "started_at", off),
            "ended_at": self.ts(df, "ended_at", off),
            "peak_viewers": nullable_int(df["peak_viewers"]),
        }

    def orders(self, t: Table, df: Rows, off: np.ndarray) -> dict[str, pa.Array]:
        cents = np.asarray(df["amount_usd"], dtype=np.int64)
        amount = join(integers(cents // 100), ".", pc.utf8_lpad(integers(cents % 100), 2, "0"))
        return {
            "order_id": ids("order", df["order_id"]),
            "buyer_id": ids("user", df["buyer_id"]),
            "seller_id": ids("user", df["seller_id"]),
            "show_id": ids("show", df["show_id"]),
            "category": enum(t, "category", df["category"]),
            "amount_usd": amount,
            "placed_at": self.ts(df, "placed_at", off),
            "status": enum(t, "status", df["status"]),
            "cancelled_by": enum(t, "cancelled_by", df["cancelled_by"]),
            "payment_method": enum(t, "payment_method", df["payment_method"]),
            "shipped_at": self.ts(df, "shipped_at", off),
            "delivered_at": self.ts(df, "delivered_at", off),
        }

    def disputes(self, t: Table, df: Rows, off: np.ndarray) -> dict[str, pa.Array]:
        return {
            "dispute_id": ids("dispute", df["dispute_id"]),
            "order_id": ids("order", df["order_id"]),
            "kind": enum(t, "kind", df["kind"]),
            "opened_at": self.ts(df, "opened_at", off),
            "resolved_at": self.ts(df, "resolved_at", off),
            "outcome": enum(t, "outcome", df["outcome"]),
        }

    def reports(self, t: Table, df: Rows, off: np.ndarray) -> dict[str, pa.Array]:
        return {
            "report_id": ids("report", df["report_id"]),
            "reporter_id": ids("user", df["reporter_id"]),
            "reported_user_id": ids("user", df["reported_user_id"]),
            "show_id": ids("show", df["show_id"]),
            "reason": enum(t, "reason", df["reason"]),
            "created_at": self.ts(df, "created_at", off),
        }

    def enforcement_actions(self, t: Table, df: Rows, off: np.ndarray) -> dict[str, pa.Array]:
        out = {
            "action_id": ids("action", df["action_id"]),
            "user_id": ids("user", df["user_id"]),
            "agent_id": ids("agent", df["agent_id"]),
            "created_at": self.ts(df, "created_at", off),
            "reversed_at": self.ts(df, "reversed_at", off),
        }
        for c in ("action_type", "policy", "detection_source", "decided_by", "reversal_reason"):
            out[c] = enum(t, c, df[c])
        return out

    def appeals(self, t: Table, df: Rows, off: np.ndarray) -> dict[str, pa.Array]:
        return {
            "appeal_id": ids("appeal", df["appeal_id"]),
            "action_id": ids("action", df["action_id"]),
            "user_id": ids("user", df["user_id"]),
            "submitted_at": self.ts(df, "submitted_at", off),
            "review_level": nullable_int(df["review_level"]),
            "assigned_agent_id": ids("agent", df["assigned_agent_id"]),
            "decided_at": self.ts(df, "decided_at", off),
            "outcome": enum(t, "outcome", df["outcome"]),
        }

    def _tags(self, df: Rows) -> pa.Array:
        n = np.asarray(df["ticket_id"])
        quoted = lambda options, codes: join('"', pick(options, codes), '"')  # noqa: E731
        tags = [
            quoted(("trust_safety", "fraud_review", "appeal", "general"), df["queue"]),
            quoted(("via_email", "via_chat", "via_web"), df["channel"]),
            where(np.asarray(df["related_order_id"]) > 0, '"order_issue"', None),
            where(np.asarray(df["_reassigned"]) == 1, '"escalated"', None),
            where(np.asarray(df["status"]) >= 3, '"csat_offered"', None),
            where(n % 23 == 0, '"vip"', None),
        ]
        body = pc.fill_null(join(*tags, sep=",", skip_nulls=True), "")
        return where(n % 31 == 7, "[]", join("[", body, "]"))

    def tickets(self, t: Table, df: Rows, off: np.ndarray) -> dict[str, pa.Array]:
        n = np.asarray(df["ticket_id"])
        queue = np.asarray(df["queue"])
        order_ids, action_ids = ids("order", df["related_order_id"]), ids("action", df["related_action_id"])
        email = textgen.user_emails(np.asarray(df["requester_user_id"]), self.seed)
        out = {
            "ticket_id": pa.array(n, pa.int64()),
            "requester_user_id": ids("user", df["requester_user_id"]),
            "subject": textgen.ticket_subjects(n, queue, order_ids, action_ids, self.seed),
            "description": textgen.ticket_descriptions(n, queue, order_ids, action_ids, email, self.seed),
            "assignee_agent_id": ids("agent", df["assignee_agent_id"]),
            "tags": self._tags(df),
            "related_action_id": action_ids,
            "related_order_id": order_ids,
        }
        for c in ("channel", "queue", "category", "priority", "status"):
            out[c] = enum(t, c, df[c])
        for c in ("created_at", "first_reply_at", "solved_at"):
            out[c] = self.ts(df, c, off)
        return out

    def satisfaction_ratings(self, t: Table, df: Rows, off: np.ndarray) -> dict[str, pa.Array]:
        n = np.asarray(df["rating_id"])
        score = np.asarray(df["score"])
        email = textgen.user_emails(n + 7_000_000, self.seed)
        return {
            "rating_id": ids("rating", n),
            "ticket_id": pa.array(np.asarray(df["ticket_id"], dtype=np.int64)),
            "score": nullable_int(score),
            "comment": textgen.rating_comments(n, score, np.asarray(df["_has_comment"], dtype=bool), email, self.seed),
            "created_at": self.ts(df, "created_at", off),
        }

    def qa_reviews(self, t: Table, df: Rows, off: np.ndarray) -> dict[str, pa.Array]:
        kind = np.asarray(df["case_type"])
        case = np.asarray(df["case_id"])
        case_id = where(
            kind == TICKET, integers(case), where(kind == ENFORCEMENT, ids("action", case), ids("appeal", case))
        )
        tenths = np.asarray(df["overall_score"], dtype=np.int64)
        return {
            "review_id": ids("review", df["review_id"]),
            "case_type": enum(t, "case_type", kind),
            "case_id": case_id,
            "agent_id": ids("agent", df["agent_id"]),
            "reviewer_id": ids("agent", df["reviewer_id"]),
            "reviewed_at": self.ts(df, "reviewed_at", off),
            "rubric_version": pick(RUBRIC_VERSIONS, df["rubric_version"]),
            "sampling_method": enum(t, "sampling_method", df["sampling_method"]),
            "calibration_session_id": ids("calibration", df["calibration_session_id"]),
            "policy_applied_correctly": flag(df["policy_applied_correctly"]),
            "evidence_standard_met": flag(df["evidence_standard_met"]),
            "resolution_correct": flag(df["resolution_correct"]),
            "communication_score": nullable_int(df["communication_score"]),
            "critical_error": flag(df["critical_error"]),
            "overall_score": join(integers(tenths // 10), ".", integers(tenths % 10)),
        }

    def agents(self, t: Table, df: Rows, off: np.ndarray) -> dict[str, pa.Array]:
        n = np.asarray(df["agent_id"])
        return {
            "agent_id": ids("agent", n),
            "display_name": textgen.agent_display_names(n, self.seed),
            "email": textgen.agent_emails(n, self.seed),
            "team": pick(TEAMS, df["team"]),
            "site": pick(SITES, df["site"]),
            "role": enum(t, "role", df["role"]),
            "hired_at": self.ts(df, "hired_at", off),
            "active": flag(df["active"]),
        }

    def render(self, name: str, df: Rows, offsets: np.ndarray) -> dict[str, pa.Array]:
        """All contract columns of ``name`` for the rows of ``df`` (already in file order)."""
        t = table(name)
        fn: Callable[[Table, Rows, np.ndarray], dict[str, pa.Array]] = getattr(self, name)
        columns = fn(t, df, offsets)
        columns["updated_at"] = self.ts(df, "updated_at", offsets)
        return columns
