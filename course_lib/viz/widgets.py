r"""Interactive explorers of chapter 3 (``notebooks/03_explorers.ipynb``): sliders + one chart.

Each explorer is one call that returns a widget, e.g. ``alpha_explorer()``. The numbers and
the chart come from :mod:`course_lib.viz.explorers` (which takes its math from
:mod:`course_lib.passk` and :mod:`course_lib.advantages`); this module only wires controls.

How a slider change is drawn (why it is fast and does not flicker)
------------------------------------------------------------------
The chart *template* (marks, axes, titles) is compiled to a Vega-Lite dict once. A slider
change recomputes only the data tables (NumPy, about 1 ms; ``benchmarks/bench_widgets.py``
prints the figures) and sends them to the chart:

- where the offline ``"jupyter"`` renderer is active (JupyterLab, Notebook 7, Binder, VS Code,
  headless runs; see :mod:`course_lib.viz.rendering`), the chart is one persistent
  :class:`VegaPane` widget. The browser swaps the data into the live Vega view
  (``view.data(name, rows)``), so nothing is re-displayed and the page does not flicker;
  when the whole spec changes, the new chart is drawn off-screen and swapped in. The drawing
  re-fits its size to the new data (:data:`AUTOSIZE`), so a chart first drawn empty (the
  lab's live chart) grows to its full size when the data comes.
  Its JavaScript is bundled offline by vl-convert-python, like Altair's own renderer;
- elsewhere (Colab, Kaggle: classic front ends with ipywidgets 7 and internet), the chart is
  redrawn into an ``ipywidgets.Output`` by replacing its outputs in one step.

Updates are throttled (:class:`Throttle`): at most one redraw per ``throttle_s`` seconds
while a slider is dragged, and the last position is always drawn. Everything here works
with ipywidgets 7.7 and 8.x and Altair 5.5 and 6.x.
"""

from __future__ import annotations

import asyncio
import functools
import html
import math
import time
from collections.abc import Callable

import altair as alt
import anywidget
import ipywidgets as W
import traitlets

from . import charts, explorers, rendering

EMBED_OPTIONS = {"renderer": "canvas", "actions": {"export": True, "source": False, "compiled": False, "editor": False}}
"""vega-embed options: a canvas, and a menu to save the chart as SVG/PNG (works offline).

Canvas, not SVG: every widget loads its own copy of Vega, and SVG gradient ids (colour
legends) from different charts on one page collide, so one chart showed another's legend."""

AUTOSIZE = {"type": "pad", "resize": True}
"""Vega-Lite ``autosize`` of a :class:`VegaPane`: re-fit the drawing to its content at every data update.

Vega sizes a view once, when it is first drawn, unless ``resize`` is true. A pane whose data
is replaced in place then keeps its first size: the lab's live chart, first drawn with no
runs (a title and no panels, about 50 px high), stayed a 50 px strip showing the top of the
curves once the data came. With ``resize`` the canvas grows (or shrinks) with the chart.
"""


def resizing(spec: dict) -> dict:
    """``spec`` with ``autosize`` :data:`AUTOSIZE` unless it sets its own (``spec`` is not changed)."""
    return spec if "autosize" in spec else {**spec, "autosize": AUTOSIZE}


_PANE_JS = r"""
async function render({ model, el }) {
  let current = null;      // {result, div}: the chart on screen
  let generation = 0;      // bumped by every full embed; stale embeds are dropped
  let embedding = false;
  el.classList.add("passk-vega-pane");

  function fullSpec() {
    const spec = structuredClone(model.get("spec"));
    spec.datasets = structuredClone(Object.assign({}, model.get("base"), model.get("datasets")));
    if (model.get("description")) { spec.description = model.get("description"); }
    return spec;
  }
  function showError(error) {
    const div = document.createElement("div");
    div.className = "passk-vega-error";
    div.style.color = "red";
    div.textContent = "Chart error: " + error.message;
    el.replaceChildren(div);
    current = null;
  }
  async function embed() {
    const mine = ++generation;
    embedding = true;
    const used = [model.get("base"), model.get("datasets")];
    const div = document.createElement("div");
    let result;
    try {
      result = await vegaEmbed(div, fullSpec(), model.get("embed_options") || {});
    } catch (error) {
      if (mine === generation) { embedding = false; showError(error); }
      return;
    }
    if (mine !== generation) { result.finalize(); return; }
    // The old chart stays on screen until the new one is drawn: no blank frame.
    if (current) { current.result.finalize(); el.replaceChild(div, current.div); }
    else { el.replaceChildren(div); }
    current = { result, div };
    embedding = false;
    if (model.get("base") !== used[0]) { await updateData("base"); }
    if (model.get("datasets") !== used[1]) { await updateData("datasets"); }
  }
  async function updateData(trait) {
    if (embedding) { return; }   // embed() draws the newest data when it finishes
    if (!current) { return embed(); }
    const view = current.result.view;
    try {
      for (const [name, rows] of Object.entries(model.get(trait))) {
        view.data(name, structuredClone(rows));
      }
      describe();
      await view.runAsync();
    } catch (error) {
      await embed();
    }
  }
  function describe() {   // the text alternative (aria-label) follows the data
    if (current && model.get("description")) { current.result.view.description(model.get("description")); }
  }
  model.on("change:spec", embed);
  model.on("change:description", describe);
  model.on("change:base", () => updateData("base"));
  model.on("change:datasets", () => updateData("datasets"));
  await embed();
  return () => { generation++; if (current) { current.result.finalize(); } };
}
export default { render };
"""


