"""Tests for course_lib.viz.explorers: the numbers each chart draws, and that every chart is a valid, saveable spec.

Exact references: fractions for the Jensen example and an example group of Chen et al.'s advantage (arXiv 2508.10751;
N = 8, five wrong, k = 4: values checked against the authors' published code),
the closed forms in course_lib.passk for everything else.
"""

import re
from fractions import Fraction
from math import comb

import numpy as np
import pytest

from course_lib import advantages, passk
from course_lib.viz import charts, explorers

CHARTS = {
    "alpha": (explorers.alpha_template, explorers.alpha_tables, explorers.alpha_chart),
    "estimator": (explorers.estimator_template, explorers.estimator_tables, explorers.estimator_chart),
    "zero_signal": (explorers.zero_signal_template, explorers.zero_signal_tables, explorers.zero_signal_chart),
    "advantage": (explorers.advantage_template, explorers.advantage_tables, explorers.advantage_chart),
    "mixture": (explorers.mixture_template, explorers.mixture_tables, explorers.mixture_chart),
}


# ------------------------------------------------------------------------- plumbing
def test_records_turns_columns_into_rows():
    rows = charts.records({"a": np.array([1, 2]), "b": np.array([0.5, 0.25])})
    assert rows == [{"a": 1, "b": 0.5}, {"a": 2, "b": 0.25}]
    assert all(type(r["a"]) is int for r in rows)  # plain Python values, JSON-ready


def test_records_rejects_ragged_columns():
    with pytest.raises(ValueError, match="equal lengths"):
        charts.records({"a": [1, 2], "b": [1]})


def test_datasets_replace_infinity_by_null():
    out = charts.datasets({"t": {"steps": np.array([1.0, np.inf])}})
    assert out == {"t": [{"steps": 1.0}, {"steps": None}]}


@pytest.mark.parametrize("name", CHARTS)
def test_template_names_exactly_the_datasets_its_tables_fill(name):
    template, tables, _ = CHARTS[name]
    spec = template().to_dict()
    used = {m for m in _named_sources(spec)}
    assert used == set(tables()), (used, set(tables()))


@pytest.mark.parametrize("name", CHARTS)
def test_chart_is_valid_vega_lite_with_title_tooltips_and_saves_offline(name, tmp_path):
    template, tables, full = CHARTS[name]
    chart = full()
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    assert spec["title"]["text"]
    assert '"tooltip"' in str(spec).replace("'", '"')
    assert spec["datasets"] == charts.spec_with_data(template().to_dict(), tables())["datasets"]
    chart.save(tmp_path / "c.svg")
    assert (tmp_path / "c.svg").read_text().lstrip().startswith("<svg")


def _named_sources(spec):
    if isinstance(spec, dict):
        data = spec.get("data")
        if isinstance(data, dict) and "name" in data:
            yield data["name"]
        for value in spec.values():
            yield from _named_sources(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _named_sources(value)


# --------------------------------------------------------------------- 1. alpha
def test_gap_peak_marker_sits_at_gap_argmax():
    peaks = explorers.alpha_tables(ks=(1, 2, 4, 8, 16), p=0.2)["alpha_peaks"]
    assert peaks["k"].tolist() == [2, 4, 8, 16]  # k = 1 has no gap
    np.testing.assert_allclose(peaks["p_star"], passk.gap_argmax(peaks["k"]), rtol=0, atol=0)
    np.testing.assert_allclose(peaks["delta_star"], passk.delta_k(peaks["p_star"], peaks["k"]))
    # and it is the maximum of the drawn gap curve, up to the grid spacing
    curves = explorers.alpha_tables(ks=(4,))["alpha_curves"]
    best = curves["p"][np.argmax(curves["delta_k"])]
    assert abs(best - passk.gap_argmax(4)) <= 0.5 * (explorers.P_GRID[1] - explorers.P_GRID[0])


def test_alpha_readout_and_curves_come_from_passk():
    t = explorers.alpha_tables(ks=(3, 1, 3, 5), p=0.35)
    now = t["alpha_now"]
    assert now["k"].tolist() == [1, 3, 5]  # sorted, unique
    np.testing.assert_allclose(now["alpha_k"], [k * 0.65 ** (k - 1) for k in (1, 3, 5)], rtol=1e-14)
    np.testing.assert_allclose(now["J_k"], passk.pass_at_k_from_p(0.35, now["k"]))
    c = t["alpha_curves"]
    assert len(c["p"]) == 3 * explorers.P_GRID.size
    np.testing.assert_allclose(c["delta_k"], c["J_k"] - c["p"], atol=1e-15)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"ks": []}, "ks"), ({"ks": [0]}, "ks"), ({"p": 1.5}, "p"), ({"p": [0.1, 0.2]}, "single probability")],
)
def test_alpha_tables_reject_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        explorers.alpha_tables(**kwargs)


