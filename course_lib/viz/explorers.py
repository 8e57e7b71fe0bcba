r"""Charts of chapter 3 (``notebooks/03_explorers.ipynb``): parameters in, Altair chart out.

Pure functions, no widget state. Each explorer ``X`` has three pieces:

- ``X_tables(...)``: the numbers, as named tables (dataset name -> dict of equal-length
  1-D NumPy columns); easy to test;
- ``X_template()``: the Altair chart with *named* data sources and no data; it depends on
  no slider, so an explorer builds it once and afterwards only swaps the data (fast,
  and the browser updates the drawn chart in place instead of redrawing it);
- ``X_chart(...)``: template + tables, a complete chart to display or save.

All metric math comes from :mod:`course_lib.passk` and :mod:`course_lib.advantages`;
nothing is re-derived here. Every chart has a title, axis titles with the papers'
symbols and tooltips, and saves offline with ``chart.save("figure.svg")`` or ``.png``
(vl-convert-python). Interactive wrappers: :mod:`course_lib.viz.widgets`; shared plumbing: :mod:`course_lib.viz.charts`.

References
----------
- Y. Yu, arXiv 2511.16231 (J_k, alpha_k, Delta(k), the zero-signal regime, Jensen gap).
- M. Chen et al., arXiv 2107.03374 (unbiased pass@k estimator).
- Z. Chen et al., arXiv 2508.10751 (analytic pass@k advantage);
  C. Walder, D. Karkhanis, arXiv 2505.15201 (PKPO).
"""

from __future__ import annotations

import altair as alt
import numpy as np

from .. import passk
from .._checks import as_int_array, as_positive_int, as_prob_array
from .charts import (
    HEIGHT,
    HIGHLIGHT,
    HIGHLIGHT_NAME,
    PALETTE,
    SEQUENTIAL,
    WIDTH,
    as_ks,
    as_p,
    chart_title,
    data_source,
    legend_below,
    listing,
    number,
    series_style,
    with_data,
)

P_GRID = np.linspace(0.0, 1.0, 201)
"""Grid of pass@1 values p for curves over p."""


# ------------------------------------------------------- 1. alpha_k, J_k, Delta(k) vs p
def alpha_tables(ks=(1, 2, 4, 8, 16), p: float = 0.2) -> dict:
    """Tables of the alpha explorer.

    ``alpha_curves``: J_k, alpha_k, Delta(k) over :data:`P_GRID` for each k (columns ``k``,
    ``p``, ``J_k``, ``alpha_k``, ``delta_k``); ``alpha_now``: the same at the current ``p``;
    ``alpha_peaks``: for k >= 2, ``p_star`` = :func:`passk.gap_argmax` and ``delta_star``.
    """
    ks, p = as_ks(ks), as_p(p)

    def metrics(pp, kk):
        return {
            "k": kk,
            "p": pp,
            "J_k": passk.pass_at_k_from_p(pp, kk),
            "alpha_k": passk.alpha_k(pp, kk),
            "delta_k": passk.delta_k(pp, kk),
        }

    k2 = ks[ks >= 2]
    p_star = np.atleast_1d(passk.gap_argmax(k2)) if k2.size else np.zeros(0)
    return {
        "alpha_curves": metrics(np.tile(P_GRID, ks.size), np.repeat(ks, P_GRID.size)),
        "alpha_now": metrics(np.full(ks.size, p), ks),
        "alpha_peaks": {
            "k": k2,
            "p_star": p_star,
            "delta_star": np.atleast_1d(passk.delta_k(p_star, k2)) if k2.size else np.zeros(0),
        },
    }


