"""The scorecard as one self-contained HTML page: sections in reading order, plotly.js inlined exactly once.

Order (issue 22): headline tiles, what changed, trends, spikes, sampling
coverage, calibration, the half-year's DSA transparency figures, glossary. A section whose mart is missing is left
out; one whose mart is empty says so in a sentence. Every text from the
marts is HTML-escaped. Nothing on the page loads anything: no CDN, no font,
no image file.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from dagster_project.dsa.report import LABELS, SCORECARD_METRICS, ReportRow, csv_file_name, format_value, status_text
from dagster_project.insights.metric_labels import label_of
from dagster_project.insights.shift_report import describe_shift, weekly_report
from dagster_project.scorecard import charts
from dagster_project.scorecard.data import CalibrationItem, ScorecardData, Spike, Stratum, Tile
from dagster_project.scorecard.glossary import glossary
from dagster_project.scorecard.style import CSS, RESIZE_FOR_PRINT
from dagster_project.scorecard.trends import TREND_WEEKS
from dagster_project.scorecard.wording import long_date, q_text, short_day, stream_words, tile_text

MAX_SPIKES_SHOWN = 20
TREND_CAPTIONS = {
    "appeal_overturn_rate": "Counted in the week the appeal was decided; appeals still pending are not in it yet.",
    "wrongful_enforcement_rate": (
        "Counted in the week the action was taken. Grey, hollow: weeks whose actions are not 30 days old yet "
        "(not final: appeals are pending and reversals still coming, so these rates will rise)."
    ),
    "first_reply_sla_attainment": "Counted in the week the ticket was opened.",
}


@dataclass(frozen=True)
class Page:
    html: str
    chart_ids: list[str]  # the div id of every chart drawn on the page


def _e(text: object) -> str:
    return html.escape(str(text))


def _tile(tile: Tile, data: ScorecardData) -> str:
    text = tile_text(tile.shift, data.thresholds)
    label = label_of(tile.metric)
    n = "" if tile.shift is None else f'<p class="muted">{tile.shift.n:,} {_e(label.unit)}</p>'
    note = f'<p class="note">{_e(tile.note)}</p>' if tile.note else ""
    return (
        f'<article class="tile verdict-{text.verdict}" data-metric="{_e(tile.metric)}">'
        f"<h3>{_e(label.name)}</h3>"
        f'<p class="value">{_e(text.value)}</p>'
        f'<p class="change">{_e(text.change)}</p>'
        f'<p class="muted">{_e(text.baseline)}</p>'
        f'<p><span class="badge">{_e(text.badge)}</span></p>'
        f'<p class="sentence">{_e(text.sentence)}</p>{n}{note}</article>'
    )


def _what_changed(data: ScorecardData) -> str:
    """The week's signals in the words of ``trustqa shifts`` (largest change first), or its no-signal statement."""
    max_q = data.thresholds.max_q
    tested = [s for s in data.shifts if s.p_value is not None]
    signals = sorted(
        (s for s in data.shifts if s.is_signal), key=lambda s: (-abs(s.rel_change or 0.0), s.metric, s.slice_value)
    )
    if not signals:
        statement = weekly_report(data.week, data.shifts, data.drivers, max_q).split("\n", 1)[1]
        return f"<p>{_e(statement)}</p>"
    paragraphs = [
        describe_shift(s, data.drivers.get((s.metric, s.slice_dimension, s.slice_value), []), max_q) for s in signals
    ]
    count = f"{len(signals)} significant change{'s' if len(signals) != 1 else ''} among {len(tested)} tests"
    intro = (
        f"<p>{count}, each with what drove it. A metric can move for the whole company or only in one slice "
        "(a category, queue or team); the numbers are this week against the trailing weeks.</p>"
    )
    return intro + "".join(f"<p>{_e(p.replace(' -> ', ' → '))}</p>" for p in paragraphs)


def _chart(fig_html: str, title: str, caption: str) -> str:
    return f'<figure class="chart-block"><h3>{_e(title)}</h3>{fig_html}<figcaption>{_e(caption)}</figcaption></figure>'