# ----------------------------------------------------------------- 2. estimator
def test_estimator_stats_match_exact_mean_and_variance():
    n, p, k = 10, 0.3, 5
    t = explorers.estimator_tables(n, p, k)
    s = t["est_stats"]
    assert abs(s["bias"][0]) < 1e-12  # unbiased, exactly
    assert s["sd"][0] ** 2 == pytest.approx(passk.pass_at_k_variance(p, n, k), rel=1e-12)
    # plug-in is biased low (reference: E = 0.75974 vs 0.83193, computed by exact enumeration)
    assert s["mean"][1] == pytest.approx(0.75974, abs=5e-6) and s["truth"][0] == pytest.approx(0.83193, abs=5e-6)
    d = t["est_dist"]
    for label in explorers.ESTIMATORS.values():
        on = d["estimator"] == label
        assert on.sum() == n + 1 and d["prob"][on].sum() == pytest.approx(1.0, abs=1e-12)


def test_estimator_tables_refuse_k_above_n():
    with pytest.raises(ValueError):
        explorers.estimator_tables(n=3, p=0.5, k=4)


# --------------------------------------------------------------- 3. zero signal
def test_zero_signal_heatmap_values_and_cells():
    t = explorers.zero_signal_tables(p=0.02, n=16)
    h = t["zero_heat"]
    np.testing.assert_array_equal(h["prob"], passk.zero_signal_prob(h["p"], h["n"]))
    assert np.all(h["p_lo"] < h["p"]) and np.all(h["p"] < h["p_hi"])
    assert np.all(h["n_lo"] < h["n"]) and np.all(h["n"] < h["n_hi"])
    assert len(h["p"]) == (explorers.P_LOG_EDGES.size - 1) * explorers.N_VALUES.size
    now = t["zero_now"]
    assert now["prob"][0] == pytest.approx(0.98**16, rel=1e-14)
    assert now["steps"][0] == pytest.approx(1 / (1 - 0.98**16), rel=1e-14)
    assert set(t["zero_curve"]["n"].tolist()) == {16}


def test_zero_signal_rejects_p_zero():
    with pytest.raises(ValueError, match="p must be > 0"):
        explorers.zero_signal_tables(p=0.0, n=4)


# ---------------------------------------------------------------- 4. advantages
def test_advantage_bars_match_chen_et_al_example_group():
    t = explorers.advantage_tables(n=8, c=3, k=4)
    b = t["adv_bars"]
    pick = b["method"] == explorers.ADVANTAGES["chen"]
    a_pos, a_neg = b["advantage"][pick]
    r_bar = 1 - Fraction(comb(5, 4), comb(8, 4))  # N_neg = 5 wrong of N = 8
    assert r_bar == Fraction(13, 14)
    sigma = float(r_bar * (1 - r_bar)) ** 0.5
    eps = 1e-6  # the estimator's default, as in the authors' code
    assert a_pos == pytest.approx(float(1 - r_bar) / (sigma + eps), rel=1e-12)
    assert a_neg == pytest.approx(float(1 - r_bar - Fraction(comb(4, 3), comb(7, 3))) / (sigma + eps), rel=1e-12)
    assert b["count"][pick].tolist() == [3, 5]
    # eta at the current point = sum over the group of |A_i|
    assert t["adv_now"]["eta"][0] == pytest.approx(3 * abs(a_pos) + 5 * abs(a_neg), rel=1e-12)


def test_eta_curve_k1_is_grpo_and_pkpo_is_rescaled():
    t = explorers.advantage_tables(n=6, c=2, k=3)
    e = t["adv_eta"]
    rows = (np.arange(6)[None, :] < np.arange(7)[:, None]).astype(float)
    np.testing.assert_allclose(e["eta"][e["k"] == 1], np.abs(advantages.grpo(rows)).sum(axis=1), rtol=1e-12)
    assert e["eta"][(e["k"] == 3) & (e["c"] == 0)][0] == 0  # all wrong: no signal
    b = t["adv_bars"]
    pk = b["advantage"][b["method"] == explorers.ADVANTAGES["pkpo_binary"]]
    np.testing.assert_allclose(pk, 6 * advantages.pkpo_binary([1, 1, 0, 0, 0, 0], 3)[[0, -1]], rtol=1e-12)
    loo1 = b["advantage"][b["method"] == explorers.ADVANTAGES["pkpo"]]
    np.testing.assert_allclose(loo1, 6 * advantages.pkpo([1, 1, 0, 0, 0, 0], 3, baseline="loo-1")[[0, -1]], rtol=1e-12)


