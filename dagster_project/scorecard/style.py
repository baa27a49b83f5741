"""The page's stylesheet (screen and print) and its one script, inlined: no external font, file or request."""

from __future__ import annotations

CSS = """
:root { --blue: #0072B2; --green: #009E73; --vermillion: #D55E00; --grey: #6b6b6b; --line: #d9d9d9; }
* { box-sizing: border-box; }
body {
  margin: 0 auto; padding: 24px 32px 48px; max-width: 1240px; background: #ffffff; color: #222222;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 0 0 4px; }
p { margin: 4px 0 8px; }
.period { font-size: 17px; }
.muted, figcaption, .source { color: var(--grey); font-size: 13px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(270px, 1fr)); gap: 14px; }
.tile { border: 1px solid var(--line); border-left: 6px solid var(--grey); border-radius: 6px; padding: 12px 14px; }
.tile .value { font-size: 30px; font-weight: 700; margin: 2px 0; }
.tile .change { font-weight: 600; }
.badge {
  display: inline-block; font-size: 13px; font-weight: 700; padding: 1px 8px; border-radius: 10px;
  background: #eeeeee; color: #222222;
}
.verdict-better { border-left-color: var(--green); }
.verdict-better .badge { background: var(--green); color: #ffffff; }
.verdict-worse { border-left-color: var(--vermillion); }
.verdict-worse .badge { background: var(--vermillion); color: #ffffff; }
.verdict-small { border-left-color: var(--blue); }
.note { font-size: 13px; border-top: 1px dashed var(--line); padding-top: 4px; }
.signals p { max-width: 900px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 20px; }
figure { margin: 0; }
.chart-block { border: 1px solid var(--line); border-radius: 6px; padding: 12px; }
dl.glossary dt { font-weight: 700; margin-top: 10px; }
dl.glossary dd { margin: 0 0 0 0; max-width: 900px; }
table.dsa { border-collapse: collapse; margin: 8px 0; }
table.dsa td { padding: 3px 12px 3px 0; border-bottom: 1px solid #ddd; }
table.dsa td.figure { text-align: right; font-variant-numeric: tabular-nums; }
footer { margin-top: 40px; color: var(--grey); font-size: 13px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; background: #ffffff; color: #000000; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  @page { margin: 14mm; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .tile, .chart-block, figure, .signals p, dl.glossary dd { break-inside: avoid; page-break-inside: avoid; }
  .charts { display: block; }
  .chart-block { margin-bottom: 12px; border: none; padding: 0; }
  .js-plotly-plot, .plot-container, .svg-container { max-width: 100% !important; }
}
"""

# Plotly sizes a chart to its container when drawn: redraw at the printed width before printing, and back after.
RESIZE_FOR_PRINT = """
(function () {
  function resizeAll() {
    document.querySelectorAll('.plotly-graph-div').forEach(function (div) { Plotly.Plots.resize(div); });
  }
  window.addEventListener('beforeprint', resizeAll);
  window.addEventListener('afterprint', resizeAll);
  if (window.matchMedia) { window.matchMedia('print').addEventListener('change', resizeAll); }
})();
"""