def _trends(data: ScorecardData, ids: list[str]) -> str:
    blocks = []
    for tile in data.tiles:
        trend = data.trends.get(tile.metric)
        if trend is None or not trend.points:
            continue
        div_id = f"chart-trend-{tile.metric}"
        ids.append(div_id)
        caption = f"Band: {trend.band}. The diamond is the week shown. " + TREND_CAPTIONS.get(tile.metric, "")
        figure = charts.chart_html(charts.trend_figure(trend, data.week), div_id)
        blocks.append(_chart(figure, label_of(tile.metric).name, caption.strip()))
    if not blocks:
        return "<p>No weekly values yet.</p>"
    return f'<div class="charts">{"".join(blocks)}</div>'


def _spike_sentence(spike: Spike) -> str:
    ratio = f"{spike.events / spike.expected:.1f} times" if spike.expected > 0 else "far above"
    return (
        f"{short_day(spike.day)}: {spike.events:,} {stream_words(spike.stream, spike.key)}, {ratio} the usual "
        f"{spike.expected:.1f} for that weekday ({q_text(spike.q_value)})."
    )


def _spikes(spikes: list[Spike], ids: list[str]) -> str:
    if not spikes:
        return "<p>No spike this week: every day's counts were within the usual range for their weekday.</p>"
    ids.append("chart-spikes")
    largest = sorted(spikes, key=lambda s: (-s.events / max(s.expected, 0.5), s.day, s.stream, s.key or ""))
    shown = sorted(largest[:MAX_SPIKES_SHOWN], key=lambda s: (s.day, s.stream, s.key or ""))
    items = "".join(f"<li>{_e(_spike_sentence(s))}</li>" for s in shown)
    more = len(spikes) - len(shown)
    if more:
        items += f"<li>and {more} smaller spike{'s' if more != 1 else ''} (marts.fct_volume_spikes_daily).</li>"
    figure = charts.chart_html(charts.spikes_figure(shown), "chart-spikes")
    caption = "User issue types (tickets, reports, disputes) and agent errors; the largest first when there are many."
    return f"<ul>{items}</ul>" + _chart(figure, "Spikes against the usual count", caption)


def _sampling(strata: list[Stratum], ids: list[str]) -> str:
    if not strata:
        return "<p>No sampling plan for this week.</p>"
    ids.append("chart-sampling")
    short = [s for s in strata if s.is_short]
    missing = sum(s.n_required - s.n_reviewed for s in short)
    summary = (
        f"{len(short)} of {len(strata)} strata got fewer random or stratified reviews than the plan requires "
        f"({missing:,} reviews missing)."
        if short
        else f"All {len(strata)} strata got the reviews the plan requires."
    )
    figure = charts.chart_html(charts.sampling_figure(strata), "chart-sampling")
    caption = "Shortest first; the percentage is the coverage, reviews done over reviews required."
    return f"<p>{_e(summary)}</p>" + _chart(figure, "Reviews done against required, per stratum", caption)


def _calibration(items: list[CalibrationItem], ids: list[str]) -> str:
    if not items:
        return "<p>No calibration session yet.</p>"
    ids.append("chart-calibration")
    caption = (
        "Each point is one rubric item in one session (oldest left); a missing point: nothing to compare, or no "
        "variation. Small sessions make alpha jumpy: hover a point for how many values it rests on."
    )
    figure = charts.chart_html(charts.calibration_figure(items), "chart-calibration")
    return _chart(figure, "Krippendorff's alpha by session", caption)


def _dsa(rows: list[ReportRow]) -> str:
    """The half-year's headline DSA figures and a link to the whole report's CSV, written beside the page."""
    if not rows:
        return "<p>No DSA transparency figures for this half-year yet.</p>"
    first = rows[0]
    totals = {r.metric: r for r in rows if r.breakdown == "total"}
    items = "".join(
        f'<tr><td>{_e(LABELS[metric])}</td><td class="figure">{_e(" ".join(format_value(totals[metric])).strip())}'
        "</td></tr>"
        for metric in SCORECARD_METRICS
        if metric in totals
    )
    link = csv_file_name(first.period)
    return (
        f"<p>{_e(first.period)} ({_e(long_date(first.period_start))} to {_e(long_date(first.period_end))}): "
        f"{_e(status_text(first))}.</p>"
        f'<table class="dsa">{items}</table>'
        f'<p>Every figure with its breakdowns, ready for the Commission\'s templates: <a href="{_e(link)}">{_e(link)}</a> '
        "(<code>trustqa dsa-report</code>; definitions in docs/dsa.md).</p>"
    )


