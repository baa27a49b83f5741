"""The scorecard's Plotly figures, in the Okabe-Ito palette (distinguishable with every common colour-vision deficiency).

Colour is never the only cue: this week's point is also a larger diamond,
a not-final week has a hollow marker and a labelled grey band, and the
calibration series differ by marker shape. Figures use Plotly's empty
template (``"none"``) and set what they need, so each embeds a few kB
instead of the default template's ~7 kB. :func:`chart_html` renders one
figure without plotly.js (the page inlines it once).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import plotly.graph_objects as go

from dagster_project.insights.metric_labels import label_of
from dagster_project.planning.order import shortest_first
from dagster_project.scorecard.data import CalibrationItem, Spike, Stratum
from dagster_project.scorecard.trends import Trend
from dagster_project.scorecard.wording import short_day, stream_words

# Okabe & Ito (2008), "Color Universal Design".
BLACK, ORANGE, SKY_BLUE, BLUISH_GREEN = "#000000", "#E69F00", "#56B4E9", "#009E73"
YELLOW, BLUE, VERMILLION, REDDISH_PURPLE = "#F0E442", "#0072B2", "#D55E00", "#CC79A7"
GREY = "#999999"
BAND = "rgba(86, 180, 233, 0.35)"  # sky blue, translucent
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
CONFIG = {"displayModeBar": False, "responsive": True}
HALF_WEEK = dt.timedelta(days=3, hours=12)
WEEK_MS = 7 * 24 * 3600 * 1000  # a date axis's dtick is in milliseconds
RUBRIC_STYLES = {
    "policy_applied_correctly": (BLUE, "circle"),
    "evidence_standard_met": (ORANGE, "square"),
    "resolution_correct": (BLUISH_GREEN, "diamond"),
    "critical_error": (REDDISH_PURPLE, "triangle-up"),
}
# Krippendorff (2004): rely on alpha >= 0.8; 0.667 <= alpha < 0.8 for tentative conclusions only.
ALPHA_LINES = ((0.8, "dash", "0.8: reliable agreement"), (0.667, "dot", "0.667: tentative conclusions only"))


def _layout(fig: go.Figure, height: int, **axes: dict) -> go.Figure:
    grid = {"gridcolor": "#e6e6e6", "linecolor": "#444444", "showline": True, "zeroline": False}
    fig.update_layout(
        template="none",
        height=height,
        font={"family": FONT, "size": 13, "color": "#222222"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 64, "r": 24, "t": 36, "b": 48},
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        hoverlabel={"font": {"family": FONT}},
        xaxis={**grid, **axes.get("xaxis", {})},
        yaxis={**grid, **axes.get("yaxis", {})},
    )
    return fig


def chart_html(fig: go.Figure, div_id: str) -> str:
    """One figure as an HTML fragment with its data inlined and without plotly.js (loaded once by the page)."""
    height = fig.layout.height or 320
    return fig.to_html(
        full_html=False, include_plotlyjs=False, div_id=div_id, default_height=f"{height}px", config=CONFIG
    )


def _not_final_spans(weeks: Sequence[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive not-final weeks merged into (first Monday, last Monday) spans."""
    spans: list[tuple[dt.date, dt.date]] = []
    for week in sorted(weeks):
        if spans and week - spans[-1][1] == dt.timedelta(weeks=1):
            spans[-1] = (spans[-1][0], week)
        else:
            spans.append((week, week))
    return spans


def trend_figure(trend: Trend, week: dt.date) -> go.Figure:
    """The weekly value with its 95% band; this week highlighted; not-final weeks shaded and labelled."""
    scale = 100.0 if label_of(trend.metric).is_rate else 1.0
    points = trend.points
    x = [p.week_start for p in points]
    value_format = "%{y:.1f}" + ("%" if scale == 100.0 else "")
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[None if p.high is None else p.high * scale for p in points],
            mode="lines",
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[None if p.low is None else p.low * scale for p in points],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=BAND,
            name="95% interval",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[p.value * scale for p in points],
            customdata=[[p.n, "" if p.is_final else " (not final)"] for p in points],
            mode="lines+markers",
            line={"color": BLUE, "width": 2},
            marker={
                "color": ["white" if not p.is_final else BLUE for p in points],
                "line": {"color": BLUE, "width": 2},
                "size": 7,
            },
            name="Weekly value",
            hovertemplate=f"Week of %{{x|%d %b %Y}}%{{customdata[1]}}<br>{value_format}<br>n = %{{customdata[0]:,}}"
            "<extra></extra>",
        )
    )
    this_week = [p for p in points if p.week_start == week]
    if this_week:
        fig.add_trace(
            go.Scatter(
                x=[week],
                y=[this_week[0].value * scale],
                mode="markers",
                marker={"color": ORANGE, "symbol": "diamond", "size": 14, "line": {"color": BLACK, "width": 1}},
                name="This week",
                hoverinfo="skip",
            )
        )
    for first, last in _not_final_spans([p.week_start for p in points if not p.is_final]):
        fig.add_vrect(
            x0=first - HALF_WEEK,
            x1=last + HALF_WEEK,
            fillcolor=GREY,
            opacity=0.25,
            line_width=0,
            layer="below",
            annotation_text="not final",
            annotation_position="top left",
            annotation_font={"size": 12, "color": "#444444"},
        )
    x_range = [x[0] - HALF_WEEK, week + HALF_WEEK] if x else None
    every = 1 if len(points) <= 10 else 2 if len(points) <= 18 else 4  # weeks between labelled Mondays
    ticks = {"tick0": week, "dtick": every * WEEK_MS, "tickformat": "%-d %b"}
    return _layout(
        fig,
        300,
        xaxis={"type": "date", "range": x_range, **ticks},
        yaxis={"ticksuffix": "%" if scale == 100.0 else "", "title": {"text": label_of(trend.metric).name}},
    )


