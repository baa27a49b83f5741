"""How each metric of ``fct_metric_shifts_weekly`` is named, counted and read (higher better or worse)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricLabel:
    name: str  # as people say it
    unit: str  # what n counts (plural)
    is_rate: bool  # a share, shown as a percentage (else a score, shown as is)
    higher_is_better: bool


METRICS = {
    "qa_score": MetricLabel("QA score", "reviews", False, True),
    "policy_adherence_rate": MetricLabel("Policy adherence", "reviews", True, True),
    "critical_error_rate": MetricLabel("Critical error rate", "reviews", True, False),
    "csat_pct": MetricLabel("CSAT", "ratings", True, True),
    "appeal_overturn_rate": MetricLabel("Appeal overturn rate", "decided appeals", True, False),
    "wrongful_enforcement_rate": MetricLabel("Wrongful enforcement rate", "mature actions", True, False),
    "first_reply_sla_attainment": MetricLabel("First-reply SLA attainment", "tickets", True, True),
}

# How a driver dimension's members are named in a sentence (plural).
DIMENSION_PLURALS = {
    "agent": "agents",
    "team": "teams",
    "queue": "queues",
    "category": "categories",
    "site": "sites",
    "policy": "policies",
    "case_type": "case types",
}


def label_of(metric: str) -> MetricLabel:
    """The label of a metric; an unknown one is shown by its column name, as a higher-is-better score."""
    return METRICS.get(metric, MetricLabel(metric, "units", False, True))


def shown_value(metric: str, value: float | None) -> str:
    """A metric value as people read it: a rate as a percentage with one decimal, a score with one decimal."""
    if value is None:
        return "n/a"
    return f"{value * 100:.1f}%" if label_of(metric).is_rate else f"{value:.1f}"