def test_advantage_bars_are_the_registry_keys_at_every_k():
    """Every bar is n times the registry's weight; at k = 1 PKPO's baseline is loo, so its bars are RLOO's."""
    assert set(explorers.ADVANTAGES) <= set(advantages.ESTIMATORS)
    n, c = 6, 2
    row = np.array([1.0] * c + [0.0] * (n - c))
    for k in range(1, n + 1):
        b = explorers.advantage_tables(n=n, c=c, k=k)["adv_bars"]
        for key, label in explorers.ADVANTAGES.items():
            bars = b["advantage"][b["method"] == label]
            np.testing.assert_allclose(bars, n * advantages.loss_weights(key, row, k=k)[[0, -1]], rtol=1e-15)
    b = explorers.advantage_tables(n=n, c=c, k=1)["adv_bars"]
    np.testing.assert_allclose(
        b["advantage"][b["method"] == explorers.ADVANTAGES["pkpo"]], advantages.rloo(row)[[0, -1]]
    )


@pytest.mark.parametrize("kwargs, match", [({"c": 9}, "c"), ({"k": 9}, "k must be <= n"), ({"n": 1}, "n")])
def test_advantage_tables_reject_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        explorers.advantage_tables(**{"n": 8, "c": 3, "k": 4, **kwargs})


# ------------------------------------------------------------------- 5. mixture
def test_mixture_matches_the_jensen_example_exactly():
    t = explorers.mixture_tables([0.0, 0.5], [1, 1], k=4, names=["a", "b"])
    true, bound = t["mix_now"]["value"]
    assert true == pytest.approx(float(Fraction(1, 2) * (1 - Fraction(1, 2) ** 4)), abs=1e-15)  # 15/32
    assert bound == pytest.approx(float(1 - Fraction(3, 4) ** 4), rel=1e-15)  # 175/256
    curves = t["mix_curves"]
    lower, upper = (curves["value"][curves["curve"] == name] for name in explorers.MIX_CURVES)
    assert np.all(lower <= upper + 1e-15) and lower[0] == pytest.approx(upper[0])  # equal at k = 1


def test_mixture_shares_follow_alpha_and_sum_to_one():
    g = explorers.mixture_tables([0.02, 0.2, 0.7], [5, 3, 2], k=16)["mix_groups"]
    np.testing.assert_allclose(g["weight"], [0.5, 0.3, 0.2])
    np.testing.assert_allclose(g["alpha_k"], passk.alpha_k(np.array([0.02, 0.2, 0.7]), 16))
    assert g["share"].sum() == pytest.approx(1.0)
    assert np.argmax(g["share"]) == 0  # at large k the hard prompts drive the gradient


@pytest.mark.parametrize("weights", [[0, 0, 0], [1, -1, 1], [1, 1]])
def test_mixture_rejects_bad_weights(weights):
    with pytest.raises(ValueError, match="weights"):
        explorers.mixture_tables([0.1, 0.2, 0.3], weights, k=2)


# ------------------------------------------------------------- every chart fits the notebook
def _drawn_size(chart) -> tuple[float, float]:
    """Width and height in px of ``chart`` as Vega draws it (vl-convert's SVG, no browser)."""
    import vl_convert

    svg = vl_convert.vegalite_to_svg(chart.to_dict())
    match = re.search(r'<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"', svg)
    return float(match[1]), float(match[2])


