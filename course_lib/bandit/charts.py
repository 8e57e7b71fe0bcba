r"""Charts and the explorer of chapter 4 (``notebooks/04_exploration_collapse.ipynb``).

Same three-piece pattern as :mod:`course_lib.viz.charts`: ``X_tables(...)`` computes named
tables (NumPy columns, from :mod:`course_lib.bandit`), ``X_template()`` is the Altair chart
with named data sources, ``X_chart(...)`` joins them. :func:`collapse_explorer` wires
sliders to a bandit run through :class:`course_lib.viz.widgets.Explorer`.

References
----------
- Y. Yu, arXiv 2511.16231 (exploration collapse, zero-signal regime).
- Z. Chen et al., arXiv 2508.10751; C. Walder, D. Karkhanis, arXiv 2505.15201; RS-GRPO, arXiv 2509.24261.
"""

from __future__ import annotations

import time

import altair as alt
import numpy as np

from .. import bandit as B
from ..passk import alpha_k
from ..viz.charts import HEIGHT, HIGHLIGHT, PALETTE, WIDTH, data_source, number, series_style, trends, with_data

METRIC_TITLES = {
    "delta": "Δ(k) = J_k − J_1",
    "J1": "J_1 (pass@1)",
    "Jk": "J_k (pass@k)",
    "coverage": "coverage@k_cover (pass@k at large k)",
    "entropy": "entropy H(π) (nats)",
    "modes": "correct answers > 1 % mass",
    "minority_mass": "correct mass off the dominant answer",
    "distinct": "distinct correct answers in k_cover samples",
    "dominant_share": "dominant mode / J_1",
    "cos_k1": "cos(∇J_k, ∇J_1), training k",
    "alpha": "mean α_k",
    "grad_norm": "‖update‖",
    "all_fail": "prompts with all n wrong",
}
"""Display name of each History metric used in the charts."""

COLLAPSE_METRICS = ("delta", "J1", "coverage", "modes", "entropy", "cos_k1")
"""Panels of the collapse chart, in order: Delta(k) next to the diagnostics it cannot replace."""

KIND_COLOURS = {"dominant correct": PALETTE[0], "other correct": PALETTE[4], "wrong": "#bbbbbb"}
"""Colour of each kind of answer in the policy bars: dark blue, light blue, grey (apart in greyscale too)."""


def _steps(T: int, max_points: int) -> np.ndarray:
    """At most ``max_points`` step indices spread over 0..T-1, always including the last."""
    idx = np.unique(np.linspace(0, T - 1, min(T, max_points)).round().astype(int))
    return idx


# ----------------------------------------------------------------------------- 1. collapse curves
def collapse_tables(histories: dict, metrics=COLLAPSE_METRICS, max_points: int = 101) -> dict:
    """Long table ``collapse`` (columns run, step, metric, value) of the given runs.

    ``histories`` maps a run label to a :class:`course_lib.bandit.History`; each curve is
    thinned to ``max_points`` steps (the chart's resolution, not the simulation's).
    """
    unknown = [m for m in metrics if m not in METRIC_TITLES]
    if unknown:
        raise ValueError(f"metrics must be among {sorted(METRIC_TITLES)}, got {unknown}")
    run, step, metric, value = [], [], [], []
    for label, h in histories.items():
        idx = _steps(len(h.J1), max_points)
        for m in metrics:
            run += [label] * idx.size
            step.append(idx)
            metric += [METRIC_TITLES[m]] * idx.size
            value.append(getattr(h, m)[idx])
    return {
        "collapse": {
            "run": np.array(run, dtype=object),
            "step": np.concatenate(step),
            "metric": np.array(metric, dtype=object),
            "value": np.concatenate(value),
        }
    }


def collapse_template(metrics=COLLAPSE_METRICS, columns: int = 3) -> alt.FacetChart:
    """Small multiples: one panel per metric, one line per run (independent y axes)."""
    base = (
        data_source("collapse")
        .mark_line()
        .encode(
            x=alt.X("step:Q", title="step"),
            y=alt.Y("value:Q", title=None),
            **series_style("run", title="objective", columns=3, labelLimit=220),
            tooltip=["run:N", "step:Q", "metric:N", alt.Tooltip("value:Q", format=".4f")],
        )
        .properties(width=WIDTH, height=HEIGHT * 0.8)
    )
    return (
        base.facet(
            facet=alt.Facet("metric:N", title=None, sort=[METRIC_TITLES[m] for m in metrics]),
            columns=columns,
        )
        .resolve_scale(y="independent")
        .properties(
            title=alt.TitleParams(
                "Exploration diagnostics on the bandit",
                anchor="start",
                subtitle="dataset means over prompts; exact values of the current policy",
            )
        )
    )


