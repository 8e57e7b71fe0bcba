"""The chart of ``passk curve --out``: pass@k (or pass^k) against k per file, forecasts, differences, Cover@τ.

Follows :mod:`course_lib.viz.charts`: :func:`curve_tables` computes the named tables,
:func:`curve_template` is the Altair chart with named data sources, :func:`curve_chart` joins
them. Readable in black and white and for colour-blind readers: the course's palette
(:data:`course_lib.viz.charts.PALETTE`, Okabe--Ito), and a dash pattern and a marker shape per
file, so no series is told apart by colour alone; its text alternative says how pass@k grows
with k for each file (:func:`curve_description`). A model-based forecast is its own series
("A: forecast"), drawn like the files' and named as such; plug-in Cover@τ gets its own panel
against τ. Imported only by :mod:`course_lib.evaluation.report` (when ``--out`` is given) and
notebooks: it needs Altair.
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


def curve_tables(curves: dict, comparisons: dict | None = None, forecasts: dict | None = None) -> dict:
    """Named tables: ``curves`` (series, k, x, value, lo, hi), with comparisons ``diffs``, with τ ``cover``.

    ``x`` is k shifted a little per series (:data:`DODGE`) so that intervals at the same k sit side by side.

    ``curves`` maps a label to a :class:`course_lib.evaluation.curve.Curve`; ``comparisons`` maps
    a label (``"B − A"``) to a :class:`course_lib.evaluation.curve.Comparison`; ``forecasts`` maps
    a label (``"A: forecast"``) to a :class:`course_lib.evaluation.forecast.Forecast`, drawn as
    more series of the ``curves`` table.
    """
    out = {}
    series_items = {**curves, **(forecasts or {})}
    for name, items in (("curves", series_items), ("diffs", comparisons or {})):
        cols = {"series": [], "k": [], "x": [], "value": [], "lo": [], "hi": []}
        for i, (label, item) in enumerate(items.items()):
            ci = item.diff_ci if name == "diffs" else item.ci
            values = item.diff if name == "diffs" else item.value
            shift = 2 ** (DODGE * (i - (len(items) - 1) / 2))  # series side by side, so no bar hides another
            cols["series"] += [str(label)] * len(item.ks)
            cols["k"] += np.asarray(item.ks).tolist()
            cols["x"] += (np.asarray(item.ks) * shift).tolist()
            cols["value"] += np.asarray(values, dtype=float).tolist()
            cols["lo"] += np.asarray(ci)[:, 0].tolist()
            cols["hi"] += np.asarray(ci)[:, 1].tolist()
        if items:
            out[name] = {key: np.asarray(col) for key, col in cols.items()}
    cover = {label: cur for label, cur in curves.items() if len(getattr(cur, "taus", ()))}
    if cover:
        cols = {"series": [], "tau": [], "value": [], "lo": [], "hi": []}
        for label, cur in cover.items():
            cols["series"] += [str(label)] * len(cur.taus)
            cols["tau"] += np.asarray(cur.taus).tolist()
            cols["value"] += np.asarray(cur.cover).tolist()
            cols["lo"] += np.asarray(cur.cover_ci)[:, 0].tolist()
            cols["hi"] += np.asarray(cur.cover_ci)[:, 1].tolist()
        out["cover"] = {key: np.asarray(col) for key, col in cols.items()}
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


def _cover_panel(labels: list[str], pct: str) -> alt.LayerChart:
    """Plug-in Cover@τ against τ, one line per file, with interval bars."""
    styles = _styles(labels, "file")
    base = charts.data_source("cover").encode(
        x=alt.X("tau:Q", title="τ (pass-rate threshold)", scale=alt.Scale(domain=[0, 1])), color=styles["color"]
    )
    tip = [alt.Tooltip("series:N", title="file"), alt.Tooltip("tau:Q", title="τ"), alt.Tooltip("value:Q", format=".3f")]
    line = base.mark_line(strokeWidth=2).encode(
        y=alt.Y("value:Q", title="Cover@τ (plug-in)", scale=alt.Scale(domain=[0, 1])), strokeDash=styles["strokeDash"]
    )
    bars = base.mark_rule(strokeWidth=1.5).encode(y="lo:Q", y2="hi:Q")
    points = base.mark_point(size=60, filled=True, opacity=1).encode(y="value:Q", shape=styles["shape"], tooltip=tip)
    title = charts.chart_title("Cover@τ against τ", f"plug-in c/n >= τ (biased); bars: {pct} bootstrap")
    return alt.layer(bars, line, points).properties(width=300, height=230, title=title)


def curve_template(
    labels: list[str],
    pair_labels: list[str] | None = None,
    level: float = 0.95,
    ks=None,
    metric: str = "pass@k",
    cover_labels: list[str] | None = None,
) -> alt.TopLevelMixin:
    """The chart with named data sources: the metric per file (and forecast), paired differences, Cover@τ."""
    pct = f"{100 * level:g} %"
    sub = f"bars: {pct} bootstrap interval over problems" + ("; forecasts are model-based" if any(
        "forecast" in x for x in labels) else "")  # fmt: skip
    left = _panel("curves", labels, "file", metric, alt.Scale(domain=[0, 1]), ks).properties(
        title=charts.chart_title(f"{metric} against k", sub)
    )
    panels = [left]
    if pair_labels:
        zero = alt.Chart(alt.Data(values=[{"zero": 0}])).mark_rule(color="black", strokeDash=[3, 3]).encode(y="zero:Q")
        panels.append(
            alt.layer(
                zero, _panel("diffs", pair_labels, "pair", f"difference of {metric}", alt.Scale(zero=True), ks)
            ).properties(
                title=charts.chart_title("paired difference (shared problems)", f"bars: {pct} paired bootstrap")
            )
        )
    if cover_labels:
        panels.append(_cover_panel(cover_labels, pct))
    if len(panels) == 1:
        return left
    chart = alt.hconcat(*panels) if len(panels) == 2 else alt.vconcat(alt.hconcat(*panels[:2]), panels[2])
    return chart.resolve_scale(color="independent", strokeDash="independent", shape="independent")


def curve_description(tables: dict, metric: str = "pass@k") -> str:
    """One sentence on the chart: the metric from the smallest to the largest k per file, and each paired difference."""
    t = tables["curves"]
    text = charts.trends(t, metric, "series", "k", "value") + f" as k goes from {t['k'].min()} to {t['k'].max()}"
    if "diffs" in tables:
        d = tables["diffs"]
        last = [i for i in range(len(d["k"])) if d["k"][i] == d["k"][d["series"] == d["series"][i]].max()]
        parts = [
            f"{d['series'][i]} is {charts.number(d['value'][i], '+.3f')} at k = {d['k'][i]} "
            f"(interval {charts.number(d['lo'][i], '+.3f')} to {charts.number(d['hi'][i], '+.3f')})"
            for i in last
        ]
        text += "; the paired difference " + charts.listing(parts)
    if "cover" in tables:
        c = tables["cover"]
        text += "; " + charts.trends(c, "plug-in Cover@τ", "series", "tau", "value")
        text += f" as τ goes from {charts.number(c['tau'].min(), 'g')} to {charts.number(c['tau'].max(), 'g')}"
    return text


def curve_chart(
    curves: dict, comparisons: dict | None = None, level: float = 0.95, forecasts: dict | None = None
) -> alt.TopLevelMixin:
    """The complete chart: :func:`curve_template` with the data of :func:`curve_tables`."""
    tables = curve_tables(curves, comparisons, forecasts)
    items = [*curves.values(), *(forecasts or {}).values()]
    ks = np.unique(np.concatenate([np.asarray(c.ks) for c in items]))
    metric = next(iter(curves.values())).metric if curves else "pass@k"
    cover_labels = [x for x in curves if "cover" in tables and x in set(tables["cover"]["series"].tolist())]
    template = curve_template(
        [*curves, *(forecasts or {})], list(comparisons or {}), level, ks.tolist(), metric, cover_labels or None
    )
    return charts.with_data(template, tables, curve_description(tables, metric))


def save_curve_chart(out, curves: dict, comparisons: dict, level: float, forecasts: dict | None = None) -> None:
    """Write :func:`curve_chart` to ``out`` (.png, .svg, .pdf via vl-convert; .html self-contained when it can be)."""
    from pathlib import Path

    out = Path(out)
    chart = curve_chart(curves, comparisons, level, forecasts)
    out.parent.mkdir(parents=True, exist_ok=True)
    inline = {}
    if out.suffix.lower() == ".html":
        try:
            import vl_convert  # noqa: F401

            inline = {"inline": True}  # offline HTML: the Vega bundle inside the file
        except ImportError:
            pass
    chart.save(str(out), **inline)