def _course_charts() -> dict:
    """Every chart the chapter notebooks draw, with their widest data (most runs, longest labels)."""
    from course_lib import bandit as B
    from course_lib.bandit import charts as BC
    from course_lib.lab import charts as LC

    bandit = B.make_bandit()
    run = B.train(bandit, objective="pass@1", steps=20)
    labels = ["pass@1", "pass@k (k=4)", "pass@k + entropy (τ=0.05)", "Chen pass@4, then pass@1", "risk-seeking β=2"]
    runs = dict.fromkeys(labels, run)
    explorer = {"pass@1 exact (reference)": run, "chen_then_pass1 (k=8, lr=5, τ=0.12)": run}
    row = {"step": 0, **{key.format(k=4): 0.5 for key, _ in LC.DEFAULT_METRICS}}
    objectives = ("grpo", "rloo", "chen", "pkpo", "grpo_alpha", "chen_then_pass1")
    lab = {(o, 0): [row, {**row, "step": 10}] for o in objectives}
    return {
        "alpha": explorers.alpha_chart(ks=(1, 2, 3, 4, 6, 8, 12, 16, 32, 64)),
        "estimator": explorers.estimator_chart(n=100, p=0.5, k=50),
        "zero_signal": explorers.zero_signal_chart(),
        "advantage": explorers.advantage_chart(n=32, c=5, k=16),
        "mixture": explorers.mixture_chart(),
        "collapse": BC.collapse_chart(runs),
        "collapse explorer": BC.collapse_chart(explorer, columns=3),
        "collapse, 4 panels": BC.collapse_chart(runs, metrics=("delta", "J1", "coverage", "modes")),
        "mass": BC.mass_chart(bandit, runs, prompts=(0, 7)),
        "signal": BC.signal_chart(run, 7),
        "weight": BC.weight_chart(),
        "path": BC.path_chart(runs, 0),
        "lab": LC.lab_chart(lab),
        "trade-off": LC.tradeoff_chart(
            {f"{o}_{i}": {"step": [0, 10], "x": [0.2, 0.9], "y": [0.8, 0.3]} for i, o in enumerate(objectives * 3)}
            | {"grpo": {"step": [0, 10], "x": [0.2, 0.9], "y": [0.8, 0.2]}},
            {"base model": (0.2, 0.8), "uniform guesser": (0.04, 0.46)},
        ),
        "curve": _curve_chart(),
        "notebook lines": charts.line_chart(
            [
                {"k": k, "model": m, "pass@k": 1 - (1 - p) ** k}
                for m, p in (("sharp", 0.5), ("broad", 0.1))
                for k in (1, 8)
            ],
            "k",
            "pass@k",
            "model",
            title="pass@k curves",
            log_x=2,
        ),
        "notebook line": charts.line_chart([{"n": n, "bias": 1 / n} for n in (1, 10)], "n", "bias", title="bias"),
    }


def _curve_chart():
    """Chapter 7's chart (``passk curve --out``) of two files and their paired difference."""
    from course_lib.evaluation.charts import curve_chart
    from course_lib.evaluation.curve import compare, pass_at_k_curve

    cur = pass_at_k_curve([8, 8, 8], [1, 4, 8], [1, 2, 4], resamples=50)
    pair = compare([8, 8, 8], [1, 4, 8], [8, 8, 8], [2, 2, 8], [1, 2, 4], resamples=50)
    return curve_chart({"A: base": cur, "B: RL": cur}, {"B − A": pair})


def test_every_chart_fits_the_notebook_width():
    """No chart is wider than :data:`charts.MAX_WIDTH` (else JupyterLab at 1280 px cuts it; see test_browser.py)."""
    sizes = {name: _drawn_size(chart) for name, chart in _course_charts().items()}
    too_wide = {name: w for name, (w, _) in sizes.items() if w > charts.MAX_WIDTH}
    assert not too_wide, (too_wide, charts.MAX_WIDTH)
    assert all(h >= 150 for _, h in sizes.values()), sizes


# ------------------------------------------------------------- accessible charts (issue 16, item 3)
def _units(spec: dict, inherited: dict | None = None):
    """Every single-view spec in ``spec`` (layers, concatenations, facets) with the encoding it inherits."""
    enc = {**(inherited or {}), **spec.get("encoding", {})}
    children = [c for key in ("layer", "hconcat", "vconcat", "concat") for c in spec.get(key, [])]
    children += [spec["spec"]] if "spec" in spec else []
    if "mark" in spec:
        yield spec, enc
    for child in children:
        yield from _units(child, enc)


