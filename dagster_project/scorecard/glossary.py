"""What each number on the scorecard means, in plain words, each entry citing its section of docs/metrics.md.

docs/metrics.md is the source of truth: an entry only says what its
section defines, names the section, and names the mart column it explains
(``tests/test_scorecard_wording.py`` checks that the section exists and
mentions the column, so the two cannot drift apart silently). Thresholds in
the text are the dbt vars the marts were built with, filled in at build time.
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster_project.scorecard.wording import Thresholds


@dataclass(frozen=True)
class Entry:
    term: str
    meaning: str  # a format string: {weeks}, {max_q}, {min_rel}, {spike_q}, {spike_min}, {spike_ratio}
    section: str  # a heading of docs/metrics.md, exactly
    column: str  # the mart column (or mart) the entry explains; mentioned in that section


GLOSSARY = (
    Entry(
        "CSAT",
        "Share of support ratings that give 4 or 5 out of 5. One rating per ticket (its latest), counted in the "
        "week it was given. Higher is better.",
        "CSAT",
        "csat_pct",
    ),
    Entry(
        "QA score",
        "The average score, 0 to 100, that QA reviewers give handled cases; a case with a critical error scores 0. "
        "Calibration reviews are left out. Higher is better.",
        "QA score (IQS), critical errors, policy adherence",
        "iqs",
    ),
    Entry(
        "Policy adherence",
        "Share of reviewed cases in which the reviewer found the policy applied correctly. Higher is better.",
        "QA score (IQS), critical errors, policy adherence",
        "policy_adherence_rate",
    ),
    Entry(
        "Critical error rate",
        "Share of reviewed cases with a critical error, an automatic fail. Lower is better.",
        "QA score (IQS), critical errors, policy adherence",
        "critical_error_rate",
    ),
    Entry(
        "Appeal overturn rate",
        "Share of decided appeals in which our decision was reversed in full or in part, counted in the week the "
        "appeal was decided. Lower is better.",
        "Appeal outcomes",
        "appeal_overturn_rate",
    ),
    Entry(
        "Wrongful enforcement rate",
        "Share of enforcement actions later reversed, for any reason, counted in the week the action was taken. "
        "Lower is better.",
        "Enforcement outcomes",
        "wrongful_enforcement_rate",
    ),
    Entry(
        "First-reply SLA attainment",
        "Share of tickets whose first reply came within the target time for their priority, counted in the week "
        "the ticket was opened. Higher is better.",
        "Ticket SLA",
        "first_reply_sla_attainment",
    ),
    Entry(
        "Trailing {weeks} weeks",
        "The {weeks} complete weeks (Monday to Sunday, UTC) before the week shown, added together: what each "
        "week is compared with.",
        "Weeks and baseline",
        "shift_baseline_weeks",
    ),
    Entry(
        "Significant",
        "A change is called significant when a statistical test makes chance an unlikely explanation "
        "(q-value below {max_q}) and the change is at least {min_rel} of the earlier value. Anything else is "
        "treated as noise: weekly numbers always move a little.",
        "The test",
        "is_signal",
    ),
    Entry(
        "q-value",
        "How likely a change this large would be by chance alone, adjusted for the many comparisons made each "
        "week (Benjamini-Hochberg). The smaller, the stronger the evidence.",
        "The test",
        "q_value",
    ),
    Entry(
        "95% interval (the band)",
        "The range in which the true value very likely lies, given how many cases were counted: narrow with "
        "many cases, wide with few. Weeks whose bands overlap may not really differ.",
        "Sampled proportions",
        "Wilson",
    ),
    Entry(
        "Not final",
        "Enforcement actions younger than 30 days: appeals and reversals are still coming in, so their rate "
        "can only rise. Do not compare them with final weeks.",
        "Maturity and restated days",
        "is_mature",
    ),
    Entry(
        "Drivers",
        "Who or what moved a metric: a rate effect (a group doing better or worse) and a mix effect (a change "
        "in who handles the work).",
        "Drivers",
        "rate_effect",
    ),
    Entry(
        "Volume spike",
        "A day on which something (tickets of a category, user reports, disputes, an agent's critical errors) "
        "happened far more often than on the same weekday of the 4 weeks before: q-value below {spike_q}, at "
        "least {spike_min} events and at least {spike_ratio} times the usual count.",
        "Volume spikes (`fct_volume_spikes_daily`)",
        "is_spike",
    ),
    Entry(
        "Sampling coverage",
        "QA reviews a group of cases (a stratum) got, against the number it needs to estimate its policy "
        "adherence within ±5 points at 95% confidence.",
        "The plan (`fct_qa_sampling_plan`)",
        "n_required",
    ),
    Entry(
        "Krippendorff's alpha",
        "How far QA reviewers agree when they review the same cases, beyond agreement by chance: 1 is perfect, "
        "0 no better than chance. Krippendorff's guideline: 0.8 or more to rely on, 0.667 to 0.8 for tentative "
        "conclusions only. Small sessions make it jumpy.",
        "Calibration agreement",
        "krippendorff_alpha",
    ),
)


def spike_settings() -> dict[str, float]:
    """The spike rule's dbt vars (what the nightly run used unless overridden)."""
    from dagster_project.insights.shifts_command import project_var

    return {
        "spike_q": float(project_var("spike_max_q_value")),
        "spike_min": int(project_var("spike_min_count")),
        "spike_ratio": float(project_var("spike_min_ratio")),
    }


def glossary(thresholds: Thresholds, spikes: dict[str, float] | None = None) -> list[tuple[str, str, str]]:
    """(term, meaning, metrics.md section) per entry, with the thresholds filled in."""
    values = {
        "weeks": thresholds.baseline_weeks,
        "max_q": f"{thresholds.max_q:g}",
        "min_rel": f"{thresholds.min_rel_change:.0%}",
        **{k: f"{v:g}" for k, v in (spikes or spike_settings()).items()},
    }
    return [(e.term.format(**values), e.meaning.format(**values), e.section) for e in GLOSSARY]