def collapse_description(tables: dict) -> str:
    """One sentence on the collapse chart: how the first panel's metric changes under each run."""
    t = tables["collapse"]
    first = t["metric"] == t["metric"][0] if len(t["metric"]) else np.zeros(0, bool)
    what = str(t["metric"][0]).split(" = ")[0] if first.any() else "the diagnostics"
    return trends({name: col[first] for name, col in t.items()}, what, "run", "step", "value")


def collapse_chart(histories: dict, metrics=COLLAPSE_METRICS, columns: int | None = None) -> alt.FacetChart:
    """:func:`collapse_template` with the data of ``histories`` (2 columns for 4 panels, else 3)."""
    columns = columns or (2 if len(metrics) == 4 else 3)
    tables = collapse_tables(histories, metrics)
    return with_data(collapse_template(metrics, columns), tables, collapse_description(tables))


def collapse_summary(histories: dict) -> list[dict]:
    """One row per run: the headline metrics (:attr:`course_lib.bandit.History.HEADLINE`) at the start and the end."""
    rows = []
    for label, h in histories.items():
        s = h.summary()
        rows.append({"objective": label, **{key: round(val, 4) for key, val in s.items()}})
    return rows


# ----------------------------------------------------------------------------- 2. policy bars
def _kinds(bandit: B.Bandit, prompt: int) -> np.ndarray:
    """Kind of each answer of ``prompt``: dominant correct / other correct / wrong."""
    dom = int(np.argmax(np.where(bandit.correct[prompt], bandit.logits[prompt], -np.inf)))
    kinds = np.where(bandit.correct[prompt], "other correct", "wrong").astype(object)
    kinds[dom] = "dominant correct"
    return kinds


def mass_tables(bandit: B.Bandit, histories: dict, prompts=(0,)) -> dict:
    """Table ``mass``: probability of every answer at the start and the end of each run."""
    cols = {"run": [], "prompt": [], "panel": [], "when": [], "answer": [], "prob": [], "kind": []}
    M = bandit.logits.shape[1]
    for label, h in histories.items():
        for x in prompts:
            kinds = _kinds(bandit, x)
            for when, t in (("start", 0), ("end", -1)):
                name = f"prompt {x}" + (" (hard)" if bandit.hard[x] else "")
                cols["run"] += [label] * M
                cols["prompt"] += [name] * M
                cols["panel"] += [f"{label} · {name}"] * M
                cols["when"] += [when] * M
                cols["answer"] += list(range(M))
                cols["prob"] += h.pi[t, x].tolist()
                cols["kind"] += kinds.tolist()
    return {
        "mass": {
            name: np.array(v, dtype=object if name in ("run", "prompt", "panel", "when", "kind") else None)
            for name, v in cols.items()
        }
    }