def alpha_template() -> alt.HConcatChart:
    """J_k, alpha_k and Delta(k) against p; diamonds at p*(k); dashed rule and dots at the current p."""
    x = alt.X("p:Q", title="p = J₁ (pass@1 of the prompt)", scale=alt.Scale(domain=[0, 1]))
    style = series_style("k", title="k", ordered=True)
    tips = [
        alt.Tooltip("k:O"),
        alt.Tooltip("p:Q", format=".3f"),
        alt.Tooltip("J_k:Q", format=".4f"),
        alt.Tooltip("alpha_k:Q", title="α_k", format=".4f"),
        alt.Tooltip("delta_k:Q", title="Δ(k)", format=".4f"),
    ]
    rule = data_source("alpha_now").mark_rule(color=HIGHLIGHT, strokeDash=[4, 3]).encode(x="min(p):Q")

    def panel(field: str, title, y_title: str, *extra) -> alt.LayerChart:
        line = (
            data_source("alpha_curves")
            .mark_line()
            .encode(x=x, y=alt.Y(f"{field}:Q", title=y_title), **style, tooltip=tips)
        )
        dots = (
            data_source("alpha_now")
            .mark_point(filled=True, size=60, stroke="black", strokeWidth=0.5)
            .encode(x="p:Q", y=f"{field}:Q", **style, tooltip=tips)
        )
        return alt.layer(line, rule, dots, *extra).properties(title=title, width=WIDTH, height=HEIGHT)

    star = (
        data_source("alpha_peaks")
        .mark_point(shape="diamond", size=110, filled=True, color="black")
        .encode(
            x="p_star:Q",
            y="delta_star:Q",
            tooltip=[
                alt.Tooltip("k:O"),
                alt.Tooltip("p_star:Q", title="p* = 1 − k^(−1/(k−1))", format=".4f"),
                alt.Tooltip("delta_star:Q", title="Δ* = Δ(p*)", format=".4f"),
            ],
        )
    )
    return alt.hconcat(
        panel("J_k", "pass@k: J_k = 1 − (1 − p)^k", "J_k"),
        panel("alpha_k", "Gradient weight: α_k = k(1 − p)^(k−1)", "α_k"),
        panel("delta_k", alt.TitleParams("Exploration gap: Δ(k) = J_k − J₁", subtitle="◆ = peak p*(k)"), "Δ(k)", star),
    ).properties(title=chart_title("∇J_k = α_k ∇J₁: pass@k only reweights pass@1 (Yu, arXiv 2511.16231)"))


def alpha_description(tables: dict) -> str:
    """One sentence on the alpha chart: J_k, alpha_k and Delta(k) at the current p, across k."""
    now, peaks = tables["alpha_now"], tables["alpha_peaks"]
    p, ks = float(now["p"][0]), now["k"].tolist()
    j, a, d = (now[name].astype(float) for name in ("J_k", "alpha_k", "delta_k"))
    if len(ks) == 1:
        k = ks[0]
        return f"at p = {number(p)}, J_{k} = {number(j[0])}, α_{k} = {number(a[0])} and Δ({k}) = {number(d[0])}"
    text = (
        f"at p = {number(p)}, as k goes from {ks[0]} to {ks[-1]}, J_k rises from {number(j[0])} to {number(j[-1])} "
        f"and α_k goes from {number(a[0])} to {number(a[-1])}"
    )
    if len(peaks["k"]):
        k, p_star = int(peaks["k"][-1]), float(peaks["p_star"][-1])
        text += f"; Δ({k}) peaks at p* = {number(p_star)} (Δ = {number(peaks['delta_star'][-1])})"
    return text


def alpha_chart(ks=(1, 2, 4, 8, 16), p: float = 0.2) -> alt.HConcatChart:
    """Complete alpha-explorer chart for the k values ``ks`` at pass@1 ``p``."""
    tables = alpha_tables(ks, p)
    return with_data(alpha_template(), tables, alpha_description(tables))


# ----------------------------------------------------- 2. unbiased vs plug-in estimator
ESTIMATORS = {"unbiased": "unbiased: 1 − C(n−c,k)/C(n,k)", "plugin": "plug-in: 1 − (1 − c/n)^k"}
"""Estimator key (as in :func:`passk.estimator_distribution`) -> label on the chart."""


