"""The chart of ``passk monitor --out``: pass@1 and pass@K across training steps, and the zero-signal share.

Follows :mod:`course_lib.viz.charts`: :func:`monitor_tables` computes the named tables,
:func:`monitor_template` is the Altair chart with named data sources, :func:`monitor_chart` joins
them. The course's palette (Okabe--Ito), a dash pattern and a marker per series, and a text
alternative that says how each series moved (:func:`monitor_description`). Imported only by
:mod:`course_lib.evaluation.monitor.cli` (``--out``) and notebooks: it needs Altair.
"""

from __future__ import annotations

import altair as alt
import numpy as np

from course_lib.viz import charts


def monitor_tables(reports: list) -> dict:
    """Named tables from :class:`~course_lib.evaluation.monitor.report.StepReport` rows.

    ``passk``: series (``<run> <kind> pass@1`` / ``pass@K``), step, value, lo, hi (the bootstrap
    interval of pass@K; equal to the value for pass@1); ``shares``: series, step, value (the
    zero-signal and zero-advantage shares).
    """
    passk_cols = {"series": [], "step": [], "value": [], "lo": [], "hi": []}
    share_cols = {"series": [], "step": [], "value": []}
    for r in reports:
        who = f"{r.run} {r.kind}".strip()
        for name, value, lo, hi in (
            ("pass@1", r.pass1, r.pass1, r.pass1),
            (f"pass@{r.k_max}", r.pass_k_max, *r.pass_at_k_max_ci),
        ):
            passk_cols["series"].append(f"{who} {name}")
            passk_cols["step"].append(r.step)
            passk_cols["value"].append(value)
            passk_cols["lo"].append(lo)
            passk_cols["hi"].append(hi)
        for name, value in (("zero-signal", r.zero_signal), (f"zero-adv@{r.k}", r.zero_advantage)):
            share_cols["series"].append(f"{who} {name}")
            share_cols["step"].append(r.step)
            share_cols["value"].append(value)
    return {
        "passk": {key: np.asarray(col) for key, col in passk_cols.items()},
        "shares": {key: np.asarray(col) for key, col in share_cols.items()},
    }


def _panel(source: str, labels: list[str], y_title: str, bars: bool) -> alt.LayerChart:
    legend = charts.legend_below(columns=1, labelLimit=360)
    style = charts.series_style("series", title="series", domain=labels, legend=legend)
    base = charts.data_source(source).encode(x=alt.X("step:Q", title="training step"), color=style["color"])
    tip = [alt.Tooltip("series:N"), alt.Tooltip("step:Q"), alt.Tooltip("value:Q", format=".3f")]
    line = base.mark_line(strokeWidth=2, point=True).encode(
        y=alt.Y("value:Q", title=y_title, scale=alt.Scale(domain=[0, 1])), strokeDash=style["strokeDash"], tooltip=tip
    )
    if not bars:
        return alt.layer(line).properties(width=300, height=220)
    return alt.layer(base.mark_rule(strokeWidth=1.5).encode(y="lo:Q", y2="hi:Q"), line).properties(
        width=300, height=220
    )


def monitor_template(passk_labels: list[str], share_labels: list[str], level: float = 0.95) -> alt.TopLevelMixin:
    """The chart with named data sources: pass@k over steps (with intervals), and the shares of groups."""
    left = _panel("passk", passk_labels, "pass@k", bars=True).properties(
        title=charts.chart_title("pass@1 and pass@K over training", f"bars: {100 * level:g} % bootstrap interval")
    )
    right = _panel("shares", share_labels, "share of groups", bars=False).properties(
        title=charts.chart_title("groups without signal", "GRPO (all rewards equal) and Chen et al.'s pass@k")
    )
    return alt.hconcat(left, right).resolve_scale(color="independent", strokeDash="independent")


def monitor_description(tables: dict) -> str:
    """One sentence: how each pass@k series and each share moved from the first step to the last."""
    t, s = tables["passk"], tables["shares"]
    text = charts.trends(t, "pass@k", "series", "step", "value", ".3f")
    text += "; " + charts.trends(s, "the share of groups without signal", "series", "step", "value")
    return text + f", over steps {int(t['step'].min())} to {int(t['step'].max())}"


def monitor_chart(reports: list, level: float = 0.95) -> alt.TopLevelMixin:
    """The complete chart: :func:`monitor_template` with the data of :func:`monitor_tables`."""
    tables = monitor_tables(reports)
    labels = list(dict.fromkeys(tables["passk"]["series"].tolist()))
    shares = list(dict.fromkeys(tables["shares"]["series"].tolist()))
    return charts.with_data(monitor_template(labels, shares, level), tables, monitor_description(tables))