def mass_template() -> alt.FacetChart:
    """Bars of pi over answers; one row per (run, prompt), columns = start / end."""
    return (
        data_source("mass")
        .mark_bar()
        .encode(
            x=alt.X("answer:O", title="answer"),
            y=alt.Y("prob:Q", title="π(answer)", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color(
                "kind:N", title=None, scale=alt.Scale(domain=list(KIND_COLOURS), range=list(KIND_COLOURS.values()))
            ),
            tooltip=["run:N", "prompt:N", "answer:O", alt.Tooltip("prob:Q", format=".4f"), "kind:N"],
        )
        .properties(width=WIDTH * 0.8, height=HEIGHT * 0.55)
        .facet(
            row=alt.Row("panel:N", title=None, sort=None, header=alt.Header(labelAngle=0, labelAlign="left")),
            column=alt.Column("when:N", title=None, sort=["start", "end"]),
        )
        .properties(title=alt.TitleParams("Where the probability mass goes", anchor="start"))
    )


def mass_description(tables: dict) -> str:
    """One sentence on the policy bars: the dominant correct answer's probability, start to end, per panel."""
    t = tables["mass"]
    dom = t["kind"] == "dominant correct"
    rows = {"panel": t["panel"][dom], "t": (t["when"][dom] == "end").astype(int), "prob": t["prob"][dom]}
    return trends(rows, "the dominant correct answer's probability", "panel", "t", "prob")


def mass_chart(bandit: B.Bandit, histories: dict, prompts=(0,)) -> alt.FacetChart:
    """:func:`mass_template` with the data."""
    tables = mass_tables(bandit, histories, prompts)
    return with_data(mass_template(), tables, mass_description(tables))


# ----------------------------------------------------------------------------- 3. zero signal
SIGNAL_SERIES = ("exact ‖∇J_1‖", "sampled estimate ‖g‖")
"""The two series of the signal chart."""


def signal_tables(history: B.History, prompt: int) -> dict:
    """Tables ``signal`` (step, series, norm) and ``zero`` (start, end, zero) for one prompt of a run.

    ``norm`` of the exact pass@1 gradient at every step and of the sampled estimate where it
    is non-zero (a log axis cannot show 0); ``zero`` lists the stretches of steps whose
    estimate is exactly 0 (or not).
    """
    T = len(history.J1) - 1
    steps = np.arange(T)
    exact = history.prompt_grad[:T, prompt]
    sampled = history.prompt_update[:T, prompt]
    zero = history.prompt_zero[:T, prompt]
    keep = ~zero
    return {
        "signal": {
            "step": np.concatenate([steps, steps[keep]]),
            "series": np.array([SIGNAL_SERIES[0]] * T + [SIGNAL_SERIES[1]] * int(keep.sum()), dtype=object),
            "norm": np.concatenate([exact, sampled[keep]]),
        },
        "zero": _runs(zero),
    }


def _runs(flags: np.ndarray) -> dict:
    """Maximal runs of equal flags as intervals: columns ``start``, ``end`` (exclusive), ``zero``."""
    change = np.flatnonzero(np.diff(flags.astype(np.int8))) + 1
    start = np.concatenate([[0], change])
    end = np.concatenate([change, [flags.size]])
    return {"start": start, "end": end, "zero": np.where(flags[start], "exactly 0", "non-zero").astype(object)}


def signal_template() -> alt.VConcatChart:
    """Top: gradient norms on a log axis; bottom: a strip marking the exactly-zero steps."""
    signal_style = series_style("series", domain=SIGNAL_SERIES)
    signal_style["strokeDash"]["scale"]["range"] = [[1, 0], [1, 3]]  # the estimates are dots: dotted in the legend
    base = data_source("signal").encode(
        x=alt.X("step:Q", title=None),
        y=alt.Y("norm:Q", title="gradient norm (log)", scale=alt.Scale(type="log")),
        **signal_style,
        tooltip=["series:N", "step:Q", alt.Tooltip("norm:Q", format=".2e")],
    )
    exact = base.mark_line().transform_filter("indexof(datum.series, 'exact') >= 0")
    sampled = base.mark_point(filled=True, size=40).transform_filter("indexof(datum.series, 'exact') < 0")
    top = alt.layer(exact, sampled).properties(width=2.2 * WIDTH, height=HEIGHT)
    strip = (
        data_source("zero")
        .mark_rect()
        .encode(
            x=alt.X("start:Q", title="step"),
            x2="end:Q",
            color=alt.Color(
                "zero:N",
                title="sampled estimate",
                scale=alt.Scale(domain=["exactly 0", "non-zero"], range=[HIGHLIGHT, "#bbbbbb"]),
            ),
            tooltip=["start:Q", "end:Q", "zero:N"],
        )
        .properties(width=2.2 * WIDTH, height=24)
    )
    return (
        alt.vconcat(top, strip)
        .resolve_scale(color="independent", strokeDash="independent")
        .properties(
            title=alt.TitleParams("A hard prompt: tiny exact gradient, exactly-zero sampled estimates", anchor="start")
        )
    )


def signal_description(tables: dict) -> str:
    """One sentence on the signal chart: how many steps have an exactly-zero estimate, the exact norm's range."""
    zero, signal = tables["zero"], tables["signal"]
    steps = int(zero["end"][-1]) if len(zero["end"]) else 0
    n_zero = int(
        sum(e - s for s, e, z in zip(zero["start"], zero["end"], zero["zero"], strict=True) if z == "exactly 0")
    )
    exact = signal["norm"][signal["series"] == SIGNAL_SERIES[0]].astype(float)
    lo, hi = (number(x, ".1e") for x in (exact.min(), exact.max())) if exact.size else ("none", "none")
    span = f"at {lo}" if lo == hi else f"between {lo} and {hi}"
    return (
        f"the sampled gradient estimate is exactly 0 on {n_zero} of {steps} steps, while the exact ‖∇J_1‖ stays {span}"
    )


def signal_chart(history: B.History, prompt: int) -> alt.VConcatChart:
    """:func:`signal_template` with the data."""
    tables = signal_tables(history, prompt)
    return with_data(signal_template(), tables, signal_description(tables))


# ----------------------------------------------------------------------------- 4. expected weights
def weight_tables(n: int = 8, k: int = 4, beta: float = 2.0, p_grid=None, methods=None) -> dict:
    """Table ``weights``: lambda(p) of sampled estimators, plus alpha_k and 1 (exact objectives).

    ``methods``: registry keys to draw; by default every one whose lambda(p) is defined
    (:func:`course_lib.bandit.depends_only_on_c`), so a newly registered method appears by itself.
    """
    p = np.linspace(0.0, 1.0, 51) if p_grid is None else np.asarray(p_grid, dtype=np.float64)
    rows_est, rows_p, rows_w = [], [], []

    def add(name, values):
        rows_est.extend([name] * p.size)
        rows_p.append(p)
        rows_w.append(np.broadcast_to(np.asarray(values, dtype=np.float64), p.shape))

    add("pass@1 exact (1)", 1.0)
    add(f"pass@{k} exact (α_{k})", alpha_k(p, k))
    if methods is None:
        methods = [name for name in B.SAMPLED_OBJECTIVES if B.depends_only_on_c(name, n, k, beta)]
    for name in methods:
        add(name, B.expected_weight(name, p, n, k=k, beta=beta))
    return {
        "weights": {
            "estimator": np.array(rows_est, dtype=object),
            "p": np.concatenate(rows_p),
            "lam": np.concatenate(rows_w),
        }
    }


def weight_template() -> alt.LayerChart:
    """lambda(p) curves: in expectation every estimator is pass@1 with this per-prompt step size."""
    base = data_source("weights").encode(
        x=alt.X("p:Q", title="prompt pass@1 p"),
        y=alt.Y("lam:Q", title="λ(p):  E[estimate] = λ(p) ∇J_1"),
        **series_style("estimator", columns=2, labelLimit=300),
        tooltip=["estimator:N", alt.Tooltip("p:Q", format=".2f"), alt.Tooltip("lam:Q", format=".4f")],
    )
    exact = base.mark_line(strokeWidth=8, opacity=0.35).transform_filter("indexof(datum.estimator, 'exact') >= 0")
    sampled = base.mark_line(strokeWidth=2).transform_filter("indexof(datum.estimator, 'exact') < 0")
    return alt.layer(exact, sampled).properties(
        width=2 * WIDTH,
        height=1.3 * HEIGHT,
        title=alt.TitleParams(
            "Every group estimator is, in expectation, a reweighted pass@1 gradient",
            anchor="start",
            subtitle="wide pale lines: exact objectives; thin lines: sampled estimators (n rollouts)",
        ),
    )


def weight_description(tables: dict, p: float = 0.1) -> str:
    """One sentence on the weight chart: the largest and the smallest lambda(p) at a hard prompt's p."""
    t = tables["weights"]
    at = np.isclose(t["p"], t["p"][np.argmin(np.abs(t["p"] - p))])
    names, lam = t["estimator"][at], t["lam"][at].astype(float)
    hi, lo = int(np.argmax(lam)), int(np.argmin(lam))
    return (
        f"at p = {number(t['p'][at][0])}, λ(p) of the {len(names)} curves ranges from {number(lam[lo])} "
        f"({names[lo]}) to {number(lam[hi])} ({names[hi]})"
    )


def weight_chart(n: int = 8, k: int = 4, beta: float = 2.0, methods=None) -> alt.LayerChart:
    """:func:`weight_template` with the data."""
    tables = weight_tables(n, k, beta, methods=methods)
    return with_data(weight_template(), tables, weight_description(tables))


# ----------------------------------------------------------------------------- 5. same path, other speed
def path_tables(histories: dict, prompt: int) -> dict:
    """Table ``path``: J_1 and dominant share of one prompt over the steps of each run."""
    cols = {"run": [], "step": [], "J1": [], "share": []}
    for label, h in histories.items():
        dom = int(np.argmax(h.pi[0, prompt]))
        p = h.p[:, prompt]
        idx = _steps(len(p), 201)
        cols["run"] += [label] * idx.size
        cols["step"].append(idx)
        cols["J1"].append(p[idx])
        cols["share"].append(h.pi[idx, prompt, dom] / np.maximum(p[idx], 1e-300))
    return {
        "path": {
            "run": np.array(cols["run"], dtype=object),
            "step": np.concatenate(cols["step"]),
            "J1": np.concatenate(cols["J1"]),
            "share": np.concatenate(cols["share"]),
        }
    }


def path_template() -> alt.HConcatChart:
    """Left: J_1 against step (speed); right: dominant share against J_1 (the path)."""
    base = data_source("path").encode(
        **series_style("run"),
        tooltip=["run:N", "step:Q", alt.Tooltip("J1:Q", format=".4f"), alt.Tooltip("share:Q", format=".4f")],
    )
    speed = (
        base.mark_line()
        .encode(x=alt.X("step:Q"), y=alt.Y("J1:Q", title="J_1 of the prompt"))
        .properties(width=WIDTH, height=HEIGHT, title="speed")
    )
    path = (
        base.mark_line(point=alt.OverlayMarkDef(size=8))
        .encode(
            x=alt.X("J1:Q", title="J_1 of the prompt"),
            y=alt.Y("share:Q", title="dominant mode / J_1"),
            order="step:Q",
        )
        .properties(width=WIDTH, height=HEIGHT, title="path")
    )
    return alt.hconcat(speed, path).properties(
        title=alt.TitleParams("pass@k walks the pass@1 path, at its own speed", anchor="start")
    )


def path_description(tables: dict) -> str:
    """One sentence on the path chart: J_1 of the prompt, start to end, per run."""
    t = tables["path"]
    return f"over {int(t['step'].max()) + 1} steps, " + trends(t, "J_1 of the prompt", "run", "step", "J1")


def path_chart(histories: dict, prompt: int) -> alt.HConcatChart:
    """:func:`path_template` with the data."""
    tables = path_tables(histories, prompt)
    return with_data(path_template(), tables, path_description(tables))


# ----------------------------------------------------------------------------- 6. the explorer
def collapse_explorer(bandit: B.Bandit | None = None, steps: int = 400, **kw):
    """Explorer: choose objective, k, learning rate and entropy bonus; rerun the bandit and redraw.

    The chosen run is drawn against the exact pass@1 run on the same bandit (computed once).
    One rerun is one :func:`course_lib.bandit.train` call (about 0.1-0.3 s for 400 steps).
    """
    import ipywidgets as W

    from ..viz.widgets import Explorer

    bandit = bandit or B.make_bandit()
    reference = B.train(bandit, objective="pass@1", steps=steps)
    style, layout = {"description_width": "initial"}, W.Layout(width="300px")
    controls = {
        "objective": W.Dropdown(
            options=list(B.OBJECTIVES), value="pass@k", description="objective", style=style, layout=layout
        ),
        "k": W.IntSlider(
            value=4, min=1, max=8, description="k (objective)", continuous_update=False, style=style, layout=layout
        ),
        "lr": W.FloatLogSlider(
            value=1.0,
            base=10,
            min=-1.5,
            max=0.7,
            step=0.05,
            description="learning rate",
            continuous_update=False,
            style=style,
            layout=layout,
        ),
        "entropy_coef": W.FloatSlider(
            value=0.0,
            min=0.0,
            max=0.2,
            step=0.01,
            description="entropy bonus τ",
            continuous_update=False,
            style=style,
            layout=layout,
        ),
    }
    last = {}

    def tables(objective, k, lr, entropy_coef):
        start = time.perf_counter()
        run = B.train(
            bandit,
            objective=objective,
            k=k,
            lr=lr,
            entropy_coef=entropy_coef,
            steps=steps,
            k_start=8 if objective == "pkpo" else None,
        )
        last["seconds"], last["run"] = time.perf_counter() - start, run
        label = f"{objective} (k={k}, lr={lr:.2g}, τ={entropy_coef:.2g})"
        return collapse_tables({"pass@1 exact (reference)": reference, label: run})

    def readout(t, **values):
        h = last["run"]
        fail = (
            f"groups with all n wrong: {np.nanmean(h.all_fail):.1%}"
            if np.isfinite(h.all_fail).any()
            else "exact gradients"
        )
        return (
            f"Δ({h.config.k_eval}): {h.delta[0]:.4f} → {h.delta[-1]:.4f} &nbsp; J_1: {h.J1[0]:.3f} → "
            f"{h.J1[-1]:.3f} &nbsp; coverage@{h.config.k_cover}: {h.coverage[0]:.3f} → {h.coverage[-1]:.3f} "
            f"&nbsp; modes: {h.modes[0]:.2f} → {h.modes[-1]:.2f} &nbsp; {fail} "
            f"&nbsp; (run took {last['seconds']:.2f} s)"
        )

    return Explorer(
        "Exploration collapse: rerun the bandit",
        controls,
        collapse_template(),
        tables,
        readout,
        describe_fn=collapse_description,
        **kw,
    )