def estimator_tables(n: int = 10, p: float = 0.3, k: int = 5) -> dict:
    """Tables of the estimator explorer (c ~ Binomial(n, p), exact, no sampling).

    ``est_dist``: columns ``estimator`` (label), ``c``, ``value`` (the estimate), ``prob``
    (P(c)); ``est_stats``: one row per estimator with ``truth`` = 1 - (1 - p)^k, ``mean``,
    ``bias`` = mean - truth and ``sd`` (standard deviation).
    """
    parts = {label: passk.estimator_distribution(n, p, k, estimator=key) for key, label in ESTIMATORS.items()}
    truth = float(passk.pass_at_k_from_p(p, k))
    means = np.array([w @ v for _, v, w in parts.values()])
    sds = np.sqrt(np.maximum([w @ (v - m) ** 2 for (_, v, w), m in zip(parts.values(), means, strict=True)], 0.0))
    labels = list(parts)
    return {
        "est_dist": {
            "estimator": np.repeat(labels, [len(c) for c, _, _ in parts.values()]),
            "c": np.concatenate([c for c, _, _ in parts.values()]),
            "value": np.concatenate([v for _, v, _ in parts.values()]),
            "prob": np.concatenate([w for _, _, w in parts.values()]),
        },
        "est_stats": {
            "estimator": np.asarray(labels),
            "truth": np.full(len(labels), truth),
            "mean": means,
            "bias": means - truth,
            "sd": sds,
        },
    }


def estimator_template() -> alt.VConcatChart:
    """Lollipops of P(c) at each estimate, one row per estimator; dashed = truth, red = mean."""
    tips = [
        alt.Tooltip("c:Q", title="c correct of n"),
        alt.Tooltip("value:Q", title="estimate", format=".4f"),
        alt.Tooltip("prob:Q", title="P(c)", format=".4f"),
    ]
    stip = [alt.Tooltip(f"{c}:Q", format=".4f") for c in ("truth", "mean", "bias", "sd")]
    rows = []
    for label in ESTIMATORS.values():
        pick = alt.datum.estimator == label
        dist = data_source("est_dist").transform_filter(pick)
        stats = data_source("est_stats").transform_filter(pick)
        x = alt.X("value:Q", title="estimate of pass@k", scale=alt.Scale(domain=[0, 1]))
        rows.append(
            alt.layer(
                dist.mark_rule(color=PALETTE[0], strokeWidth=2).encode(
                    x=x, y=alt.Y("prob:Q", title="P(c)"), tooltip=tips
                ),
                dist.mark_circle(size=45, color=PALETTE[0]).encode(x="value:Q", y="prob:Q", tooltip=tips),
                stats.mark_rule(color="black", strokeDash=[5, 3], size=2).encode(x="truth:Q", tooltip=stip),
                stats.mark_rule(color=HIGHLIGHT, size=2).encode(x="mean:Q", tooltip=stip),
            ).properties(title=label, width=2 * WIDTH + 60, height=130)
        )
    return alt.vconcat(*rows).properties(
        title=chart_title(
            "Exact sampling distribution of pass@k estimates (Chen et al., arXiv 2107.03374)",
            f"black dashed: true pass@k = 1 − (1 − p)^k; {HIGHLIGHT_NAME}: mean of the estimator",
        )
    )


def estimator_description(tables: dict) -> str:
    """One sentence on the estimator chart: the truth, and each estimator's mean, bias and sd."""
    s = tables["est_stats"]
    parts = [
        f"the {label.split(':')[0]} estimator has mean {number(m)} (bias {number(b, '+.3f')}, sd {number(sd)})"
        for label, m, b, sd in zip(s["estimator"].tolist(), s["mean"], s["bias"], s["sd"], strict=True)
    ]
    return f"true pass@k is {number(s['truth'][0])}; " + listing(parts)


