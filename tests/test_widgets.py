"""Tests for course_lib.viz.rendering and course_lib.viz.widgets (kernel side; the browser test draws them)."""

import altair as alt
import pytest

from course_lib.viz import rendering


@pytest.mark.parametrize(
    "env, expected",
    [
        ("jupyterlab", "jupyter"),
        ("binder", "jupyter"),
        ("vscode", "jupyter"),
        ("notebook", "jupyter"),
        ("ipython", "jupyter"),
        ("colab", "colab"),
        ("kaggle", "kaggle"),
        ("python", "default"),
    ],
)
def test_choose_renderer_per_environment(env, expected):
    assert rendering.choose_renderer(env) == expected


def test_choose_renderer_rejects_non_string():
    with pytest.raises(ValueError, match="env must be a string"):
        rendering.choose_renderer(3)


@pytest.mark.parametrize("env", ["jupyterlab", "colab", "python"])
def test_setup_notebook_enables_the_chosen_renderer(env):
    before = alt.renderers.active
    try:
        name = rendering.setup_notebook(env)
        assert name == rendering.choose_renderer(env)
        assert alt.renderers.active == name
    finally:
        alt.renderers.enable(before)


# ------------------------------------------------------------------------- widgets
import asyncio  # noqa: E402

import ipywidgets  # noqa: E402

from course_lib.viz import charts, explorers, widgets  # noqa: E402

EXPLORERS = {
    "alpha": (widgets.alpha_explorer, "p", 0.55, explorers.alpha_tables),
    "estimator": (widgets.estimator_explorer, "p", 0.55, explorers.estimator_tables),
    "zero_signal": (widgets.zero_signal_explorer, "n", 64, explorers.zero_signal_tables),
    "advantage": (widgets.advantage_explorer, "c", 5, explorers.advantage_tables),
}


@pytest.mark.parametrize("name", EXPLORERS)
def test_moving_a_control_sends_the_new_tables_to_the_chart(name):
    make, control, value, tables = EXPLORERS[name]
    ex = make(use_widget=True, throttle_s=0)
    assert isinstance(ex, ipywidgets.VBox) and isinstance(ex.pane.widget, widgets.VegaPane)
    before = ex.pane.widget.data
    ex.controls[control].value = value
    assert ex.pane.widget.data == charts.datasets(tables(**ex.values()))
    assert ex.pane.widget.data != before
    assert ex.pane.widget.spec == ex.pane.spec  # the template is never re-sent


@pytest.mark.parametrize("name", EXPLORERS)
def test_the_text_alternative_follows_the_data(name):
    """The chart's description (its aria-label in the browser) is re-computed from the new data."""
    make, control, value, _ = EXPLORERS[name]
    ex = make(use_widget=True, throttle_s=0)
    before = ex.pane.widget.description
    assert before.startswith(charts.title_text(ex.pane.spec) + ".")
    ex.controls[control].value = value
    assert ex.pane.widget.description != before
    assert ex.pane.widget.description == ex.chart().to_dict()["description"]


def test_the_colab_path_draws_the_text_alternative():
    ex = widgets.zero_signal_explorer(use_widget=False, throttle_s=0)
    ex.controls["n"].value = 64
    shown = str(ex.pane.widget.outputs[0]["data"])
    assert "n = 64" in shown and "all n samples fail" in shown


def test_pane_sends_only_the_datasets_that_changed():
    ex = widgets.alpha_explorer(use_widget=True, throttle_s=0)
    pane = ex.pane.widget
    ex.controls["p"].value = 0.3
    assert set(pane.datasets) == {"alpha_now"}  # curves and peaks do not depend on p
    assert set(pane.base) == {"alpha_curves", "alpha_peaks"}
    sent = []
    pane.observe(lambda ch: sent.append(ch["name"]), names=["base", "datasets"])
    ex.controls["p"].value = 0.4
    assert sent == ["datasets"]  # the 1000-row curves are not sent again
    ex.controls["ks"].value = (2, 3)
    assert set(pane.datasets) == {"alpha_curves", "alpha_now", "alpha_peaks"} and pane.base == {}
    assert pane.data == charts.datasets(explorers.alpha_tables((2, 3), 0.4))


def test_pane_refits_its_size_at_every_data_update():
    """Vega sizes a chart once unless autosize.resize: a chart first drawn empty stayed a sliver."""
    pane = widgets.VegaPane(spec={"mark": "point"})
    assert pane.spec["autosize"] == widgets.AUTOSIZE == {"type": "pad", "resize": True}
    pane.spec = {"mark": "line", "autosize": "none"}  # a spec's own autosize is kept
    assert pane.spec["autosize"] == "none"
    ex = widgets.alpha_explorer(use_widget=True)
    assert ex.pane.widget.spec == ex.pane.spec and ex.pane.spec["autosize"] == widgets.AUTOSIZE


