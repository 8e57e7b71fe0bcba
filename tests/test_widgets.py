"""Tests for course_lib.rendering and course_lib.widgets (kernel side; the browser test draws them)."""

import altair as alt
import pytest

from course_lib import rendering


@pytest.mark.parametrize(
    "env, expected",
    [("jupyterlab", "jupyter"), ("binder", "jupyter"), ("vscode", "jupyter"),
     ("notebook", "jupyter"), ("ipython", "jupyter"), ("colab", "colab"),
     ("kaggle", "kaggle"), ("python", "default")],
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
