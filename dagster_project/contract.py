"""The raw export contract (``docs/exports.md``, v1.1) as data.

One place describes every exported table: its system, file format, key,
columns, column kinds, enum values and which columns hold PII. The generator,
the loader, the tests and the dbt source YAML all read it, so the contract is
written down exactly once in code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["string", "integer", "boolean", "decimal", "number", "timestamp", "string_list"]

CATEGORIES = (
    "trading_cards",
    "sports_cards",
    "sneakers",
    "luxury_fashion",
    "streetwear",
    "comics",
    "coins",
    "toys",
    "electronics",
    "video_games",
    "plants",
    "other",
)
POLICIES = (
    "counterfeit",
    "fraud",
    "harassment",
    "prohibited_item",
    "shill_bidding",
    "off_platform_payment",
)


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = "string"
    values: tuple[str, ...] | None = None  # accepted values (enums), as exported text
    pattern: str | None = None  # regular expression a non-null value must match
    pii: bool = False  # email, display name or free text: never reaches a mart


@dataclass(frozen=True)
class Table:
    system: Literal["marketplace", "support"]
    name: str
    key: str
    columns: tuple[Column, ...]

    @property
    def file_format(self) -> Literal["csv", "jsonl"]:
        return "csv" if self.system == "marketplace" else "jsonl"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def folder(self, exports_dir: str) -> str:
        return f"{exports_dir}/{self.system}/{self.name}"


def _enum(name: str, *values: str) -> Column:
    return Column(name, "string", values=values)


def _ts(name: str) -> Column:
    return Column(name, "timestamp")


UPDATED_AT = _ts("updated_at")

TABLES: tuple[Table, ...] = (
    Table(
        "marketplace",
        "users",
        "user_id",
        (
            Column("user_id"),
            Column("email", pii=True),
            Column("display_name", pii=True),
            Column("country", pattern=r"^[A-Z]{2}$"),
            _ts("signup_at"),
            Column("is_seller", "boolean"),
            _enum("seller_tier", "new", "established", "top"),
            _enum("verification_status", "unverified", "email_verified", "id_verified"),
            UPDATED_AT,
        ),
    ),
    Table(
        "marketplace",
        "shows",
        "show_id",
        (
            Column("show_id"),
            Column("seller_id"),
            _enum("category", *CATEGORIES),
            Column("title", pii=True),
            _ts("started_at"),
            _ts("ended_at"),
            Column("peak_viewers", "integer"),
            UPDATED_AT,
        ),
    ),
    Table(
        "marketplace",
        "orders",
        "order_id",
        (
            Column("order_id"),
            Column("buyer_id"),
            Column("seller_id"),
            Column("show_id"),
            _enum("category", *CATEGORIES),
            Column("amount_usd", "decimal"),
            _ts("placed_at"),
            _enum("status", "placed", "shipped", "delivered", "cancelled", "refunded"),
            _enum("cancelled_by", "buyer", "seller", "system"),
            _enum("payment_method", "card", "wallet", "bank"),
            _ts("shipped_at"),
            _ts("delivered_at"),
            UPDATED_AT,
        ),
    ),
    Table(
        "marketplace",
        "disputes",
        "dispute_id",
        (
            Column("dispute_id"),
            Column("order_id"),
            _enum("kind", "chargeback", "item_not_received", "not_as_described", "counterfeit_claim"),
            _ts("opened_at"),
            _ts("resolved_at"),
            _enum("outcome", "buyer_won", "seller_won"),
            UPDATED_AT,
        ),
    ),
    Table(
        "marketplace",
        "reports",
        "report_id",
        (
            Column("report_id"),
            Column("reporter_id"),
            Column("reported_user_id"),
            Column("show_id"),
            _enum("reason", *POLICIES, "other"),
            _ts("created_at"),
            UPDATED_AT,
        ),
    ),
    Table(
        "marketplace",
        "enforcement_actions",
        "action_id",
        (
            Column("action_id"),
            Column("user_id"),
            _enum("action_type", "warning", "listing_removal", "show_termination", "suspension", "ban"),
            _enum("policy", *POLICIES),
            _enum("detection_source", "automated", "user_report", "proactive_agent"),
            _enum("decided_by", "automated", "agent"),
            Column("agent_id"),
            _ts("created_at"),
            _ts("reversed_at"),
            _enum("reversal_reason", "appeal_overturned", "qa_correction"),
            UPDATED_AT,
        ),
    ),
    Table(
        "marketplace",
        "appeals",
        "appeal_id",
        (
            Column("appeal_id"),
            Column("action_id"),
            Column("user_id"),
            _ts("submitted_at"),
            Column("review_level", "integer", values=("1", "2")),
            Column("assigned_agent_id"),
            _ts("decided_at"),
            _enum("outcome", "upheld", "overturned", "partially_overturned"),
            UPDATED_AT,
        ),
    ),
    Table(
        "support",
        "tickets",
        "ticket_id",
        (
            Column("ticket_id", "integer"),
            Column("requester_user_id"),
            Column("subject", pii=True),
            Column("description", pii=True),
            _enum("channel", "email", "chat", "web_form"),
            _enum("queue", "trust_safety", "fraud", "appeals", "general"),
            _enum("category", *CATEGORIES),
            _enum("priority", "low", "normal", "high", "urgent"),
            _enum("status", "new", "open", "pending", "solved", "closed"),
            Column("assignee_agent_id"),
            Column("tags", "string_list"),
            Column("related_action_id"),
            Column("related_order_id"),
            _ts("created_at"),
            _ts("first_reply_at"),
            _ts("solved_at"),
            UPDATED_AT,
        ),
    ),
    Table(
        "support",
        "satisfaction_ratings",
        "rating_id",
        (
            Column("rating_id"),
            Column("ticket_id", "integer"),
            Column("score", "integer"),
            Column("comment", pii=True),
            _ts("created_at"),
            UPDATED_AT,
        ),
    ),
    Table(
        "support",
        "qa_reviews",
        "review_id",
        (
            Column("review_id"),
            _enum("case_type", "ticket", "enforcement", "appeal"),
            Column("case_id"),
            Column("agent_id"),
            Column("reviewer_id"),
            _ts("reviewed_at"),
            Column("rubric_version"),
            _enum("sampling_method", "random", "stratified", "targeted", "calibration"),
            Column("calibration_session_id"),
            Column("policy_applied_correctly", "boolean"),
            Column("evidence_standard_met", "boolean"),
            Column("resolution_correct", "boolean"),
            Column("communication_score", "integer"),
            Column("critical_error", "boolean"),
            Column("overall_score", "number"),
            UPDATED_AT,
        ),
    ),
    Table(
        "support",
        "agents",
        "agent_id",
        (
            Column("agent_id"),
            Column("display_name", pii=True),
            Column("email", pii=True),
            Column("team"),
            Column("site"),
            _enum("role", "agent", "specialist", "lead", "qa_reviewer"),
            _ts("hired_at"),
            Column("active", "boolean"),
            UPDATED_AT,
        ),
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# Columns added by the loader to every raw table (lineage of each row).
LOAD_METADATA_COLUMNS = ("_export_date", "_source_file", "_source_line", "_loaded_at")


def table(name: str) -> Table:
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown export table {name!r}; known: {', '.join(TABLES_BY_NAME)}") from None
