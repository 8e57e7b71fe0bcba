"""Charts of the policy-gradient lab (chapter 5): run histories in, Altair charts out.

Follows :mod:`course_lib.viz.explorers`: ``lab_tables`` turns histories into one long table,
``lab_template`` is the chart with a named data source (built once), ``lab_chart`` joins them.
:class:`LiveChart` redraws a persistent chart in place during training, at most once every
``interval`` seconds (throttled, no flicker), via :class:`course_lib.viz.widgets.ChartPane`.
"""

from __future__ import annotations

import time

import altair as alt
import numpy as np

from course_lib.viz import charts

DEFAULT_METRICS = (
    ("seen/pass@1", "pass@1 (seen)"),
    ("seen/delta@{k}", "Δ({k}) = pass@{k} − pass@1 (seen)"),
    ("held/pass@{k}", "pass@{k} (held-out)"),
    ("seen/distinct_correct", "distinct correct answers / prompt"),
    ("seen/dominant_share", "dominant style's share of correct"),
    ("train/all_fail_frac", "all-fail groups (zero gradient)"),
)
"""(history key, panel title) of the default panels; ``{k}`` is filled in."""


def _metrics(k: int, metrics=None) -> list[tuple[str, str]]:
    """The panels for headline k."""
    return [(key.format(k=k), title.format(k=k)) for key, title in (metrics or DEFAULT_METRICS)]


def lab_tables(histories: dict, k: int = 4, metrics=None) -> dict:
    """Long table ``{"lab": {run, step, metric, value}}`` from ``{label: history}``.

    ``label`` may be a string or an ``(objective, seed)`` tuple (the keys of
    :func:`course_lib.lab.run_many`); the run name is then ``objective`` and the seed a column.
    """
    cols = {"run": [], "seed": [], "step": [], "metric": [], "value": []}
    for label, history in histories.items():
        run, seed = label if isinstance(label, tuple) else (str(label), 0)
        for key, title in _metrics(k, metrics):
            for row in history:
                if key in row and row[key] is not None:
                    cols["run"].append(str(run))
                    cols["seed"].append(int(seed))
                    cols["step"].append(int(row["step"]))
                    cols["metric"].append(title)
                    cols["value"].append(float(row[key]))
    return {"lab": {name: np.asarray(col) for name, col in cols.items()}}


def lab_template(k: int = 4, metrics=None, columns: int = 3) -> alt.FacetChart:
    """Small multiples, one panel per metric; a line per run (mean over seeds, band = min..max)."""
    order = [title for _, title in _metrics(k, metrics)]
    style = charts.series_style("run", title="objective", columns=4, labelLimit=160, symbolOpacity=1)
    base = charts.data_source("lab").encode(x=alt.X("step:Q", title="RL step"))
    line = base.mark_line().encode(
        y=alt.Y("mean(value):Q", title=None),
        **style,
        tooltip=["run:N", "step:Q", alt.Tooltip("mean(value):Q", format=".3f")],
    )
    # The band takes the line's colour through a copy of the field, so that the one legend is the
    # lines' (colour and dash); a legend shared with an area, which has no dash, would split in two.
    band = (
        base.transform_calculate(band="datum.run")
        .mark_area(opacity=0.2)
        .encode(
            y="min(value):Q", y2="max(value):Q", fill=alt.Fill("band:N", scale=style["color"]["scale"], legend=None)
        )
    )
    return (
        alt.layer(band, line)
        .properties(width=charts.WIDTH, height=150)
        .facet(facet=alt.Facet("metric:N", sort=order, title=None), columns=columns)
        .resolve_scale(y="independent")
        .properties(title=charts.chart_title("Policy-gradient lab", "mean over seeds; band: min–max"))
    )


def lab_description(tables: dict) -> str:
    """One sentence on the lab chart: the first panel's metric (mean over seeds), first to last step, per run."""
    t = tables["lab"]
    if not len(t["metric"]):
        return "no run has reported yet"
    first = t["metric"] == t["metric"][0]
    seeds: dict = {}  # (run, step) -> values over seeds
    for key in zip(t["run"][first].tolist(), t["step"][first].tolist(), t["value"][first].tolist(), strict=True):
        seeds.setdefault(key[:2], []).append(key[2])
    rows = {
        "run": np.asarray([run for run, _ in seeds]),
        "step": np.asarray([step for _, step in seeds]),
        "value": np.asarray([np.mean(values) for values in seeds.values()]),
    }
    return charts.trends(rows, f"{t['metric'][0]}, mean over seeds,", "run", "step", "value")