def estimator_chart(n: int = 10, p: float = 0.3, k: int = 5) -> alt.VConcatChart:
    """Complete estimator-explorer chart for n samples, true pass@1 p and k attempts."""
    tables = estimator_tables(n, p, k)
    return with_data(estimator_template(), tables, estimator_description(tables))


# ---------------------------------------------------------------- 3. zero-signal regime
P_LOG_EDGES = np.geomspace(1e-3, 1.0, 31)
"""Cell edges on the p axis of the zero-signal heatmap (log scale, 30 cells)."""

N_VALUES = np.array([1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128])
"""Group sizes n on the zero-signal heatmap."""

P_LOG_GRID = np.geomspace(1e-3, 1.0, 121)
"""Grid of p for the expected-steps curve (log scale)."""


def zero_signal_tables(p: float = 0.01, n: int = 8) -> dict:
    """Tables of the zero-signal explorer.

    ``zero_heat``: heatmap cells over (p, n) with edges ``p_lo``, ``p_hi``, ``n_lo``, ``n_hi``,
    centre ``p``, ``n``, ``prob`` = (1 - p)^n and ``steps`` = expected RL steps to the first
    non-zero gradient; ``zero_curve``: ``prob`` and ``steps`` against p for this n;
    ``zero_now``: the same at the current (p, n).
    """
    p, n = as_p(p), as_positive_int("n", n)
    if p <= 0:
        raise ValueError("p must be > 0 here: with p = 0 no step ever gives a non-zero gradient")
    e, ns = P_LOG_EDGES, N_VALUES
    n_edges = np.concatenate([[ns[0] / 1.2], np.sqrt(ns[1:] * ns[:-1]), [ns[-1] * 1.2]])
    i_p, i_n = (a.ravel() for a in np.meshgrid(np.arange(e.size - 1), np.arange(ns.size), indexing="ij"))
    p_mid = np.sqrt(e[i_p] * e[i_p + 1])

    def cells(pp, nn):
        return {
            "p": pp,
            "n": nn,
            "prob": passk.zero_signal_prob(pp, nn),
            "steps": passk.expected_steps_to_signal(pp, nn),
        }

    return {
        "zero_heat": {
            "p_lo": e[i_p],
            "p_hi": e[i_p + 1],
            "n_lo": n_edges[i_n],
            "n_hi": n_edges[i_n + 1],
            **cells(p_mid, ns[i_n]),
        },
        "zero_curve": cells(P_LOG_GRID, np.full(P_LOG_GRID.size, n)),
        "zero_now": cells(np.array([p]), np.array([n])),
    }


def zero_signal_template() -> alt.HConcatChart:
    """Heatmap of (1 - p)^n over (p, n) with the current point, and E[steps] against p."""
    x_log = alt.Scale(type="log", domain=[1e-3, 1])
    tips = [
        alt.Tooltip("p:Q", format=".4f"),
        alt.Tooltip("n:Q"),
        alt.Tooltip("prob:Q", title="(1 − p)^n", format=".4f"),
        alt.Tooltip("steps:Q", title="E[steps]", format=",.1f"),
    ]
    heat = (
        data_source("zero_heat")
        .mark_rect()
        .encode(
            x=alt.X("p_lo:Q", scale=x_log, title="p = J₁ (log scale)"),
            x2="p_hi:Q",
            y=alt.Y(
                "n_lo:Q",
                title="group size n (log scale)",
                scale=alt.Scale(type="log", base=2, nice=False, domain=[N_VALUES[0] / 1.2, N_VALUES[-1] * 1.2]),
            ),
            y2="n_hi:Q",
            color=alt.Color("prob:Q", title="(1 − p)^n", scale=alt.Scale(scheme=SEQUENTIAL, domain=[0, 1])),
            tooltip=tips,
        )
    )
    cross = (
        data_source("zero_now")
        .mark_point(shape="cross", size=220, color=HIGHLIGHT, strokeWidth=3, filled=True)
        .encode(x="p:Q", y="n:Q", tooltip=tips)
    )
    curve = (
        data_source("zero_curve")
        .mark_line()
        .encode(
            x=alt.X("p:Q", scale=x_log, title="p = J₁ (log scale)"),
            y=alt.Y("steps:Q", scale=alt.Scale(type="log"), title="E[steps] = 1 / (1 − (1 − p)^n)"),
            tooltip=tips,
        )
    )
    dot = (
        data_source("zero_now")
        .mark_point(filled=True, size=90, color=HIGHLIGHT)
        .encode(x="p:Q", y="steps:Q", tooltip=tips)
    )
    return alt.hconcat(
        alt.layer(heat, cross).properties(title="P(all n samples fail) = (1 − p)^n", width=WIDTH + 40, height=HEIGHT),
        alt.layer(curve, dot).properties(
            title="Expected RL steps to the first non-zero gradient", width=WIDTH + 40, height=HEIGHT
        ),
    ).properties(
        title=chart_title(
            "The zero-signal regime: an all-fail group gives an exactly zero gradient (Yu, arXiv 2511.16231)"
        )
    )