def test_lab_live_chart_grows_with_its_data_and_fits_the_notebook():
    from course_lib.lab import charts as LC

    before = alt.renderers.active
    try:
        rendering.setup_notebook("jupyterlab")  # the live chart is then one VegaPane, filled in place
        live = LC.LiveChart(k=4, interval=0.0)
    finally:
        alt.renderers.enable(before)
    assert live.pane.widget.spec["autosize"] == widgets.AUTOSIZE  # drawn empty first: it must grow
    history = [{"step": s, "seen/pass@1": 0.1 * s} for s in range(3)]
    live.update({("grpo", 0): history})
    assert {row["run"] for row in live.pane.widget.data["lab"]} == {"grpo"}
    color = next(
        layer["encoding"]["color"] for layer in live.pane.spec["spec"]["layer"] if "color" in layer["encoding"]
    )
    assert color["legend"]["orient"] == "bottom"  # under the panels: to their right it made the chart too wide


def test_mixture_explorer_tracks_its_sliders():
    ex = widgets.mixture_explorer(use_widget=True, throttle_s=0)
    ex.controls["k"].value = 64
    ex.controls["p_easy"].value = 0.9
    expected = explorers.mixture_tables([0.02, 0.2, 0.9], [0.5, 0.3, 0.2], 64, ("hard", "medium", "easy"))
    assert ex.pane.widget.data == charts.datasets(expected)
    assert "k = 64" in ex.readout.value


def test_bad_input_is_reported_in_the_readout_and_the_chart_is_kept():
    ex = widgets.mixture_explorer(use_widget=True, throttle_s=0)
    ex.controls["w_hard"].value = ex.controls["w_medium"].value = 0.0
    before = ex.pane.widget.data
    ex.controls["w_easy"].value = 0.0
    assert "weights must be non-negative, not all zero" in ex.readout.value
    assert ex.pane.widget.data == before


def test_estimator_k_never_exceeds_n():
    ex = widgets.estimator_explorer(n=10, k=8, use_widget=True, throttle_s=0)
    ex.controls["n"].value = 4
    assert ex.controls["k"].max == 4 and ex.controls["k"].value == 4
    assert "true pass@k" in ex.readout.value and "k = 4" in ex.readout.value


def test_readout_numbers_come_from_the_tables():
    ex = widgets.zero_signal_explorer(p=0.01, n=8, use_widget=False)
    assert f"{0.99**8:.4f}" in ex.readout.value
    ex = widgets.estimator_explorer(n=10, p=0.3, k=5, use_widget=False)
    assert "-0.0000" not in ex.readout.value and "+0.0000" in ex.readout.value  # exactly unbiased


def test_output_backend_redraws_with_the_active_html_renderer():
    before = alt.renderers.active
    try:
        alt.renderers.enable("colab")
        assert not rendering.explorers_use_widget()
        ex = widgets.alpha_explorer(throttle_s=0)
        assert isinstance(ex.pane.widget, ipywidgets.Output)
        ex.controls["p"].value = 0.73
        (out,) = ex.pane.widget.outputs
        assert out["output_type"] == "display_data" and "vega" in out["data"]["text/html"]
        assert '"p": 0.73' in out["data"]["text/html"]
    finally:
        alt.renderers.enable(before)


def test_explorer_chart_is_the_current_state_and_saves(tmp_path):
    ex = widgets.alpha_explorer(p=0.4, ks=(2, 8), use_widget=True)
    chart = ex.chart()
    assert chart.to_dict()["datasets"] == charts.datasets(explorers.alpha_tables((2, 8), 0.4))
    chart.save(tmp_path / "a.svg")
    assert (tmp_path / "a.svg").stat().st_size > 1000


def test_pane_bundle_is_offline_and_exports_render():
    js = widgets._pane_bundle()
    assert "passk-vega-pane" in js and "export" in js
    assert "https://" not in js.split("passk-vega-pane")[0][-200:]  # no CDN import left before our code
    assert "esm.sh" not in js


def test_throttle_runs_each_call_without_an_event_loop():
    calls = []
    t = widgets.Throttle(lambda: calls.append(1), interval=10.0)
    for _ in range(3):
        t()
    assert len(calls) == 3


def test_throttle_coalesces_a_burst_and_always_runs_the_last_call():
    seen, state = [], {"v": 0}
    t = widgets.Throttle(lambda: seen.append(state["v"]), interval=0.05)

    async def burst():
        for v in range(1, 21):  # 20 changes before the event loop gets a turn (a slider drag)
            state["v"] = v
            t()
        await asyncio.sleep(0.2)  # the deferred call fires once, with the newest value

    asyncio.run(burst())
    assert seen == [1, 20]  # leading edge, then one trailing call: no lost final position
