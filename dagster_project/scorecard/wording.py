"""What a headline tile says about its change: the direction, the size and, honestly, whether it is significant.

A tile compares the week's value of a metric (slice ``all`` of
``fct_metric_shifts_weekly``) with the trailing weeks pooled. Its verdict
follows the mart's own test (docs/metrics.md, "Quality shifts and their
drivers", "The test"):

- ``better`` / ``worse``: ``is_signal``, the only case called significant;
- ``small``: q below the threshold but a relative change under the minimum, so not a signal: said as such,
  not as noise;
- ``noise``: tested, q at or above the threshold: no significant change, with its q-value;
- ``untested``: no test (too few units on a side, no variation, or nothing to compare with): said, with why;
- ``none``: no row for the metric this week.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dagster_project.insights.metric_labels import label_of, shown_value
from dagster_project.insights.shift_report import Shift

BADGES = {
    "better": "Significantly better",
    "worse": "Significantly worse",
    "small": "Small change",
    "noise": "No significant change",
    "untested": "Not tested",
    "none": "No data",
}


@dataclass(frozen=True)
class Thresholds:
    """The shift test's settings (dbt vars of ``dbt_project/dbt_project.yml``)."""

    max_q: float = 0.05
    min_rel_change: float = 0.05
    min_n: int = 30
    baseline_weeks: int = 4

    @classmethod
    def from_dbt_project(cls) -> Thresholds:
        """The values the nightly run used unless overridden (the dbt vars' defaults)."""
        from dagster_project.insights.shifts_command import project_var

        return cls(
            max_q=float(project_var("shift_max_q_value")),
            min_rel_change=float(project_var("shift_min_rel_change")),
            min_n=int(project_var("shift_min_n")),
            baseline_weeks=int(project_var("shift_baseline_weeks")),
        )


@dataclass(frozen=True)
class TileText:
    """Everything a headline tile says, as text."""

    value: str  # the week's value, e.g. "75.3%"
    baseline: str  # e.g. "Trailing 4 weeks: 77.6%"
    change: str  # e.g. "▼ 2.2 percentage points (-2.9%)"
    verdict: str  # better, worse, small, noise, untested, none
    sentence: str  # the verdict in words

    @property
    def badge(self) -> str:
        return BADGES[self.verdict]


# fct_volume_spikes_daily streams: what is counted and what its key is (docs/metrics.md, "Volume spikes")
STREAMS = {
    "tickets_by_category": ("tickets", "category"),
    "tickets_by_queue": ("tickets", "queue"),
    "tickets_by_tag": ("tickets", "tag"),
    "reports_by_reason": ("user reports", "reason"),
    "disputes_by_kind": ("disputes", "kind"),
    "enforcement_actions_by_policy": ("enforcement actions", "policy"),
    "critical_errors_by_agent": ("critical errors", "agent"),
}


def stream_words(stream: str, key: str | None) -> str:
    """A spike's stream and key in words: "tickets, category trading_cards"."""
    counted, key_name = STREAMS.get(stream, (stream.replace("_", " "), "key"))
    return f"{counted}, {key_name} {key if key is not None else '(none)'}"


def long_date(day: dt.date) -> str:
    """A day as people write it: 2 Nov 2026."""
    return f"{day.day} {day:%b %Y}"


def short_day(day: dt.date) -> str:
    """A day of the week shown: Mon 2 Nov."""
    return f"{day:%a} {day.day} {day:%b}"


def q_text(q: float) -> str:
    """A q-value as people read it: two significant digits, and "< 0.001" for tiny ones."""
    return "q < 0.001" if q < 0.001 else f"q = {q:.2g}"


def change_text(shift: Shift) -> str:
    """The change against the baseline: an arrow, the absolute change in points, the relative change."""
    if shift.abs_change is None:
        return "No comparison"
    rate = label_of(shift.metric).is_rate
    points = shift.abs_change * 100 if rate else shift.abs_change
    arrow = "▲" if points > 0 else "▼" if points < 0 else "="
    unit = "percentage points" if rate else "points"
    relative = "" if shift.rel_change is None else f" ({shift.rel_change * 100:+.1f}%)"
    return f"{arrow} {abs(points):.1f} {unit}{relative}"


def verdict_of(shift: Shift | None, thresholds: Thresholds) -> tuple[str, str]:
    """The verdict of a headline row and the sentence that says it."""
    if shift is None:
        return "none", "No data for this week."
    label = label_of(shift.metric)
    window = f"the trailing {thresholds.baseline_weeks} weeks"
    if shift.baseline_value is None:
        return "untested", f"Not tested: nothing in {window} to compare with."
    if shift.p_value is None or shift.q_value is None:
        if shift.n < thresholds.min_n or shift.baseline_n < thresholds.min_n:
            return "untested", (
                f"Not tested: too few {label.unit} ({shift.n:,} this week, {shift.baseline_n:,} in {window}; "
                f"the test needs {thresholds.min_n} on each side), so the change cannot be told from chance."
            )
        return "untested", "Not tested: no variation in either period, so there is nothing to test."
    q = q_text(shift.q_value)
    if shift.is_signal:
        higher = (shift.abs_change or 0.0) > 0
        better = higher == label.higher_is_better
        return ("better" if better else "worse"), (
            f"Significant change: {'higher' if higher else 'lower'} than {window}, "
            f"which is {'better' if better else 'worse'} ({q})."
        )
    if shift.q_value < thresholds.max_q:
        relative = "" if shift.rel_change is None else f" ({shift.rel_change * 100:+.1f}%)"
        return "small", (
            f"Too small to count as a change: the difference{relative} is under the "
            f"{thresholds.min_rel_change:.0%} a change must reach, though unlikely to be chance alone ({q})."
        )
    return "noise", f"No significant change ({q}): within the usual week-to-week noise."


def tile_text(shift: Shift | None, thresholds: Thresholds) -> TileText:
    """The text of the headline tile of ``shift`` (None: the metric has no row this week)."""
    verdict, sentence = verdict_of(shift, thresholds)
    if shift is None:
        return TileText("n/a", "", "", verdict, sentence)
    baseline = f"Trailing {thresholds.baseline_weeks} weeks: {shown_value(shift.metric, shift.baseline_value)}"
    return TileText(shown_value(shift.metric, shift.value), baseline, change_text(shift), verdict, sentence)


def headline_markdown(rows: list[tuple[str, Shift | None, str]], thresholds: Thresholds) -> str:
    """The headline figures as a markdown table (the asset's metadata): (metric, row, note) per tile."""
    lines = [
        f"| metric | week | value | trailing {thresholds.baseline_weeks} weeks | change | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for metric, shift, note in rows:
        text = tile_text(shift, thresholds)
        week = "" if shift is None else str(shift.week_start)
        baseline = "" if shift is None else shown_value(metric, shift.baseline_value)
        verdict = text.sentence if not note else f"{text.sentence} {note}"
        lines.append(f"| {label_of(metric).name} | {week} | {text.value} | {baseline} | {text.change} | {verdict} |")
    return "\n".join(lines)