def zero_signal_description(tables: dict) -> str:
    """One sentence on the zero-signal chart at the current (p, n)."""
    now = tables["zero_now"]
    p, n, prob, steps = (float(now[name][0]) for name in ("p", "n", "prob", "steps"))
    return (
        f"at p = {number(p, '.3g')} and n = {int(n)}, all n samples fail with probability {number(prob)}, "
        f"so the first non-zero gradient comes after {number(steps, ',.1f')} RL steps on average"
    )


def zero_signal_chart(p: float = 0.01, n: int = 8) -> alt.HConcatChart:
    """Complete zero-signal chart at pass@1 ``p`` (> 0) and group size ``n``."""
    tables = zero_signal_tables(p, n)
    return with_data(zero_signal_template(), tables, zero_signal_description(tables))


# ------------------------------------------------------------------ 5. dataset mixture
K_VALUES = np.array([1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256])
"""Values of k on the dataset-mixture curves."""

MIX_CURVES = ("dataset pass@k: mean of 1 − (1 − pᵢ)^k", "1 − (1 − mean p)^k (Jensen bound)")
"""Labels of the two curves of the mixture chart."""


def _mixture(p_groups, weights) -> tuple[np.ndarray, np.ndarray]:
    """Validated (p, normalised weights) of a mixture of prompt groups."""
    p = np.atleast_1d(as_prob_array("p_groups", p_groups)).ravel()
    w = np.atleast_1d(np.asarray(weights, dtype=float)).ravel()
    if p.size == 0 or w.shape != p.shape or np.isnan(w).any() or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be non-negative, not all zero, and one per entry of p_groups")
    return p, w / w.sum()


def mixture_tables(
    p_groups=(0.02, 0.2, 0.7), weights=(0.5, 0.3, 0.2), k: int = 8, names=("hard", "medium", "easy")
) -> dict:
    """Tables of the dataset-mixture explorer.

    ``mix_curves``: against k in :data:`K_VALUES`, the dataset pass@k
    (:func:`passk.dataset_pass_at_k`) and the bound :func:`passk.pass_at_k_of_mean`
    (columns ``k``, ``curve``, ``value``); ``mix_now``: both at the current ``k``;
    ``mix_groups``: per group ``p``, normalised ``weight``, ``alpha_k`` and ``share`` =
    w_i alpha_k(p_i) / sum_j w_j alpha_k(p_j), the part of grad J_k that group drives.
    """
    p, w = _mixture(p_groups, weights)
    k = as_positive_int("k", k)
    names = [f"p = {x:.3f}" for x in p] if names is None else [str(x) for x in names]
    if len(names) != p.size:
        raise ValueError(f"names must have one entry per group ({p.size}), got {len(names)}")

    def curves(ks):
        vals = [
            [passk.dataset_pass_at_k(p, kk, weights=w) for kk in ks],
            [passk.pass_at_k_of_mean(p, kk, weights=w) for kk in ks],
        ]
        return {"k": np.tile(ks, 2), "curve": np.repeat(MIX_CURVES, len(ks)), "value": np.concatenate(vals)}

    alpha = np.asarray(passk.alpha_k(p, k), dtype=float)
    total = float(w @ alpha)
    return {
        "mix_curves": curves(K_VALUES),
        "mix_now": curves(np.array([k])),
        "mix_groups": {
            "group": np.asarray(names),
            "p": p,
            "weight": w,
            "alpha_k": alpha,
            "share": w * alpha / total if total > 0 else np.zeros_like(w),
        },
    }