def spikes_figure(spikes: Sequence[Spike]) -> go.Figure:
    """Each spike of the week: the day's count beside the count usual for that weekday."""
    labels = [f"{short_day(s.day)} · {stream_words(s.stream, s.key)}" for s in spikes]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=labels,
            x=[s.expected for s in spikes],
            orientation="h",
            marker_color=SKY_BLUE,
            name="Usual for that weekday (average of the 4 weeks before)",
            hovertemplate="%{y}<br>usual: %{x:.1f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Bar(
            y=labels,
            x=[s.events for s in spikes],
            orientation="h",
            marker_color=VERMILLION,
            name="Count that day",
            hovertemplate="%{y}<br>count: %{x}<extra></extra>",
        )
    )
    _layout(fig, 110 + 56 * len(spikes), xaxis={"title": {"text": "events"}}, yaxis={"autorange": "reversed"})
    return fig.update_layout(barmode="group", legend_traceorder="reversed", margin_l=280)


def sampling_figure(strata: Sequence[Stratum]) -> go.Figure:
    """Reviews done against reviews required per stratum, the shortest first."""
    ordered = sorted(strata, key=lambda s: shortest_first(s.is_short, s.coverage, s.stratum))
    labels = [s.stratum for s in ordered]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=labels,
            x=[s.n_required for s in ordered],
            orientation="h",
            marker_color=SKY_BLUE,
            name="Required",
            hovertemplate="%{y}<br>required: %{x}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Bar(
            y=labels,
            x=[s.n_reviewed for s in ordered],
            orientation="h",
            marker_color=BLUE,
            name="Done",
            text=["" if s.coverage is None else f"{s.coverage:.0%}" for s in ordered],
            textposition="outside",
            hovertemplate="%{y}<br>done: %{x}<extra></extra>",
        )
    )
    _layout(fig, 110 + 44 * len(ordered), xaxis={"title": {"text": "reviews"}}, yaxis={"autorange": "reversed"})
    return fig.update_layout(barmode="group", legend_traceorder="reversed", margin_l=230)


def calibration_figure(items: Sequence[CalibrationItem]) -> go.Figure:
    """Krippendorff's alpha per session and rubric item, with the 0.667 and 0.8 reference lines."""
    sessions: dict[str, str] = {}
    for item in items:
        when = "" if item.first_day is None else f"<br>{item.first_day.day} {item.first_day:%b}"
        sessions.setdefault(item.session, f"{item.session}{when}")
    fig = go.Figure()
    for rubric_item, (colour, symbol) in RUBRIC_STYLES.items():
        alphas = {i.session: i for i in items if i.rubric_item == rubric_item}
        fig.add_trace(
            go.Scatter(
                x=list(sessions.values()),
                y=[alphas[s].alpha if s in alphas else None for s in sessions],
                customdata=[alphas[s].pairable_values if s in alphas else 0 for s in sessions],
                mode="lines+markers",
                line={"color": colour, "width": 1},
                marker={"color": colour, "symbol": symbol, "size": 10},
                name=rubric_item.replace("_", " "),
                hovertemplate="%{x}<br>alpha %{y:.2f} (%{customdata} values)<extra>" + rubric_item + "</extra>",
            )
        )
    for level, dash, text in ALPHA_LINES:
        fig.add_hline(
            y=level,
            line={"color": BLACK, "dash": dash, "width": 1.5},
            annotation_text=text,
            annotation_position="bottom right",
            annotation_font={"size": 12},
        )
    alphas = [i.alpha for i in items if i.alpha is not None]
    low = min([-0.2, *[a - 0.1 for a in alphas]])
    return _layout(
        fig,
        380,
        xaxis={"type": "category"},
        yaxis={"range": [low, 1.08], "title": {"text": "Krippendorff's alpha"}},
    )
