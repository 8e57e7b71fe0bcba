"""The one place that picks and enables the Altair chart renderer for each environment.

Every chart notebook calls :func:`setup_notebook` in its second code cell; ``passk doctor``
reports :func:`choose_renderer`. Environment detection lives in
:func:`course_lib.env.detect_environment`; this module only maps an environment to a
renderer and to the way the interactive explorers (:mod:`course_lib.viz.widgets`) draw.

Choice per environment (measured, see notebooks/03_explorers.ipynb and tests/test_browser.py)
-------------------------------------------------------------------------------------------
``jupyterlab``, ``notebook`` (Notebook 7 is JupyterLab-based), ``binder``, ``vscode``
    ``alt.renderers.enable("jupyter", offline=True)``. Charts are anywidget widgets whose
    JavaScript (Vega, Vega-Lite, vega-embed) is bundled by vl-convert-python, so they draw
    with no internet (a workshop with bad wifi). With JupyterLab 4.6 + Altair 6 and no
    internet this is the only renderer that draws: ``"html"`` fetches Vega from a CDN and
    ``"mimetype"`` shows the text "<VegaLite 6 object>". Explorers use a persistent chart
    widget (:class:`course_lib.viz.widgets.VegaPane`, its Vega bundled offline the same way)
    whose data is replaced in place: no re-display, no flicker (checked in a real browser
    by tests/test_browser.py).
``colab``
    ``"colab"`` (Altair's HTML renderer; Vega comes from a CDN, Colab has internet).
    Colab ships ipywidgets 7.7.1 and a classic front end that only knows the built-in
    widgets unless a third-party "custom widget manager" is switched on (anywidget switches
    it on by itself when an anywidget is created, and it has known bugs with built-in
    widgets); the HTML renderer needs none of that. So no anywidget is created on Colab:
    explorers redraw into a built-in ``ipywidgets.Output``, replacing its outputs in one
    assignment (no blank frame between clear and draw).
``kaggle``
    ``"kaggle"`` (HTML renderer, CDN); explorers as on Colab.
``notebook`` also covers a kernel with no known front end (headless nbclient in CI), and
``ipython`` is a terminal IPython
    ``"jupyter"`` offline, as in JupyterLab: the output carries a widget view plus a
    text fallback, so nothing errors when no browser is attached.
``python`` (plain interpreter)
    ``"default"``: nothing is displayed anyway; save charts with ``chart.save("x.png")``.

If anywidget or vl-convert-python is missing, :func:`setup_notebook` falls back to
``"default"`` (needs internet) and warns, rather than failing.
"""

from __future__ import annotations

import warnings

RENDERER_BY_ENV = {
    "jupyterlab": "jupyter",
    "notebook": "jupyter",
    "binder": "jupyter",
    "vscode": "jupyter",
    "ipython": "jupyter",
    "colab": "colab",
    "kaggle": "kaggle",
    "python": "default",
}
"""Altair renderer name for each value of :func:`course_lib.env.detect_environment`."""

WIDGET_RENDERERS = frozenset({"jupyter"})
"""Renderers under which explorers keep one chart widget and replace its data in place."""


def _environment(env: str | None) -> str:
    """``env`` if given, else the detected environment."""
    if env is not None:
        return env
    from course_lib.env import detect_environment

    return detect_environment()


def choose_renderer(env: str | None = None) -> str:
    """Name of the Altair renderer to use in environment ``env``.

    Parameters
    ----------
    env : str, optional
        One of the names returned by :func:`course_lib.env.detect_environment`
        (detected when omitted). Unknown names get the offline ``"jupyter"`` renderer.

    Returns
    -------
    str
        A name accepted by ``alt.renderers.enable``.

    Raises
    ------
    ValueError
        If ``env`` is given but is not a string.

    Examples
    --------
    >>> choose_renderer("jupyterlab"), choose_renderer("colab")
    ('jupyter', 'colab')
    """
    if env is not None and not isinstance(env, str):
        raise ValueError(f"env must be a string such as 'jupyterlab' or 'colab', got {env!r}")
    return RENDERER_BY_ENV.get(_environment(env), "jupyter")


def uses_chart_widget(env: str | None = None) -> bool:
    """True where explorers draw into one persistent chart widget (see module docstring)."""
    return choose_renderer(env) in WIDGET_RENDERERS


def renderer_rows() -> list[list[str]]:
    """One row per environment: its name, the renderer :func:`choose_renderer` picks, and how explorers draw.

    Used by the appendix of ``notebooks/03_explorers.ipynb`` (``show_table`` with the headers
    environment, renderer, explorer chart), so that the table is computed from this module.

    Examples
    --------
    >>> renderer_rows()[0]
    ['jupyterlab', '`jupyter`', 'one live chart widget']
    """
    return [
        [env, f"`{name}`", "one live chart widget" if name in WIDGET_RENDERERS else "Output widget"]
        for env, name in RENDERER_BY_ENV.items()
    ]


def explorers_use_widget() -> bool:
    """True if the *active* Altair renderer is a widget renderer (what :func:`setup_notebook` enabled)."""
    import altair as alt

    return alt.renderers.active in WIDGET_RENDERERS


def setup_notebook(env: str | None = None) -> str:
    """Enable the chart renderer for this environment; call once at the top of a notebook.

    Parameters
    ----------
    env : str, optional
        Environment name; detected when omitted.

    Returns
    -------
    str
        The renderer that was enabled (``"jupyter"`` means offline widget charts).
    """
    import altair as alt

    name = choose_renderer(env)
    if name == "jupyter":
        try:
            import anywidget  # noqa: F401
            import vl_convert  # noqa: F401
        except ImportError as exc:
            warnings.warn(
                f"offline charts need anywidget and vl-convert-python ({exc}); "
                "falling back to the 'default' renderer, which loads Vega from the internet",
                stacklevel=2,
            )
            name = "default"
    if name == "jupyter":
        alt.renderers.enable("jupyter", offline=True)
    else:
        alt.renderers.enable(name)
    return name