def mixture_template() -> alt.HConcatChart:
    """Dataset pass@k and the pooled-p bound against k; bars of alpha_k per group at the current k."""
    style = series_style("curve", domain=MIX_CURVES, columns=1, labelLimit=320)
    tips = [alt.Tooltip("k:Q"), alt.Tooltip("curve:N"), alt.Tooltip("value:Q", format=".4f")]
    lines = (
        data_source("mix_curves")
        .mark_line(point=True)
        .encode(
            x=alt.X("k:Q", scale=alt.Scale(type="log", base=2), title="k (log scale)"),
            y=alt.Y("value:Q", title="pass@k of the dataset", scale=alt.Scale(domain=[0, 1])),
            **style,
            tooltip=tips,
        )
    )
    rule = data_source("mix_now").mark_rule(color=HIGHLIGHT, strokeDash=[4, 3]).encode(x="min(k):Q")
    now = (
        data_source("mix_now")
        .mark_point(size=120, filled=True, stroke="black")
        .encode(x="k:Q", y="value:Q", **style, tooltip=tips)
    )
    bars = (
        data_source("mix_groups")
        .mark_bar()
        .encode(
            x=alt.X("group:N", title="prompt group", sort=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("alpha_k:Q", title="α_k = k(1 − p)^(k−1)"),
            color=alt.Color("share:Q", title="share of ∇J_k", scale=alt.Scale(scheme=SEQUENTIAL, domain=[0, 1])),
            tooltip=[
                "group:N",
                alt.Tooltip("p:Q", format=".3f"),
                alt.Tooltip("weight:Q", format=".2f"),
                alt.Tooltip("alpha_k:Q", title="α_k", format=".4f"),
                alt.Tooltip("share:Q", format=".1%"),
            ],
        )
    )
    return (
        alt.hconcat(
            alt.layer(lines, rule, now).properties(
                title="Dataset pass@k is not pass@k of the mean p", width=WIDTH + 40, height=HEIGHT
            ),
            bars.properties(title="Weight α_k on each group's ∇J₁ at the current k", width=WIDTH - 40, height=HEIGHT),
        )
        .resolve_scale(color="independent", strokeDash="independent")
        .properties(title=chart_title("A mixture of prompt difficulties (Yu, arXiv 2511.16231)"))
    )


def mixture_description(tables: dict) -> str:
    """One sentence on the mixture chart at the current k: the gap to the bound, the group that drives grad J_k."""
    now, groups = tables["mix_now"], tables["mix_groups"]
    k, (true, bound) = int(now["k"][0]), now["value"].astype(float)
    top = int(np.argmax(groups["share"]))
    return (
        f"at k = {k} the dataset's pass@k is {number(true)}, against {number(bound)} for pass@k of the mean p "
        f"(Jensen bound); the {groups['group'][top]} group drives {groups['share'][top]:.0%} of ∇J_k"
    )


def mixture_chart(
    p_groups=(0.02, 0.2, 0.7), weights=(0.5, 0.3, 0.2), k: int = 8, names=("hard", "medium", "easy")
) -> alt.HConcatChart:
    """Complete dataset-mixture chart."""
    tables = mixture_tables(p_groups, weights, k, names)
    return with_data(mixture_template(), tables, mixture_description(tables))


# ------------------------------------------------------------ 4. group advantages
ADVANTAGES = {
    "grpo": "GRPO",
    "chen": "pass@k, Chen et al.",
    "pkpo_binary": "PKPO, no baseline",
    "pkpo": "PKPO, loo−1 baseline",
}
"""Registry key (:data:`course_lib.advantages.ESTIMATORS`) -> label on the chart. The registry's
``"pkpo"`` takes the loo−1 baseline for k >= 2 and, where loo−1 is undefined (k = 1), loo."""

ETA_KS = (1, 2, 4, 8, 16)
"""Values of k drawn on the eta curve (those <= N), plus the current k."""


def _group_rows(n: int) -> np.ndarray:
    """Binary reward groups of size n with c = 0..n correct rollouts (correct ones first), shape (n+1, n)."""
    return (np.arange(n)[None, :] < np.arange(n + 1)[:, None]).astype(float)


def _advantages(method: str, r: np.ndarray, k: int) -> np.ndarray:
    """Per-rollout coefficient A_i on grad log pi(y_i) in the mean form (1/N) sum_i A_i grad log pi(y_i).

    ``N * loss_weights(method, r, k=k)``: the registry's sum-form weights times N (for GRPO and
    Chen et al. the advantages themselves, for PKPO its weights times N).
    """
    from ..advantages import loss_weights

    return r.shape[-1] * np.asarray(loss_weights(method, r, k=k))


def advantage_tables(n: int = 8, c: int = 3, k: int = 4) -> dict:
    """Tables of the advantage explorer for a group of ``n`` rollouts with ``c`` correct.

    ``adv_bars``: per estimator (``method`` label) and ``outcome`` (correct / wrong), the
    ``advantage`` of one such rollout and how many rollouts have it (``count``);
    ``adv_eta``: eta = sum_i |A_i| of Chen et al.'s analytic pass@k advantage against
    ``c`` = 0..n for several ``k`` (k = 1 is GRPO); ``adv_now``: eta at the current (c, k).
    Every bar is n times the registry's sum-form weight
    (:func:`course_lib.advantages.loss_weights`), so that all rows multiply grad log pi(y_i)
    in (1/n) sum_i A_i grad log pi(y_i). At k = 1 PKPO's loo−1 baseline is undefined and the
    registry's PKPO uses loo (the bars then equal RLOO's).
    """
    n = as_positive_int("n", n, minimum=2)
    c = int(as_int_array("c", c))
    k = as_positive_int("k", k)
    if c > n:
        raise ValueError(f"c (correct rollouts) must be <= n = {n}, got {c}")
    if k > n:
        raise ValueError(f"k must be <= n = {n} (pass@k needs k of the n rollouts), got {k}")
    rows = _group_rows(n)
    methods, outcomes, values, counts = [], [], [], []
    for key, label in ADVANTAGES.items():
        adv = _advantages(key, rows[c], k)
        for outcome, mask in (("correct", rows[c] == 1), ("wrong", rows[c] == 0)):
            methods.append(label)
            outcomes.append(outcome)
            values.append(float(adv[mask][0]) if mask.any() else 0.0)
            counts.append(int(mask.sum()))
    ks = sorted({kk for kk in ETA_KS if kk <= n} | {k})
    eta = {kk: np.abs(_advantages("chen", rows, kk)).sum(axis=-1) for kk in ks}
    return {
        "adv_bars": {
            "method": np.asarray(methods),
            "outcome": np.asarray(outcomes),
            "advantage": np.asarray(values),
            "count": np.asarray(counts),
        },
        "adv_eta": {
            "k": np.repeat(ks, n + 1),
            "c": np.tile(np.arange(n + 1), len(ks)),
            "eta": np.concatenate([eta[kk] for kk in ks]),
        },
        "adv_now": {"k": np.array([k]), "c": np.array([c]), "eta": np.array([eta[k][c]])},
    }


def advantage_template() -> alt.HConcatChart:
    """Bars of per-rollout advantages by estimator; eta = sum |A_i| against c for several k."""
    tips = [
        alt.Tooltip("method:N"),
        alt.Tooltip("outcome:N"),
        alt.Tooltip("advantage:Q", format="+.4f"),
        alt.Tooltip("count:Q", title="rollouts with it"),
    ]
    bars = (
        data_source("adv_bars")
        .mark_bar()
        .encode(
            x=alt.X("method:N", title=None, sort=list(ADVANTAGES.values()), axis=alt.Axis(labelAngle=-20)),
            xOffset=alt.XOffset("outcome:N", sort=["correct", "wrong"]),
            y=alt.Y("advantage:Q", title="advantage Aᵢ of one rollout"),
            color=alt.Color(
                "outcome:N",
                title="rollout",
                sort=["correct", "wrong"],
                scale=alt.Scale(domain=["correct", "wrong"], range=[PALETTE[0], PALETTE[1]]),
                legend=legend_below(),
            ),
            tooltip=tips,
        )
    )
    zero = alt.Chart(alt.Data(values=[{"y": 0}])).mark_rule(color="gray").encode(y="y:Q")
    etip = [alt.Tooltip("k:O"), alt.Tooltip("c:Q", title="c correct"), alt.Tooltip("eta:Q", title="η", format=".4f")]
    lines = (
        data_source("adv_eta")
        .mark_line(point=True)
        .encode(
            x=alt.X("c:Q", title="c = correct rollouts in the group"),
            y=alt.Y("eta:Q", title="η = Σᵢ |Aᵢ| (pass@k advantage)"),
            **series_style("k", title="k", ordered=True),
            tooltip=etip,
        )
    )
    now = (
        data_source("adv_now")
        .mark_point(size=180, color=HIGHLIGHT, strokeWidth=3)
        .encode(x="c:Q", y="eta:Q", tooltip=etip)
    )
    return (
        alt.hconcat(
            alt.layer(bars, zero).properties(
                title="Advantage of a correct and a wrong rollout", width=2 * WIDTH - 40, height=HEIGHT
            ),
            alt.layer(lines, now).properties(
                title="Total update size η against c (k = 1: GRPO)", width=WIDTH + 40, height=HEIGHT
            ),
        )
        .resolve_scale(color="independent", strokeDash="independent")
        .properties(
            title=chart_title(
                "Group advantages: GRPO, pass@k (Chen et al., arXiv 2508.10751), "
                "PKPO (Walder & Karkhanis, arXiv 2505.15201)",
                "PKPO weights × N, so every bar multiplies ∇log π(yᵢ) in (1/N) Σᵢ Aᵢ ∇log π(yᵢ)",
            )
        )
    )


def advantage_description(tables: dict) -> str:
    """One sentence on the advantage chart: GRPO's and Chen et al.'s advantages, and eta, for the current group."""
    bars, now = tables["adv_bars"], tables["adv_now"]
    n, c, k = int(tables["adv_eta"]["c"].max()), int(now["c"][0]), int(now["k"][0])
    keys = zip(bars["method"].tolist(), bars["outcome"].tolist(), strict=True)
    cells = dict(zip(keys, bars["advantage"].tolist(), strict=True))

    def pair(label):
        correct, wrong = (number(cells[(label, outcome)], "+.2f") for outcome in ("correct", "wrong"))
        return f"{correct} to a correct rollout and {wrong} to a wrong one"

    return (
        f"in a group of {n} rollouts with {c} correct, GRPO gives {pair(ADVANTAGES['grpo'])}, "
        f"pass@{k} (Chen et al.) gives {pair(ADVANTAGES['chen'])}, "
        f"and its total update size η is {number(now['eta'][0])}"
    )


def advantage_chart(n: int = 8, c: int = 3, k: int = 4) -> alt.HConcatChart:
    """Complete advantage-explorer chart for a group of n rollouts, c correct, pass@k with k."""
    tables = advantage_tables(n, c, k)
    return with_data(advantage_template(), tables, advantage_description(tables))