@functools.lru_cache(maxsize=1)
def _pane_bundle() -> str:
    """:data:`_PANE_JS` bundled with Vega, Vega-Lite and vega-embed (offline; ~1.5 s once)."""
    import vl_convert

    try:  # the Vega-Lite version Altair writes specs for
        from altair.utils._importers import vl_version_for_vl_convert

        version = vl_version_for_vl_convert()
    except ImportError:  # pragma: no cover - older Altair
        version = None
    return vl_convert.javascript_bundle(_PANE_JS, vl_version=version)


class VegaPane(anywidget.AnyWidget):
    """One persistent Vega-Lite chart whose data can be replaced in place (see module docstring).

    The chart's data (dataset name -> rows) is split over two synced traits so that a
    slider change sends only what changed: ``datasets`` holds the datasets that changed at
    the last update, ``base`` all the others (a 1000-row curve that a slider does not touch
    is sent once, not on every change).
    """

    _css = ".passk-vega-pane .vega-embed { overflow: visible; }"
    spec = traitlets.Dict().tag(sync=True)
    """The Vega-Lite spec; without an ``autosize`` of its own it gets :data:`AUTOSIZE`."""
    base = traitlets.Dict().tag(sync=True)
    datasets = traitlets.Dict().tag(sync=True)
    embed_options = traitlets.Dict().tag(sync=True)
    description = traitlets.Unicode("").tag(sync=True)
    """Text alternative of the chart as it is now (the ``aria-label`` of the drawing); "": the spec's."""

    @traitlets.validate("spec")
    def _resizing(self, proposal):
        return resizing(proposal["value"])

    def __init__(self, data: dict | None = None, **kwargs):
        # The bundle is built on first use, not at import time.
        type(self)._esm = _pane_bundle()
        kwargs.setdefault("embed_options", EMBED_OPTIONS)
        super().__init__(**kwargs)
        if data is not None:
            self.set_data(data)

    @property
    def data(self) -> dict:
        """All datasets the chart shows now: name -> rows."""
        return {**self.base, **self.datasets}

    def set_data(self, data: dict) -> None:
        """Show ``data`` (name -> rows); only the datasets that differ are sent to the browser."""
        current = self.data
        changed = {name: rows for name, rows in data.items() if current.get(name) != rows}
        if not changed:
            return
        base = {name: rows for name, rows in data.items() if name not in changed}
        with self.hold_sync():  # one message: the browser never sees half an update
            if base != self.base:
                self.base = base
            self.datasets = changed