def lab_chart(histories: dict, k: int = 4, metrics=None, columns: int = 3) -> alt.FacetChart:
    """Complete chart of ``{label: history}`` (display it, or ``.save("x.html" / "x.png")``)."""
    tables = lab_tables(histories, k, metrics)
    return charts.with_data(lab_template(k, metrics, columns), tables, lab_description(tables))


class LiveChart:
    """A chart in the notebook that follows running histories, redrawn at most every ``interval`` s.

    Pass ``live.update`` as the ``callback`` of :func:`course_lib.lab.train` or ``run_many``;
    call :meth:`finish` at the end to draw the last state.
    """

    def __init__(self, k: int = 4, metrics=None, interval: float = 2.0, columns: int = 3):
        from IPython.display import display

        from course_lib.viz.widgets import ChartPane

        self.k, self.metrics, self.interval = k, metrics, interval
        self.pane = ChartPane(lab_template(k, metrics, columns), lab_tables({}, k, metrics), describe=lab_description)
        self._last, self._pending = 0.0, None
        display(self.pane.widget)

    def update(self, histories) -> None:
        """New data (``{label: history}``, or one history); drawn if ``interval`` has passed."""
        self._pending = histories if isinstance(histories, dict) else {"run": histories}
        if time.monotonic() - self._last >= self.interval:
            self.finish()

    def finish(self) -> None:
        """Draw the latest data now."""
        if self._pending is not None:
            self.pane.update(lab_tables(self._pending, self.k, self.metrics))
            self._last = time.monotonic()


def summary_rows(results: dict, k: int = 4) -> list[dict]:
    """Per objective: mean ± std over seeds of the first and last evaluated metrics.

    ``results`` is ``{(objective, seed): history}``. Returns one dict per objective with the
    start and end of Δ(k) (seen), pass@1 and pass@k (seen and held-out), distinct correct
    answers and the dominant style's share.
    """
    keys = [
        "seen/pass@1",
        f"seen/pass@{k}",
        f"seen/delta@{k}",
        "seen/distinct_correct",
        "seen/dominant_share",
        "held/pass@1",
        f"held/pass@{k}",
    ]
    by_obj: dict = {}
    for (objective, _seed), history in results.items():
        rows = [r for r in history if "seen/pass@1" in r]
        by_obj.setdefault(objective, []).append((rows[0], rows[-1]))
    out = []
    for objective, pairs in by_obj.items():
        row = {"objective": objective, "seeds": len(pairs)}
        for key in keys:
            for when, idx in (("start", 0), ("end", 1)):
                vals = np.array([np.nan if p[idx].get(key) is None else p[idx][key] for p in pairs], dtype=float)
                row[f"{key} {when}"] = float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
                if when == "end":
                    row[f"{key} end sd"] = float(np.nanstd(vals)) if np.isfinite(vals).any() else float("nan")
        out.append(row)
    return out


# ----------------------------------------------------------------------------- the trade-off chart
def tradeoff_tables(runs: dict, marks: dict, reference: str | None = None) -> dict:
    """The table of :func:`tradeoff_chart`, ``tradeoff``: one row per point (method, kind, line, name, step, x, y).

    ``runs`` maps a method to ``{"step": [...], "x": [...], "y": [...]}`` (its path along training,
    e.g. the mean over seeds at every evaluation); ``marks`` maps a name (base model, uniform
    guesser) to one ``(x, y)`` point, drawn in every panel (kind ``mark``); ``reference``'s path is
    drawn in every panel too, in grey.
    """
    cols = {"method": [], "kind": [], "line": [], "name": [], "step": [], "x": [], "y": []}

    def add(method, kind, line, name, step, x, y):
        for key, value in zip(cols, (method, kind, line, name, int(step), float(x), float(y)), strict=True):
            cols[key].append(value)

    for method in runs:
        sources = [method] if reference is None or method == reference else [method, reference]
        for src in sources:
            line = "this method" if src == method else f"{reference} (reference)"
            for step, x, y in zip(runs[src]["step"], runs[src]["x"], runs[src]["y"], strict=True):
                add(method, "path", line, "", step, x, y)
        for name, (x, y) in marks.items():
            add(method, "mark", "", name, 0, x, y)
    return {"tradeoff": {key: np.asarray(value) for key, value in cols.items()}}


