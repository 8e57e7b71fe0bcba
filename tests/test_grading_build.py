"""``passk build-exercises``: markers, stubs, hidden tests, and never overwriting a learner's work."""

from __future__ import annotations

import nbformat
import pytest

from course_lib.cli import main
from course_lib.grading.build import (
    build_exercises,
    exercise_id,
    fingerprint,
    hidden_source,
    is_pristine,
    make_exercise,
    strip_source,
)


def test_solution_in_a_function_body_becomes_a_stub_that_still_runs():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
    out = strip_source(source)
    assert out == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    namespace = {}
    exec(out, namespace)
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


def test_stub_lines_keep_their_indentation():
    source = (
        "def f(r):\n    ### BEGIN SOLUTION\n    # STUB: if r:\n    # STUB:     return 1\n"
        "    # STUB: return 0\n    return 2\n    ### END SOLUTION\n"
    )
    out = strip_source(source)
    assert out == "def f(r):\n    # YOUR CODE HERE\n    if r:\n        return 1\n    return 0"
    assert "return 2" not in out


def test_top_level_stub_and_markdown_answer():
    assert (
        strip_source("### BEGIN SOLUTION\n# STUB: x = ...\nx = 3\n### END SOLUTION\ncheck('q', x)")
        == "# YOUR CODE HERE\nx = ...\ncheck('q', x)"
    )
    assert (
        strip_source("Answer:\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", "markdown")
        == "Answer:\n*Your answer here.*"
    )


@pytest.mark.parametrize(
    "source,fragment",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("### END SOLUTION\n", "inside a text region"),
        ("### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS\n", "inside a solution region"),
        ("### BEGIN HIDDEN TESTS\nx\n### END SOLUTION\n", "inside a hidden region"),
    ],
)
def test_unbalanced_markers_are_errors_naming_the_place(source, fragment):
    with pytest.raises(ValueError, match=fragment) as err:
        strip_source(source, where="sol.ipynb cell 4")
    assert "sol.ipynb cell 4" in str(err.value)


def _solution() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["passk"] = {"exercise": "ex01"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell(
            "def f(p, k):\n    ### BEGIN SOLUTION\n    return 1 - (1 - p) ** k\n    ### END SOLUTION"
        ),
        nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\nhidden_cases('ex01.q1', [(0.5, 3)])\n### END HIDDEN TESTS"),
        nbformat.v4.new_code_cell(
            "x = 1\n### BEGIN HIDDEN TESTS\nsecret = 2\n### END HIDDEN TESTS\ncheck('ex01.q1', f)"
        ),
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="old")]
    nb.cells[1].execution_count = 3
    return nb


def test_make_exercise_strips_answers_hidden_tests_and_outputs():
    solution = _solution()
    before = nbformat.writes(solution)
    exercise = make_exercise(solution, "solutions/ex01_demo.ipynb")
    assert nbformat.writes(solution) == before  # the input is untouched
    sources = [c.source for c in exercise.cells]
    assert len(exercise.cells) == 3  # the hidden-test-only cell is dropped
    assert "1 - (1 - p)" not in "".join(sources) and "secret" not in "".join(sources)
    assert sources[2] == "x = 1\ncheck('ex01.q1', f)"
    assert exercise.cells[1].outputs == [] and exercise.cells[1].execution_count is None
    assert [c.id for c in exercise.cells] == ["cell-000", "cell-001", "cell-002"]
    meta = exercise.metadata["passk"]
    assert meta["exercise"] == "ex01" and meta["fingerprint"] == fingerprint(exercise)
    assert hidden_source(solution) == "hidden_cases('ex01.q1', [(0.5, 3)])\n\nsecret = 2"
    nbformat.validate(exercise)


def test_exercise_id_from_metadata_or_file_name():
    assert exercise_id(_solution()) == "ex01"
    assert exercise_id(nbformat.v4.new_notebook(), "some/dir/ex03_explorers.ipynb") == "ex03"
    assert exercise_id(nbformat.v4.new_notebook(), "homework.ipynb") is None


@pytest.fixture
def folders(tmp_path):
    sol, out = tmp_path / "solutions", tmp_path / "exercises"
    sol.mkdir()
    nbformat.write(_solution(), sol / "ex01_demo.ipynb")
    return sol, out


def test_build_then_rebuild_is_unchanged(folders):
    sol, out = folders
    first = build_exercises(sol, out)
    assert first.actions == [("ex01_demo.ipynb", "written")]
    text = (out / "ex01_demo.ipynb").read_text()
    assert is_pristine(out / "ex01_demo.ipynb")
    assert build_exercises(sol, out).actions == [("ex01_demo.ipynb", "unchanged")]
    assert build_exercises(sol, out, check=True).stale == []
    assert (out / "ex01_demo.ipynb").read_text() == text


def test_learner_edits_are_never_overwritten_without_force(folders):
    sol, out = folders
    build_exercises(sol, out)
    target = out / "ex01_demo.ipynb"
    nb = nbformat.read(target, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("raise NotImplementedError()", "return 42")
    nbformat.write(nb, target)
    edited = target.read_text()
    # the solution changes, so a rebuild would produce something new
    solution = _solution()
    solution.cells[0].source = "# New title"
    nbformat.write(solution, sol / "ex01_demo.ipynb")

    report = build_exercises(sol, out)
    assert report.refused == ["ex01_demo.ipynb"] and target.read_text() == edited
    assert main(["build-exercises", "--solutions", str(sol), "--out", str(out)]) == 1
    assert target.read_text() == edited

    report = build_exercises(sol, out, force=True)
    assert "replaced" in report.actions[0][1]
    assert (out / "ex01_demo.ipynb.bak").read_text() == edited
    assert "New title" in target.read_text()


def test_a_notebook_that_was_run_counts_as_edited(folders):
    sol, out = folders
    build_exercises(sol, out)
    target = out / "ex01_demo.ipynb"
    nb = nbformat.read(target, as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="ran")]
    nbformat.write(nb, target)
    assert not is_pristine(target)
    solution = _solution()
    solution.cells[0].source = "# Changed"
    nbformat.write(solution, sol / "ex01_demo.ipynb")
    assert build_exercises(sol, out).refused == ["ex01_demo.ipynb"]


def test_check_mode_reports_stale_and_missing_and_writes_nothing(folders, tmp_path):
    sol, out = folders
    report = build_exercises(sol, out, check=True)
    assert report.stale == ["ex01_demo.ipynb"] and not out.exists()
    assert main(["build-exercises", "--check", "--solutions", str(sol), "--out", str(out)]) == 1
    build_exercises(sol, out)
    (out / "ex09_extra.ipynb").write_text("{}")
    assert ("ex09_extra.ipynb", "orphan (no solution)") in build_exercises(sol, out, check=True).actions
    assert main(["build-exercises", "--check", "--solutions", str(sol), "--out", str(out)]) == 0


def test_empty_solutions_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="solutions: no .ipynb files"):
        build_exercises(tmp_path, tmp_path / "out")
    assert main(["build-exercises", "--solutions", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
