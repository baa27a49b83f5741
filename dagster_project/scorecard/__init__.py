"""The weekly QA scorecard: one self-contained HTML page for people who do not write SQL.

``trustqa report`` and the ``qa_scorecard`` asset build it from the marts
(the analysts' published DuckDB copy, or Snowflake's ``marts`` schema) and
write ``scorecard/<week>.html`` and ``scorecard/latest.html`` beside the
published copy. One module per job:

- :mod:`.data` reads the marts (headline rows, signals, spikes, sampling plan, calibration);
- :mod:`.trends` turns the daily marts into weekly values with 95% intervals (:mod:`.stats`);
- :mod:`.wording` says what each headline change means, honestly about significance;
- :mod:`.glossary` says what each number means, citing ``docs/metrics.md``;
- :mod:`.charts` draws the Plotly figures in the Okabe-Ito palette;
- :mod:`.page` assembles the HTML (plotly.js inlined once, print stylesheet in :mod:`.style`);
- :mod:`.writer` writes the files atomically; :mod:`.build` ties these together;
- :mod:`.command` is ``trustqa report``.

What the page shows and where each number comes from: ``docs/scorecard.md``.
"""