class ChartPane:
    """Shows a chart template with data tables and redraws it when the tables change.

    Parameters
    ----------
    template : altair chart
        Chart with named data sources (a ``charts.*_template()``).
    tables : dict
        Dataset name -> table, as returned by ``charts.*_tables``.
    use_widget : bool, optional
        Draw into a persistent :class:`VegaPane` (True) or an ``ipywidgets.Output`` (False).
        Default: True when the active Altair renderer is a widget renderer.
    describe : callable, optional
        ``tables -> sentence`` (the chart's ``X_description``): what the data shows, kept up to
        date in the chart's text alternative (:func:`course_lib.viz.charts.alt_text`).
    """

    def __init__(self, template, tables: dict, use_widget: bool | None = None, describe: Callable | None = None):
        self.template, self.describe = template, describe
        self.spec = resizing(template.to_dict())  # validated once, here
        if use_widget is None:
            use_widget = rendering.explorers_use_widget()
        self.use_widget = bool(use_widget)
        if self.use_widget:
            self.widget = VegaPane(spec=self.spec)
            self.update(tables)
        else:
            self.widget = W.Output()
            self.update(tables)

    def alt_text(self, tables: dict) -> str:
        """Text alternative of the chart drawn with ``tables`` ("" without ``describe``)."""
        return charts.alt_text(self.spec, self.describe(tables)) if self.describe else ""

    def update(self, tables: dict) -> None:
        """Draw the new data."""
        if self.use_widget:
            with self.widget.hold_sync():
                self.widget.description = self.alt_text(tables)
                self.widget.set_data(charts.datasets(tables))
            return
        sentence = self.describe(tables) if self.describe else None
        bundle = alt.renderers.get()(charts.spec_with_data(self.spec, tables, sentence))
        data, meta = bundle if isinstance(bundle, tuple) else (bundle, {})
        # Replacing the outputs in one assignment avoids a blank frame between clear and draw.
        self.widget.outputs = ({"output_type": "display_data", "data": data, "metadata": meta or {}},)