def _glossary(data: ScorecardData) -> str:
    entries = "".join(
        f'<dt>{_e(term)}</dt><dd>{_e(meaning)} <span class="source">(docs/metrics.md, “{_e(section)}”)</span></dd>'
        for term, meaning, section in glossary(data.thresholds)
    )
    return f'<dl class="glossary">{entries}</dl>'


def _section(anchor: str, title: str, body: str, intro: str = "") -> str:
    lead = f'<p class="muted">{_e(intro)}</p>' if intro else ""
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>{lead}{body}</section>'


def render_page(data: ScorecardData, plotly_js: str, generated_at: dt.datetime | None = None) -> Page:
    """The whole page for ``data``; ``plotly_js`` is inlined once in the head."""
    ids: list[str] = []
    week_end = data.week + dt.timedelta(days=6)
    weeks = data.thresholds.baseline_weeks
    as_of = f" Data as of {long_date(data.as_of_day)}." if data.as_of_day else ""
    sections = [
        _section(
            "headline",
            "This week's numbers",
            f'<div class="tiles">{"".join(_tile(t, data) for t in data.tiles)}</div>',
            f"Each number is the week's value, its change against the trailing {weeks} weeks, and whether that "
            "change is significant or within the usual noise.",
        ),
        _section("what-changed", "What changed", f'<div class="signals">{_what_changed(data)}</div>'),
        _section(
            "trends",
            f"Trends over {TREND_WEEKS} weeks",
            _trends(data, ids),
            "The line is the weekly value; the band is the range the true value likely lies in given how many "
            "cases were counted.",
        ),
    ]
    if data.spikes is not None:
        sections.append(_section("spikes", "Spikes this week", _spikes(data.spikes, ids)))
    if data.sampling is not None:
        sections.append(_section("sampling", "QA sampling coverage", _sampling(data.sampling, ids)))
    if data.calibration is not None:
        sections.append(
            _section(
                "calibration",
                "Reviewer calibration",
                _calibration(data.calibration, ids),
                "Do QA reviewers agree when they review the same cases?",
            )
        )
    if data.dsa_report is not None:
        sections.append(
            _section(
                "dsa",
                "EU DSA transparency, half-year to date",
                _dsa(data.dsa_report),
                "What the marketplace reports to regulators under the Digital Services Act (Art. 15, 24).",
            )
        )
    sections.append(_section("glossary", "Glossary", _glossary(data)))
    generated = (generated_at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    title = f"QA scorecard, week of {long_date(data.week)}"
    head = (
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="trustqa report"><meta name="trustqa-generated" content="{generated}">'
        f'<meta name="trustqa-week" content="{data.week.isoformat()}">'
        f'<meta name="trustqa-charts" content="{len(ids)}">'
        f"<title>{_e(title)}</title><style>{CSS}</style><script>{plotly_js}</script>"
    )
    header = (
        "<header><h1>Trust &amp; Safety and support quality: weekly scorecard</h1>"
        f'<p class="period">Week of Monday {_e(long_date(data.week))} to Sunday {_e(long_date(week_end))} (UTC), '
        f"against the {weeks} weeks before.{_e(as_of)}</p></header>"
    )
    footer = (
        "<footer>Built by trustqa (<code>trustqa report</code>, or the nightly <code>qa_scorecard</code> asset) "
        "from the marts. Every number is defined in docs/metrics.md; how this page is made: docs/scorecard.md."
        "</footer>"
    )
    body = header + "".join(sections) + footer + f"<script>{RESIZE_FOR_PRINT}</script>"
    page = f'<!DOCTYPE html>\n<html lang="en"><head>{head}</head><body>{body}</body></html>\n'
    return Page(page, ids)