def _colours(node):
    """Every colour written in a spec: of marks (``color``, ``fill``, ``stroke``) and of colour scales."""
    if isinstance(node, list):
        for item in node:
            yield from _colours(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ("color", "fill", "stroke") and isinstance(value, str):
                yield value
            elif key in ("color", "fill", "stroke") and isinstance(value, dict) and "field" in value:
                scale = value.get("scale", {})
                yield from scale.get("range", [])
                yield from [scale["scheme"]] if "scheme" in scale else []
            elif key != "resolve":  # ("independent" is not a colour)
                yield from _colours(value)


@pytest.fixture(scope="module")
def course_charts():
    return {name: chart.to_dict() for name, chart in _course_charts().items()}


def test_every_chart_uses_only_the_colour_blind_safe_palette(course_charts):
    allowed = {c.lower() for c in (*charts.PALETTE, *charts.NEUTRALS)}
    for name, spec in course_charts.items():
        used = list(_colours(spec))
        assert {c.lower() for c in used if isinstance(c, str)} <= allowed, (name, used)
        assert all(c == charts.SEQUENTIAL for c in used if not isinstance(c, str)), (name, used)  # schemes
        for _, enc in _units(spec):  # no colour left to Vega's default scheme (tableau10)
            scale = enc.get("color", {}).get("scale", {})
            assert "field" not in enc.get("color", {}) or "range" in scale or "scheme" in scale, (name, enc["color"])


def test_every_line_chart_with_several_series_tells_them_apart_without_colour(course_charts):
    """Each line coloured by a field also varies its dash (or marker shape) with that field: readable in greyscale."""
    checked = 0
    for name, spec in course_charts.items():
        for unit, enc in _units(spec):
            mark = unit["mark"]["type"] if isinstance(unit["mark"], dict) else unit["mark"]
            if mark == "line" and "field" in enc.get("color", {}):
                field = enc["color"]["field"]
                assert field in (enc.get("strokeDash", {}).get("field"), enc.get("shape", {}).get("field")), name
                checked += 1
    assert checked >= 8


def test_every_chart_has_a_title_and_a_description_from_its_data(course_charts):
    for name, spec in course_charts.items():
        assert charts.title_text(spec), name
        assert spec.get("description"), name
        assert re.search(r"\d", spec["description"]), (name, spec["description"])  # numbers from the data


def test_descriptions_follow_the_data():
    """The same chart with other data says other numbers (the text is computed, not fixed)."""
    pairs = [
        (explorers.alpha_chart(p=0.2), explorers.alpha_chart(p=0.5)),
        (explorers.estimator_chart(p=0.3), explorers.estimator_chart(p=0.6)),
        (explorers.zero_signal_chart(n=8), explorers.zero_signal_chart(n=64)),
        (explorers.advantage_chart(c=3), explorers.advantage_chart(c=5)),
        (explorers.mixture_chart(k=8), explorers.mixture_chart(k=64)),
    ]
    for a, b in pairs:
        assert a.description != b.description, a.description
    assert "At p = 0.50" in explorers.alpha_chart(ks=(4,), p=0.5).description
    assert explorers.zero_signal_chart(p=0.01, n=8).description.endswith(
        "all n samples fail with probability 0.92, so the first non-zero gradient comes after 12.9 RL steps on average."
    )


def test_trend_sentences():
    assert charts.trend("Δ(4)", 0.41, 0.02) == "Δ(4) falls from 0.41 to 0.02"
    assert charts.trend("J_1", 0.2, 0.9) == "J_1 rises from 0.20 to 0.90"
    assert charts.trend("J_1", 0.2, 0.201) == "J_1 stays at 0.20"
    assert charts.number(-1e-9) == "0.00" and charts.number(-0.5) == "−0.50" and charts.number(float("inf")) == "∞"
    table = {"run": ["GRPO", "GRPO", "pass@k", "pass@k"], "step": [0, 9, 0, 9], "v": [0.41, 0.02, 0.41, 0.45]}
    assert (
        charts.trends(table, "Δ(4)", "run", "step", "v")
        == "Δ(4) falls from 0.41 to 0.02 under GRPO and rises from 0.41 to 0.45 under pass@k"
    )
    assert charts.listing(list("abcdef"), limit=3) == "a, b, c and 3 more"


def test_line_chart_of_the_notebooks_says_what_it_shows():
    rows = [
        {"k": k, "model": m, "pass@k": 1 - (1 - p) ** k} for m, p in (("sharp", 0.5), ("broad", 0.1)) for k in (1, 8)
    ]
    chart = charts.line_chart(rows, "k", "pass@k", "model", title="pass@k curves", log_x=2)
    assert chart.description == (
        "pass@k curves. Pass@k rises from 0.500 to 0.996 under sharp and rises from 0.100 to 0.570 under broad "
        "as k goes from 1 to 8."
    )
    sd = charts.line_chart([{"n": n, "sd": 1 / n, "p": "0.1"} for n in (1, 4)], "n", "sd", "p", title="noise")
    assert "under p = 0.1" in sd.description