def _running_loop():
    """The running asyncio loop (the kernel's), or None in plain Python."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Throttle:
    """Call ``fn()`` at most once per ``interval`` seconds; the last call of a burst always runs.

    Inside a Jupyter kernel a call that comes too soon is deferred on the kernel's event
    loop; without a running loop (tests, scripts) every call runs at once.
    """

    def __init__(self, fn: Callable[[], None], interval: float = 0.05):
        self.fn, self.interval = fn, float(interval)
        self._last = -math.inf
        self._timer = None

    def __call__(self, *_) -> None:
        if self._timer is not None:
            return  # a deferred call is pending; it will read the newest values
        wait = self._last + self.interval - time.monotonic()
        loop = _running_loop()
        if wait <= 0 or loop is None:
            self._run()
        else:
            self._timer = loop.call_later(wait, self._run)

    def _run(self) -> None:
        self._timer = None
        self._last = time.monotonic()
        self.fn()


def _table(header: list[str], rows: list[list[str]]) -> str:
    """A small HTML table for a readout."""
    head = "".join(f"<th style='padding:0 .8em;text-align:right'>{h}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td style='padding:0 .8em;text-align:right'>{c}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table class='passk-readout'><tr>{head}</tr>{body}</table>"


class Explorer(W.VBox):
    """Controls, a numeric readout and one chart, redrawn (throttled) when a control moves.

    Parameters
    ----------
    title : str
        Heading shown above the controls.
    controls : dict
        Argument name -> ipywidget; ``tables_fn(**values)`` is called with their values.
    template : altair chart
        The chart template (named data sources).
    tables_fn : callable
        ``(**values) -> tables`` for ``template`` (a ``charts.*_tables`` function).
    readout_fn : callable
        ``(tables, **values) -> HTML`` with the numbers to show.
    use_widget : bool, optional
        See :class:`ChartPane`.
    throttle_s : float
        Minimum seconds between two redraws while a control is moved.
    rows : list of list of str, optional
        Control names per row; default: all controls in one wrapping row.
    describe_fn : callable, optional
        ``tables -> sentence`` for the chart's text alternative (see :class:`ChartPane`).
    """

    def __init__(
        self,
        title: str,
        controls: dict,
        template,
        tables_fn: Callable,
        readout_fn: Callable,
        use_widget: bool | None = None,
        throttle_s: float = 0.05,
        rows=None,
        describe_fn: Callable | None = None,
    ):
        self.controls = controls
        self._tables_fn, self._readout_fn = tables_fn, readout_fn
        self.readout = W.HTML()
        tables = self._compute()
        self.pane = ChartPane(template, tables, use_widget=use_widget, describe=describe_fn)
        self.throttle = Throttle(self.refresh, throttle_s)
        for control in controls.values():
            control.observe(self.throttle, names="value")
        rows = rows or [list(controls)]
        box = W.VBox([W.HBox([controls[name] for name in row], layout=W.Layout(flex_flow="row wrap")) for row in rows])
        super().__init__([W.HTML(f"<b>{html.escape(title)}</b>"), box, self.readout, self.pane.widget])
        self.add_class("passk-explorer")

    def values(self) -> dict:
        """Current value of every control."""
        return {name: control.value for name, control in self.controls.items()}

    def _compute(self):
        """Tables for the current values, and the readout; None (readout = message) on bad input."""
        values = self.values()
        try:
            tables = self._tables_fn(**values)
        except ValueError as exc:
            self.readout.value = f"<span style='color:#b00'>{html.escape(str(exc))}</span>"
            return None
        self.readout.value = self._readout_fn(tables, **values)
        return tables

    def refresh(self) -> None:
        """Recompute the numbers and redraw (what a control change triggers, unthrottled)."""
        tables = self._compute()
        if tables is not None:
            self.pane.update(tables)

    def chart(self) -> alt.TopLevelMixin:
        """The chart as it is now, as a complete Altair chart (to display or ``.save()``)."""
        tables = self._tables_fn(**self.values())
        sentence = self.pane.describe(tables) if self.pane.describe else None
        return charts.with_data(self.pane.template, tables, sentence)


def _slider(cls, description: str, value, **kw):
    """A slider with room for its description, updating while dragged."""
    return cls(
        value=value,
        description=description,
        continuous_update=True,
        style={"description_width": "initial"},
        layout=W.Layout(width="300px"),
        **kw,
    )


def _f(x: float, fmt: str = ".4f") -> str:
    """Number for a readout (rounding noise such as -1e-17 shows as 0, not -0)."""
    return "∞" if x is None or math.isinf(x) else format(round(x, 12) + 0.0, fmt)


# ------------------------------------------------------------------------------ explorers
def alpha_explorer(p: float = 0.2, ks=(1, 2, 4, 8, 16), **kw) -> Explorer:
    """Explorer 1: J_k, alpha_k and Delta(k) against p for several k, with p*(k) and readouts."""
    options = sorted({1, 2, 3, 4, 6, 8, 12, 16, 32, 64, *ks})

    def readout(t, p, ks):
        now, peaks = t["alpha_now"], t["alpha_peaks"]
        star = dict(
            zip(
                peaks["k"].tolist(),
                zip(peaks["p_star"].tolist(), peaks["delta_star"].tolist(), strict=True),
                strict=True,
            )
        )
        rows = [
            [str(k), _f(j), _f(a), _f(d), _f(star[k][0]) if k in star else "–", _f(star[k][1]) if k in star else "–"]
            for k, j, a, d in zip(
                now["k"].tolist(), now["J_k"].tolist(), now["alpha_k"].tolist(), now["delta_k"].tolist(), strict=True
            )
        ]
        return f"At p = {p:.2f}:" + _table(["k", "J_k", "α_k", "Δ(k)", "p*(k)", "Δ(p*)"], rows)

    controls = {
        "p": _slider(W.FloatSlider, "p = J₁", p, min=0.0, max=1.0, step=0.01, readout_format=".2f"),
        "ks": W.SelectMultiple(
            options=options,
            value=tuple(ks),
            description="k (ctrl-click)",
            rows=5,
            style={"description_width": "initial"},
        ),
    }
    return Explorer(
        "α_k, J_k and Δ(k) against p",
        controls,
        explorers.alpha_template(),
        explorers.alpha_tables,
        readout,
        describe_fn=explorers.alpha_description,
        **kw,
    )


def estimator_explorer(n: int = 10, p: float = 0.3, k: int = 5, **kw) -> Explorer:
    """Explorer 2: exact distributions of the unbiased and plug-in pass@k estimators."""

    def readout(t, n, p, k):
        s = t["est_stats"]
        rows = [
            [html.escape(str(e)), _f(m), _f(b, "+.4f"), _f(sd)]
            for e, m, b, sd in zip(
                s["estimator"].tolist(), s["mean"].tolist(), s["bias"].tolist(), s["sd"].tolist(), strict=True
            )
        ]
        return f"n = {n}, p = {p:.2f}, k = {k}: true pass@k = {_f(float(s['truth'][0]))}" + _table(
            ["estimator", "mean", "bias", "sd"], rows
        )

    n_w = _slider(W.IntSlider, "n samples", n, min=1, max=100)
    k_w = _slider(W.IntSlider, "k", min(k, n), min=1, max=n)
    # k <= n (no unbiased estimator exists for k > n); ipywidgets clamps the value.
    n_w.observe(lambda ch: setattr(k_w, "max", ch["new"]), names="value")
    controls = {
        "n": n_w,
        "p": _slider(W.FloatSlider, "true p", p, min=0.0, max=1.0, step=0.01, readout_format=".2f"),
        "k": k_w,
    }
    return Explorer(
        "Unbiased vs plug-in pass@k estimator",
        controls,
        explorers.estimator_template(),
        explorers.estimator_tables,
        readout,
        describe_fn=explorers.estimator_description,
        **kw,
    )


def zero_signal_explorer(p: float = 0.01, n: int = 8, **kw) -> Explorer:
    """Explorer 3: P(all n samples fail) = (1 - p)^n and expected steps to the first signal."""

    def readout(t, p, n):
        now = t["zero_now"]
        prob, steps = float(now["prob"][0]), float(now["steps"][0])
        return (
            f"p = {p:.4f}, n = {n}: P(all fail) = (1 − p)^n = {_f(prob)}; "
            f"expected steps to the first non-zero gradient = {_f(steps, ',.1f')}"
        )

    controls = {
        "p": W.FloatLogSlider(
            value=p,
            base=10,
            min=-3,
            max=0,
            step=0.05,
            description="p = J₁",
            continuous_update=True,
            readout_format=".4f",
            style={"description_width": "initial"},
            layout=W.Layout(width="300px"),
        ),
        "n": _slider(W.IntSlider, "group size n", n, min=1, max=128),
    }
    return Explorer(
        "The zero-signal regime",
        controls,
        explorers.zero_signal_template(),
        explorers.zero_signal_tables,
        readout,
        describe_fn=explorers.zero_signal_description,
        **kw,
    )


def advantage_explorer(n: int = 8, c: int = 3, k: int = 4, **kw) -> Explorer:
    """Explorer 4: per-rollout advantages under GRPO, Chen et al.'s pass@k and PKPO; eta against c."""

    def readout(t, n, c, k):
        b = t["adv_bars"]
        cells = {
            (m, o): a
            for m, o, a in zip(b["method"].tolist(), b["outcome"].tolist(), b["advantage"].tolist(), strict=True)
        }
        rows = [
            [html.escape(label), _f(cells[(label, "correct")], "+.4f"), _f(cells[(label, "wrong")], "+.4f")]
            for label in explorers.ADVANTAGES.values()
        ]
        eta = float(t["adv_now"]["eta"][0])
        return f"N = {n} rollouts, c = {c} correct, k = {k}; η = Σ|Aᵢ| (Chen et al.) = {_f(eta)}" + _table(
            ["estimator", "A (correct)", "A (wrong)"], rows
        )

    n_w = _slider(W.IntSlider, "group size N", n, min=2, max=32)
    c_w = _slider(W.IntSlider, "c correct", min(c, n), min=0, max=n)
    k_w = _slider(W.IntSlider, "k", min(k, n), min=1, max=n)

    def on_n(change):
        c_w.max = k_w.max = change["new"]

    n_w.observe(on_n, names="value")
    return Explorer(
        "Group advantages: GRPO, pass@k (Chen et al.) and PKPO",
        {"n": n_w, "c": c_w, "k": k_w},
        explorers.advantage_template(),
        explorers.advantage_tables,
        readout,
        describe_fn=explorers.advantage_description,
        **kw,
    )