def tradeoff_template(order, x_title: str, y_title: str, columns: int = 4) -> alt.FacetChart:
    """One panel per method: its path (x against y along training, in step order), the marks as points."""
    x = alt.X("x:Q", title=x_title, scale=alt.Scale(domain=[0, 1]))
    y = alt.Y("y:Q", title=y_title, scale=alt.Scale(domain=[0, 1]))
    lines = ["this method", order[0] + " (reference)"] if len(order) else ["this method"]
    path = (
        alt.Chart()
        .transform_filter("datum.kind == 'path'")
        .mark_line(point=True)
        .encode(
            x=x,
            y=y,
            order="step:Q",
            color=alt.Color(
                "line:N",
                title=None,
                scale=alt.Scale(domain=lines, range=[charts.PALETTE[0], "gray"]),
                legend=charts.legend_below(),
            ),
            strokeDash=alt.StrokeDash(
                "line:N",
                title=None,
                scale=alt.Scale(domain=lines, range=[[1, 0], [4, 3]]),
                legend=charts.legend_below(),
            ),
            tooltip=["line:N", "step:Q", alt.Tooltip("x:Q", format=".3f"), alt.Tooltip("y:Q", format=".3f")],
        )
    )
    marks = (
        alt.Chart()
        .transform_filter("datum.kind == 'mark'")
        .mark_point(size=90, filled=True, color="black")
        .encode(
            x=x,
            y=y,
            shape=charts.series_shape("name", title=None),
            tooltip=["name:N", alt.Tooltip("x:Q", format=".3f"), alt.Tooltip("y:Q", format=".3f")],
        )
    )
    width = max(110, (charts.MAX_WIDTH - 90) // columns - 22)
    return (
        alt.layer(path, marks, data=alt.Data(name="tradeoff"))
        .properties(width=width, height=width)
        .facet(facet=alt.Facet("method:N", sort=list(order), title=None), columns=columns)
        .properties(title=charts.chart_title(f"{y_title} against {x_title} along training", "mean over seeds"))
    )


def tradeoff_description(tables: dict) -> str:
    """One sentence: where each method's path ends, and where the marks sit."""
    t = tables["tradeoff"]
    own = (t["kind"] == "path") & (t["line"] == "this method")
    ends = []
    for method in dict.fromkeys(t["method"][own].tolist()):
        rows = np.flatnonzero(own & (t["method"] == method))
        last = rows[np.argmax(t["step"][rows])]
        ends.append(f"{method} ends at ({charts.number(t['x'][last])}, {charts.number(t['y'][last])})")
    mark = t["kind"] == "mark"
    seen = dict.fromkeys(zip(t["name"][mark].tolist(), t["x"][mark].tolist(), t["y"][mark].tolist(), strict=True))
    return (
        charts.listing(ends, limit=6)
        + "; "
        + charts.listing([f"{n} at ({charts.number(x)}, {charts.number(y)})" for n, x, y in seen])
    )


def tradeoff_chart(
    runs: dict,
    marks: dict,
    reference: str | None = "grpo",
    x_title: str = "seen pass@1",
    y_title: str = "held-out coverage@64",
    columns: int = 4,
) -> alt.FacetChart:
    """The trade-off chart: per method, seen pass@1 (x) against held-out coverage@k (y) along training.

    ``runs`` ``{method: {"step", "x", "y"}}``; ``marks`` ``{name: (x, y)}`` (the base model and a
    uniform guesser); ``reference`` (default GRPO) is drawn in grey in every panel.
    """
    reference = reference if reference in runs else None
    tables = tradeoff_tables(runs, marks, reference)
    order = list(runs) if reference is None else [reference, *(m for m in runs if m != reference)]
    return charts.with_data(tradeoff_template(order, x_title, y_title, columns), tables, tradeoff_description(tables))
