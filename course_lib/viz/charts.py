r"""Chart plumbing shared by every chapter: named data sources, sizes, titles, data in/out.

Every chart of the course has three pieces: ``X_tables(...)`` computes the numbers as named
tables (dataset name -> dict of equal-length 1-D NumPy columns; easy to test); ``X_template()``
is the Altair chart with *named* data sources and no data (built once; an explorer afterwards
only swaps the data, and the browser updates the drawn chart in place); ``X_chart(...)`` is
template + tables. This module holds what those pieces share; the chapters' charts are in
:mod:`course_lib.viz.explorers` (chapter 3), :mod:`course_lib.bandit.charts` (chapter 4) and
:mod:`course_lib.lab.charts` (chapter 5).
"""

from __future__ import annotations

import altair as alt
import numpy as np

from .._checks import as_int_array, as_prob_array

WIDTH, HEIGHT = 200, 190
"""Size in pixels of one chart panel (the plotting area, without axes, titles and legends)."""

MAX_WIDTH = 800
"""Widest a whole chart may be drawn, in pixels, so that it fits the notebook.

JupyterLab 4 at a 1280 px wide window, with its file browser open (as it opens), leaves
848 px for a cell's output; vega-embed adds 38 px for its "..." menu. A wider chart is cut at
the right edge of its output area (titles and legends hidden behind a scroll bar). Checked
for every chart by tests/test_charts.py (offline) and tests/test_browser.py (in Chromium).
Three panels of :data:`WIDTH` side by side fit, with their legend *under* them
(:func:`legend_below`), not to their right.
"""

RED = "#d62728"
"""Colour of the marks that follow the sliders."""


# ----------------------------------------------------------------------------- plumbing
def records(table: dict) -> list[dict]:
    """Rows of ``table`` (column -> 1-D array) as a list of dicts of plain Python values."""
    cols = [np.asarray(col).tolist() for col in table.values()]
    if len({len(col) for col in cols}) > 1:
        raise ValueError(f"table columns must have equal lengths, got {[len(c) for c in cols]}")
    names = list(table)
    return [dict(zip(names, row, strict=True)) for row in zip(*cols, strict=True)]


def _finite(table: dict) -> dict:
    """``table`` with non-finite floats replaced by None (JSON has no inf/NaN)."""
    out = {}
    for name, col in table.items():
        col = np.asarray(col)
        if col.dtype.kind == "f" and not np.isfinite(col).all():
            col = np.where(np.isfinite(col), col, None)
        out[name] = col
    return out


def datasets(tables: dict) -> dict:
    """Vega-Lite ``datasets`` entry: dataset name -> list of row dicts."""
    return {name: records(_finite(table)) for name, table in tables.items()}


def with_data(template: alt.TopLevelMixin, tables: dict) -> alt.TopLevelMixin:
    """A complete chart: ``template`` (named data sources) with the data of ``tables``."""
    chart = template.copy(deep=False)
    chart.datasets = datasets(tables)
    return chart


def spec_with_data(template_spec: dict, tables: dict) -> dict:
    """Fast path of :func:`with_data` on a template already turned into a Vega-Lite dict."""
    return {**template_spec, "datasets": datasets(tables)}


def data_source(name: str) -> alt.Chart:
    """A chart reading the named dataset ``name``."""
    return alt.Chart(alt.Data(name=name))


def legend_below(columns: int = 0, **kwargs) -> alt.Legend:
    """A legend laid out in rows under the chart (``columns`` entries per row; 0: one row).

    Under, not to the right: a legend to the right of three panels makes the chart wider
    than the notebook (see :data:`MAX_WIDTH`).
    """
    return alt.Legend(orient="bottom", direction="horizontal", columns=columns, **kwargs)


def chart_title(text: str, subtitle: str | None = None) -> alt.TitleParams:
    """Left-aligned chart title."""
    return alt.TitleParams(text, subtitle=subtitle or alt.Undefined, anchor="start")


def as_ks(ks) -> np.ndarray:
    """Sorted unique 1-D array of k values (integers >= 1), at least one."""
    arr = np.unique(np.atleast_1d(as_int_array("ks", ks, minimum=1)))
    if arr.size == 0:
        raise ValueError("ks must be a non-empty list of integers >= 1")
    return arr


def as_p(p, name: str = "p") -> float:
    """A single probability in [0, 1]."""
    arr = as_prob_array(name, p)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a single probability, got an array of shape {arr.shape}")
    return float(arr)