def mixture_explorer(p=(0.02, 0.2, 0.7), weights=(0.5, 0.3, 0.2), k: int = 8, **kw) -> Explorer:
    """Explorer 5: a mixture of three prompt difficulties; dataset pass@k vs the Jensen bound."""
    names = ("hard", "medium", "easy")

    def tables(k, **v):
        return explorers.mixture_tables([v[f"p_{g}"] for g in names], [v[f"w_{g}"] for g in names], k, names)

    def readout(t, k, **v):
        now, g = t["mix_now"], t["mix_groups"]
        true, bound = (float(x) for x in now["value"])
        shares = ", ".join(f"{n} {s:.1%}" for n, s in zip(g["group"].tolist(), g["share"].tolist(), strict=True))
        return (
            f"k = {k}: dataset pass@k = {_f(true)}, 1 − (1 − mean p)^k = {_f(bound)} "
            f"(gap {_f(bound - true)}); share of the α_k weight: {shares}"
        )

    controls = {"k": _slider(W.IntSlider, "k", k, min=1, max=256)}
    for g, pg, wg in zip(names, p, weights, strict=True):
        controls[f"p_{g}"] = _slider(W.FloatSlider, f"p {g}", pg, min=0.0, max=1.0, step=0.01, readout_format=".2f")
        controls[f"w_{g}"] = _slider(W.FloatSlider, f"share {g}", wg, min=0.0, max=1.0, step=0.05, readout_format=".2f")
    rows = [["k"], [f"p_{g}" for g in names], [f"w_{g}" for g in names]]
    return Explorer(
        "A mixture of prompt difficulties",
        controls,
        explorers.mixture_template(),
        tables,
        readout,
        rows=rows,
        describe_fn=explorers.mixture_description,
        **kw,
    )
