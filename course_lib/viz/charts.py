r"""Chart plumbing shared by every chapter: named data sources, sizes, titles, data in/out.

Every chart of the course has three pieces: ``X_tables(...)`` computes the numbers as named
tables (dataset name -> dict of equal-length 1-D NumPy columns; easy to test); ``X_template()``
is the Altair chart with *named* data sources and no data (built once; an explorer afterwards
only swaps the data, and the browser updates the drawn chart in place); ``X_chart(...)`` is
template + tables. This module holds what those pieces share; the chapters' charts are in
:mod:`course_lib.viz.explorers` (chapter 3), :mod:`course_lib.bandit.charts` (chapter 4),
:mod:`course_lib.lab.charts` (chapter 5) and :mod:`course_lib.evaluation.charts` (chapter 7).

Every chart is readable without colour vision and without sight: its colours come from one
colour-blind-safe palette (:data:`PALETTE`, :data:`SEQUENTIAL`), each line series also has its
own dash pattern (:func:`series_style`), and each chart carries a text alternative, its title
and one sentence computed from its data (:func:`with_data`; a ``X_description(tables)`` per
chart). Vega draws that text as the ``aria-label`` of the chart, which screen readers read.
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


def with_data(template: alt.TopLevelMixin, tables: dict, sentence: str | None = None) -> alt.TopLevelMixin:
    """A complete chart: ``template`` (named data sources) with the data of ``tables``.

    ``sentence`` (what the data shows, from the chart's ``X_description(tables)``) becomes,
    after the chart's title, its text alternative (:func:`alt_text`).
    """
    chart = template.copy(deep=False)
    chart.datasets = datasets(tables)
    if sentence is not None:
        chart.description = alt_text(template, sentence)
    return chart


def spec_with_data(template_spec: dict, tables: dict, sentence: str | None = None) -> dict:
    """Fast path of :func:`with_data` on a template already turned into a Vega-Lite dict."""
    spec = {**template_spec, "datasets": datasets(tables)}
    if sentence is not None:
        spec["description"] = alt_text(template_spec, sentence)
    return spec


def data_source(name: str) -> alt.Chart:
    """A chart reading the named dataset ``name``."""
    return alt.Chart(alt.Data(name=name))


def legend_below(columns: int = 0, **kwargs) -> alt.Legend:
    """A legend laid out in rows under the chart (``columns`` entries per row; 0: one row).

    Under, not to the right: a legend to the right of three panels makes the chart wider
    than the notebook (see :data:`MAX_WIDTH`).
    """
    return alt.Legend(**{"orient": "bottom", "direction": "horizontal", "columns": columns, **kwargs})


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


# ----------------------------------------------------------------------------- colours and dashes
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
"""The course's colours for series (Okabe & Ito, 2008), in the order series take them: told
apart by readers with any common colour-vision deficiency. Every categorical colour of every
chart comes from here (checked by tests/test_charts.py)."""

HIGHLIGHT = PALETTE[5]
"""Colour of the marks that follow the sliders (vermilion)."""

HIGHLIGHT_NAME = "orange-red"
"""What legends and the notebooks' text call :data:`HIGHLIGHT` (one name, so prose matches the chart)."""

NEUTRALS = ("black", "gray", "white", "#bbbbbb")
"""Greys, for reference marks (zero lines, the true value, answers that do not count)."""

SEQUENTIAL = {"name": "viridis", "extent": [0.0, 0.9]}
"""Colour scheme of ordered values (k, probabilities): viridis gets lighter monotonically, so it
reads in greyscale and for colour-blind readers; cut before its palest yellow, faint on white."""

DASHES = ([1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [12, 4], [4, 2, 1, 2], [1, 3], [10, 2, 2, 2])
"""One stroke pattern per series (solid, dashed, dotted, dash-dot, ...): lines stay apart in greyscale."""

SHAPES = ("circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "triangle-left", "triangle-right")
"""One marker shape per series."""


def cycle(values, n: int) -> list:
    """``values`` repeated to length ``n``: one per series, reused after the last."""
    values = list(values)
    return (values * -(-n // len(values)))[:n]


def series_style(field: str, title=None, domain=None, ordered: bool = False, legend=None, **legend_kw) -> dict:
    """Colour and dash encodings of a line per value of ``field``; one legend shows both.

    Nominal values (run names) take :data:`PALETTE` in order, ordered ones (``ordered=True``:
    ``field`` is ordinal, such as k) :data:`SEQUENTIAL`; every line also gets its own pattern
    of :data:`DASHES`, so no two lines are told apart by colour alone. ``domain``: the values,
    when known in advance. Use as ``mark_line().encode(**series_style("run"))``, and give the
    same encodings to the other layers coloured by ``field`` (points, bands): the legend then
    stays one, below the chart, each entry a dashed line (``legend_kw``: more
    :func:`legend_below` settings; ``legend``: a legend of one's own instead).
    """
    kind = "O" if ordered else "N"
    if legend is None:
        legend = legend_below(**{"symbolType": "stroke", "symbolStrokeWidth": 2, "symbolSize": 300, **legend_kw})
    dom = alt.Undefined if domain is None else list(domain)
    n = len(DASHES) if domain is None else len(domain)
    colours = alt.Scale(domain=dom, scheme=SEQUENTIAL) if ordered else alt.Scale(domain=dom, range=cycle(PALETTE, n))
    return {
        "color": alt.Color(f"{field}:{kind}", title=title, scale=colours, legend=legend),
        "strokeDash": alt.StrokeDash(
            f"{field}:{kind}", title=title, scale=alt.Scale(domain=dom, range=cycle(DASHES, n)), legend=legend
        ),
    }


def series_shape(field: str, title=None, domain=None, ordered: bool = False, legend=None) -> alt.Shape:
    """Marker shape per value of ``field`` (:data:`SHAPES`), to go with :func:`series_style`."""
    dom = alt.Undefined if domain is None else list(domain)
    n = len(SHAPES) if domain is None else len(domain)
    legend = legend_below() if legend is None else legend
    return alt.Shape(
        f"{field}:{'O' if ordered else 'N'}",
        title=title,
        scale=alt.Scale(domain=dom, range=cycle(SHAPES, n)),
        legend=legend,
    )


# ----------------------------------------------------------------------------- text alternatives
def number(x, fmt: str = ".2f") -> str:
    """``x`` for a sentence: ``∞`` for infinity, a true minus sign, no ``-0.00``."""
    x = float(x)
    if not np.isfinite(x):
        return "undefined" if np.isnan(x) else ("∞" if x > 0 else "−∞")
    text = format(x, fmt)
    if text.startswith("-") and not any(ch in "123456789" for ch in text):
        text = text[1:]
    return text.replace("-", "−")


def trend(what: str, start, end, fmt: str = ".2f") -> str:
    """How ``what`` changes: "Δ(4) falls from 0.41 to 0.02" (rises, falls, or stays at)."""
    a, b = number(start, fmt), number(end, fmt)
    if a == b:
        return f"{what} stays at {a}".strip()
    return f"{what} {'rises' if float(end) > float(start) else 'falls'} from {a} to {b}".strip()


def listing(parts, limit: int = 4) -> str:
    """ "a, b and c"; after ``limit`` parts, "and N more"."""
    parts = list(parts)
    if len(parts) > limit:
        parts = [*parts[:limit], f"{len(parts) - limit} more"]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def trends(table: dict, what: str, series: str, x: str, value: str, fmt: str = ".2f") -> str:
    """How ``value`` changes from the first to the last ``x``, per series of a long table.

    "Δ(k) falls from 0.41 to 0.02 under pass@1 and rises from 0.41 to 0.45 under pass@k".
    """
    labels, xs, values = (np.asarray(table[column]) for column in (series, x, value))
    parts = []
    for label in dict.fromkeys(labels.tolist()):
        pick = labels == label
        ys = values[pick][np.argsort(xs[pick], kind="stable")].astype(float)
        parts.append(f"{trend('', ys[0], ys[-1], fmt)} under {label}")
    return f"{what} {listing(parts)}" if parts else f"no data yet for {what}"


def title_text(chart) -> str:
    """The title of ``chart`` (an Altair chart or a Vega-Lite dict); untitled concatenations: their panels'."""

    def get(key):
        value = chart.get(key) if isinstance(chart, dict) else getattr(chart, key, None)
        return value.to_dict() if isinstance(value, alt.TitleParams) else value

    title = get("title")
    text = title.get("text") if isinstance(title, dict) else title
    text = " ".join(text) if isinstance(text, list) else text
    if isinstance(text, str) and text:
        return text
    panels = [panel for key in ("hconcat", "vconcat", "concat") if isinstance(get(key), list) for panel in get(key)]
    return "; ".join(filter(None, map(title_text, panels)))


def alt_text(chart, sentence: str) -> str:
    """Text alternative of ``chart``: its title, then ``sentence`` (what its data shows).

    It goes into the chart's Vega-Lite ``description``, which Vega sets as the ``aria-label``
    of the drawn chart (canvas or SVG): what a screen reader reads instead of the picture.
    """
    sentence = sentence.strip().rstrip(".")
    sentence = sentence[:1].upper() + sentence[1:]
    title = title_text(chart).strip().rstrip(".")
    return f"{title}. {sentence}." if title else f"{sentence}."


# ----------------------------------------------------------------------------- a chart from rows
def line_chart(
    rows: list[dict],
    x: str,
    y: str,
    series: str | None = None,
    title: str = "",
    log_x: bool | int = False,
    y_title: str | None = None,
    *,
    x_title: str | None = None,
    log_y: bool = False,
    y_domain=None,
    points: bool = False,
    width: int = 420,
    height: int = 220,
    fmt: str = ".3f",
) -> alt.Chart:
    """A line chart of ``rows`` (dicts with keys ``x``, ``y`` and ``series``): the notebooks' small charts.

    One line per value of ``series`` in the course's palette and dashes (:func:`series_style`),
    and a text alternative from the data (:func:`trends`). ``log_x``: True for a log axis, or its
    base (2). Fields with characters Vega reads specially (``pass@k``, ``Δ(k)``) are fine.
    """
    table = {key: np.asarray([row[key] for row in rows]) for key in (x, y, *([series] if series else []))}
    if series is None:
        ys = table[y][np.argsort(table[x], kind="stable")].astype(float)
        sentence = trend(y_title or y, ys[0], ys[-1], fmt)
    else:  # numbers as series name themselves: "under p = 0.1", not "under 0.1"
        named = [f"{series} = {v}" if str(v).replace(".", "", 1).isdigit() else str(v) for v in table[series]]
        sentence = trends({**table, series: np.asarray(named)}, y_title or y, series, x, y, fmt)
    sentence += f" as {x_title or x} goes from {number(table[x].min(), 'g')} to {number(table[x].max(), 'g')}"
    field = lambda name: name.replace(".", "\\.").replace("[", "\\[").replace("]", "\\]")  # noqa: E731
    base = int(log_x) if log_x not in (True, False) else 10
    x_scale = alt.Scale(type="log", base=base, nice=False) if log_x else alt.Undefined
    y_scale = alt.Scale(type="log") if log_y else alt.Scale(domain=list(y_domain)) if y_domain else alt.Undefined
    tips = [alt.Tooltip(f"{field(x)}:Q", title=x), alt.Tooltip(f"{field(y)}:Q", title=y, format=fmt)]
    encoding = {
        "x": alt.X(f"{field(x)}:Q", title=x_title or x, scale=x_scale),
        "y": alt.Y(f"{field(y)}:Q", title=y_title or y, scale=y_scale),
    }
    if series is not None:
        encoding.update(series_style(field(series), title=series))
        tips.insert(0, alt.Tooltip(f"{field(series)}:N", title=series))
    chart = alt.Chart(alt.Data(values=rows)).mark_line(point=points).encode(**encoding, tooltip=tips)
    return chart.properties(title=title, width=width, height=height, description=alt_text({"title": title}, sentence))
