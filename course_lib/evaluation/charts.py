"""The chart of ``passk curve --out``: pass@k against k per file, and the paired differences.

Follows :mod:`course_lib.viz.charts`: :func:`curve_tables` computes the named tables,
:func:`curve_template` is the Altair chart with named data sources, :func:`curve_chart` joins
them. Readable in black and white and for colour-blind readers: the course's palette
(:data:`course_lib.viz.charts.PALETTE`, Okabe--Ito), and a dash pattern and a marker shape per
file, so no series is told apart by colour alone; its text alternative says how pass@k grows
with k for each file (:func:`curve_description`). Imported
only by :mod:`course_lib.evaluation.cli` (when ``--out`` is given) and notebooks: it needs Altair.
"""

from __future__ import annotations

import altair as alt
import numpy as np

from course_lib.viz import charts

DODGE = 0.08
"""Horizontal offset between series, in doublings of k (the x axis is log2): 0.08 is about 6 % of k."""


def _styles(labels: list[str], title: str) -> dict:
    """Colour, dash and shape encodings with one entry per label (series beyond eight reuse styles)."""
    # one legend: colour and marker shape per series (each line carries its markers and its dash pattern)
    legend = charts.legend_below(columns=2, labelLimit=360, symbolSize=120, symbolStrokeWidth=0, symbolOpacity=1)
    style = charts.series_style("series", title=title, domain=labels, legend=legend)
    style["strokeDash"]["legend"] = None  # the shapes carry the legend
    return {**style, "shape": charts.series_shape("series", title=title, domain=labels, legend=legend)}


def curve_tables(curves: dict, comparisons: dict | None = None) -> dict:
    """Named tables: ``curves`` (series, k, x, value, lo, hi) and, with comparisons, ``diffs``.

    ``x`` is k shifted a little per series (:data:`DODGE`) so that intervals at the same k sit side by side.

    ``curves`` maps a label to a :class:`course_lib.evaluation.curve.Curve`; ``comparisons`` maps
    a label (``"B − A"``) to a :class:`course_lib.evaluation.curve.Comparison`.
    """
    out = {}
    for name, items, value in (("curves", curves, "pass_at_k"), ("diffs", comparisons or {}, "diff")):
        cols = {"series": [], "k": [], "x": [], "value": [], "lo": [], "hi": []}
        for i, (label, item) in enumerate(items.items()):
            ci = item.ci if value == "pass_at_k" else item.diff_ci
            shift = 2 ** (DODGE * (i - (len(items) - 1) / 2))  # series side by side, so no bar hides another
            cols["series"] += [str(label)] * len(item.ks)
            cols["k"] += np.asarray(item.ks).tolist()
            cols["x"] += (np.asarray(item.ks) * shift).tolist()
            cols["value"] += np.asarray(getattr(item, value), dtype=float).tolist()
            cols["lo"] += np.asarray(ci)[:, 0].tolist()
            cols["hi"] += np.asarray(ci)[:, 1].tolist()
        if items:
            out[name] = {key: np.asarray(col) for key, col in cols.items()}
    return out


def _panel(source: str, labels: list[str], legend_title: str, y_title: str, y_scale: alt.Scale, ks) -> alt.LayerChart:
    """Lines (dashed per series), markers and interval bars of one named table."""
    styles = _styles(labels, legend_title)
    domain = alt.Undefined if ks is None else [float(min(ks)) / 2**0.25, float(max(ks)) * 2**0.25]
    scale = alt.Scale(type="log", base=2, domain=domain, nice=False)
    x = alt.X("x:Q", title="k (log scale)", scale=scale, axis=alt.Axis(tickCount=8))
    tip = [
        alt.Tooltip("series:N", title=legend_title),
        alt.Tooltip("k:Q"),
        alt.Tooltip("value:Q", format=".3f"),
        alt.Tooltip("lo:Q", format=".3f", title="interval low"),
        alt.Tooltip("hi:Q", format=".3f", title="interval high"),
    ]
    base = charts.data_source(source).encode(x=x, color=styles["color"])
    line = base.mark_line(strokeWidth=2).encode(
        y=alt.Y("value:Q", title=y_title, scale=y_scale), strokeDash=styles["strokeDash"]
    )
    bars = base.mark_rule(strokeWidth=1.5).encode(y="lo:Q", y2="hi:Q")
    points = base.mark_point(size=60, filled=True, opacity=1).encode(y="value:Q", shape=styles["shape"], tooltip=tip)
    return alt.layer(bars, line, points).properties(width=300, height=230)


def curve_template(
    labels: list[str], pair_labels: list[str] | None = None, level: float = 0.95, ks=None
) -> alt.TopLevelMixin:
    """The chart with named data sources: pass@k per file, and the paired differences if any (``ks``: the grid)."""
    pct = f"{100 * level:g} %"
    left = _panel("curves", labels, "file", "pass@k", alt.Scale(domain=[0, 1]), ks).properties(
        title=charts.chart_title("pass@k against k", f"bars: {pct} bootstrap interval over problems")
    )
    if not pair_labels:
        return left
    zero = alt.Chart(alt.Data(values=[{"zero": 0}])).mark_rule(color="black", strokeDash=[3, 3]).encode(y="zero:Q")
    right = alt.layer(
        zero, _panel("diffs", pair_labels, "pair", "difference of pass@k", alt.Scale(zero=True), ks)
    ).properties(title=charts.chart_title("paired difference (shared problems)", f"bars: {pct} paired bootstrap"))
    return alt.hconcat(left, right).resolve_scale(color="independent", strokeDash="independent", shape="independent")


def curve_description(tables: dict) -> str:
    """One sentence on the chart: pass@k from the smallest to the largest k per file, and each paired difference."""
    t = tables["curves"]
    text = charts.trends(t, "pass@k", "series", "k", "value") + f" as k goes from {t['k'].min()} to {t['k'].max()}"
    if "diffs" in tables:
        d = tables["diffs"]
        last = [i for i in range(len(d["k"])) if d["k"][i] == d["k"][d["series"] == d["series"][i]].max()]
        parts = [
            f"{d['series'][i]} is {charts.number(d['value'][i], '+.3f')} at k = {d['k'][i]} "
            f"(interval {charts.number(d['lo'][i], '+.3f')} to {charts.number(d['hi'][i], '+.3f')})"
            for i in last
        ]
        text += "; the paired difference " + charts.listing(parts)
    return text


def curve_chart(curves: dict, comparisons: dict | None = None, level: float = 0.95) -> alt.TopLevelMixin:
    """The complete chart: :func:`curve_template` with the data of :func:`curve_tables`."""
    tables = curve_tables(curves, comparisons)
    ks = np.unique(np.concatenate([np.asarray(c.ks) for c in curves.values()]))
    template = curve_template(list(curves), list(comparisons or {}), level, ks.tolist())
    return charts.with_data(template, tables, curve_description(tables))
